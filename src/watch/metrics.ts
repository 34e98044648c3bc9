// What watch mode shows a supervisor: Prometheus text (rendered purely from a counters value) and
// a health answer, served by a tiny node:http server bound to 127.0.0.1 unless told otherwise
// (`--metrics-host 0.0.0.0` in a pod, where the kubelet probes the pod's own address).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export type CycleResult = 'ok' | 'failed' | 'invalid';
export type WriteOutcome = 'ok' | 'failed' | 'not-deployed';

/** The counters and gauges behind GET /metrics. */
export interface WatchMetrics {
  cycles: Record<CycleResult, number>;
  writes: Record<WriteOutcome, number>;
  driftFound: number;
  /** Epoch seconds of the last cycle that succeeded; 0 before the first. */
  lastSuccessSeconds: number;
  /** Resources in the last valid desired state. */
  manifestsLoaded: number;
  /** Resources waiting for a retry after a failure. */
  retriesPending: number;
  /** The earliest certificate notAfter (epoch seconds) per label set, from the last load's material checks. */
  certificateExpiry: CertificateExpiry[];
}

/** One sample of apinizer_gitops_certificate_expiry_timestamp_seconds. */
export interface CertificateExpiry {
  project: string;
  kind: string;
  name: string;
  environment: string;
  notAfterSeconds: number;
}

/** The earliest notAfter per (project, kind, name, environment), sorted by those labels. */
export function certificateExpiry(
  certificates: readonly { notAfter: Date; context: Omit<CertificateExpiry, 'notAfterSeconds'> }[],
): CertificateExpiry[] {
  const earliest = new Map<string, CertificateExpiry>();
  for (const { notAfter, context } of certificates) {
    const { project, kind, name, environment } = context;
    const key = JSON.stringify([project, kind, name, environment]);
    const seconds = Math.floor(notAfter.getTime() / 1000);
    const known = earliest.get(key);
    if (!known || seconds < known.notAfterSeconds) {
      earliest.set(key, { project, kind, name, environment, notAfterSeconds: seconds });
    }
  }
  return [...earliest.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, v]) => v);
}

/** A Prometheus label value, escaped as the exposition format requires. */
function labelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

/** Zeroed metrics. */
export function newMetrics(): WatchMetrics {
  return {
    cycles: { ok: 0, failed: 0, invalid: 0 },
    writes: { ok: 0, failed: 0, 'not-deployed': 0 },
    driftFound: 0,
    lastSuccessSeconds: 0,
    manifestsLoaded: 0,
    retriesPending: 0,
    certificateExpiry: [],
  };
}

/** Whether the last cycle succeeded, and why not. */
export interface Health {
  healthy: boolean;
  /** One sentence, shown as the /healthz body. */
  reason: string;
}

/** The metrics in the Prometheus text exposition format (version 0.0.4), HELP and TYPE included. */
export function renderMetrics(m: WatchMetrics): string {
  const lines: string[] = [];
  const family = (
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: [labels: string, value: number][],
  ) => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, value] of samples) lines.push(`${name}${labels} ${formatValue(value)}`);
  };
  family(
    'apinizer_gitops_cycles_total',
    'counter',
    'Reconcile cycles by result: ok, failed (an API call or write failed), invalid (a manifest did not load; nothing written).',
    (['ok', 'failed', 'invalid'] as const).map((r) => [`{result="${r}"}`, m.cycles[r]]),
  );
  family(
    'apinizer_gitops_writes_total',
    'counter',
    'Creates, updates and deletes sent to the API, by outcome (not-deployed: saved, but an environment deployment failed).',
    (['ok', 'failed', 'not-deployed'] as const).map((o) => [`{outcome="${o}"}`, m.writes[o]]),
  );
  family(
    'apinizer_gitops_drift_found_total',
    'counter',
    'Resources a resync found changed outside Git (corrected, or only reported with --drift warn).',
    [['', m.driftFound]],
  );
  family(
    'apinizer_gitops_last_success_timestamp_seconds',
    'gauge',
    'Unix time of the last cycle that succeeded; 0 before the first.',
    [['', m.lastSuccessSeconds]],
  );
  family(
    'apinizer_gitops_manifests_loaded',
    'gauge',
    'Resources in the last valid desired state loaded from the manifests.',
    [['', m.manifestsLoaded]],
  );
  family('apinizer_gitops_retries_pending', 'gauge', 'Resources waiting to be retried after a failed write.', [
    ['', m.retriesPending],
  ]);
  family(
    'apinizer_gitops_certificate_expiry_timestamp_seconds',
    'gauge',
    'Unix time the earliest certificate in the key material of a resource environment expires (notAfter).',
    m.certificateExpiry.map((c) => [
      `{project="${labelValue(c.project)}",kind="${labelValue(c.kind)}",name="${labelValue(c.name)}",` +
        `environment="${labelValue(c.environment)}"}`,
      c.notAfterSeconds,
    ]),
  );
  return `${lines.join('\n')}\n`;
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  return Number.isInteger(v) ? String(v) : v.toFixed(3);
}

export interface MetricsServerOptions {
  /** 0 picks a free port. */
  port: number;
  host?: string;
  metrics: () => WatchMetrics;
  health: () => Health;
}

export interface MetricsServer {
  /** The port actually bound. */
  port: number;
  close(): Promise<void>;
}

/**
 * Serves GET /healthz (200 `ok: ...` or 503 `unhealthy: ...`, plain text) and GET /metrics.
 * Rejects with the listen error (e.g. EADDRINUSE) so the command can say which port is taken.
 */
export async function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const method = req.method ?? 'GET';
    const reply = (status: number, type: string, body: string, extra: Record<string, string> = {}) => {
      res.writeHead(status, {
        'content-type': type,
        'content-length': Buffer.byteLength(body),
        'cache-control': 'no-store',
        ...extra,
      });
      res.end(method === 'HEAD' ? undefined : body);
    };
    if (method !== 'GET' && method !== 'HEAD') {
      reply(405, 'text/plain; charset=utf-8', 'only GET and HEAD\n', { allow: 'GET, HEAD' });
    } else if (path === '/healthz') {
      const h = options.health();
      reply(h.healthy ? 200 : 503, 'text/plain; charset=utf-8', `${h.healthy ? 'ok' : 'unhealthy'}: ${h.reason}\n`);
    } else if (path === '/metrics') {
      reply(200, 'text/plain; version=0.0.4; charset=utf-8', renderMetrics(options.metrics()));
    } else {
      reply(404, 'text/plain; charset=utf-8', 'not found: GET /healthz or /metrics\n');
    }
  });
  // Probes open a connection per request; do not let idle ones hold shutdown.
  server.keepAliveTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
