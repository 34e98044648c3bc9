// `watch`: keeps the server in line with the manifest folder: file events and periodic resyncs
// drive the reconciler in src/watch/, with metrics, signals and a bounded shutdown.
import type { Logger } from 'pino';
import { releaseMemory } from '../../watch/memory.js';
import { startMetricsServer, type MetricsServer } from '../../watch/metrics.js';
import { createReconciler, type Reconciler } from '../../watch/reconciler.js';
import { MIN_DEBOUNCE_MS, MIN_POLL_MS, startWatcher, type RunningWatcher } from '../../watch/watcher.js';
import {
  type Command,
  type CommandContext,
  type ParsedArgs,
  EXIT,
  UsageError,
  integerFlag,
  stringFlag,
} from '../command.js';
import { connectionOptions } from '../common.js';
import { MATERIAL_FLAGS } from '../material-flags.js';
import { type ReconcileOptions, manifestPaths, openWriteSession, reconcileOptions } from '../reconcile-common.js';
import { DEFAULT_MAX_DELETES } from './apply.js';

/** After SIGINT/SIGTERM, how long the cycle in flight may run on before its calls are aborted (main.ts exits anyway at 15 s). */
const FINISH_MS = 9_000;
/** After aborting the calls in flight, how long to wait for the cycle to wind up. */
const ABORT_SETTLE_MS = 2_000;
/** The shortest quiet period before a removal is confirmed by reading the manifests again. */
const MIN_CONFIRM_MS = 1_000;
/** A cycle over this many resources is followed by a garbage collection (see memory.ts). */
const BIG_CYCLE = 500;

const DESCRIPTION = `Keeps the server equal to the manifests as they change (a git pull by a cron job or a git-sync
sidecar, an editor's save). Starts with a full apply, then watches the PATHs:

  - changes are batched until nothing has changed for --debounce ms (a git pull of many files
    is one cycle); each cycle reloads and validates every manifest;
  - if anything is invalid, every error is logged with file:line, nothing is written or pruned,
    the last good state is kept, and watching goes on until it is fixed;
  - only resources whose manifest changed are reconciled: one GET and at most one write each,
    no list calls. Resources removed from the manifests are no longer managed; with --prune
    they are deleted, but only once a second read after another quiet period (at least 1 s)
    still misses them, so a file caught half-written never costs a delete (and never in a
    cycle where a manifest failed to load);
  - folders deleted and created again, symlinked manifests, Kubernetes ConfigMap/Secret
    volumes (..data swaps) and fromFile targets (dot-folders included) are followed; --poll MS
    walks the tree instead, where no file events arrive (NFS, SMB, some container mounts);
  - a failed write is retried later (1 s, doubling to 5 min) without holding up the others;
  - every --resync seconds a full list-based plan finds drift made outside Git: corrected
    (--drift correct, the default) or only reported (--drift warn).`;

const NOTES = `Logs (stderr): one line per cycle (trigger, files changed, resources reconciled, writes,
failures, milliseconds), one per write, one per manifest error; JSON unless stderr is a terminal.

SIGINT/SIGTERM: stops watching, lets the cycle in flight finish (calls still running after
${FINISH_MS / 1000} s are aborted), and exits 0. In a container, run the binary itself (node
node_modules/.bin/apinizer-gitops or the installed apinizer-gitops), not npx, which does not
pass signals on.

Exit status: 0 after a signal; 1 when it cannot start (bad flags, port taken).`;

/** `watch PATH...`: the long-running reconciler. */
export const watchCommand: Command = {
  name: 'watch',
  summary: 'keep the server equal to the manifests as they change (long-running)',
  usage: 'PATH... [flags]',
  description: DESCRIPTION,
  options: {
    prune: {
      type: 'boolean',
      description:
        'delete resources removed from the manifests (and, at resync, server objects no manifest declares, ' +
        'within the prune scope of plan --help)',
    },
    'allow-empty-prune': { type: 'boolean', description: 'with --prune, also prune kinds that have no manifests' },
    'max-deletes': {
      type: 'string',
      value: 'N',
      description: 'refuse a cycle deleting more than N resources',
      default: String(DEFAULT_MAX_DELETES),
    },
    debounce: {
      type: 'string',
      value: 'MS',
      description: `quiet period before a batch of changes is reconciled, at least ${MIN_DEBOUNCE_MS}`,
      default: '300',
    },
    poll: {
      type: 'string',
      value: 'MS',
      description:
        'find changes by walking the tree every MS milliseconds instead of waiting for file events: for NFS, ' +
        `SMB and container mounts that send none (at least ${MIN_POLL_MS}; 1000 suits most trees)`,
    },
    resync: { type: 'string', value: 'SECONDS', description: 'full resync period', default: '300' },
    drift: { type: 'string', value: 'correct|warn', description: 'what a resync does about drift', default: 'correct' },
    'metrics-port': {
      type: 'string',
      value: 'N',
      description:
        'serve GET /healthz and GET /metrics on 127.0.0.1:N (0: any free port, logged); /healthz answers 200 ' +
        'while the last cycle succeeded, else 503',
    },
    'metrics-host': {
      type: 'string',
      value: 'ADDR',
      description:
        "listen on ADDR, e.g. 0.0.0.0 in a Kubernetes pod so that the kubelet's probes and Prometheus can reach it",
      default: '127.0.0.1',
    },
    ...MATERIAL_FLAGS,
    ...connectionOptions,
  },
  examples: [
    'apinizer-gitops watch manifests/ --server https://apinizer.example.com',
    'apinizer-gitops watch /srv/manifests --prune --resync 600 --metrics-port 9464',
  ],
  notes: NOTES,
  async run(args, ctx) {
    return watch(parseWatchOptions(args, ctx), ctx);
  },
};

/** What `watch` is asked to do, parsed from argv, the environment and the config file. */
export interface WatchOptions extends ReconcileOptions {
  maxDeletes: number;
  debounceMs: number;
  resyncSeconds: number;
  /** --poll: walk the tree every this many ms instead of waiting for file events. */
  pollMs: number | undefined;
  drift: 'correct' | 'warn';
  /** --metrics-port, or null when no metrics server is wanted. */
  metricsPort: number | null;
  metricsHost: string;
}

/** The options of `watch`; a bad value is a UsageError naming its flag, variable or file. */
export function parseWatchOptions(args: ParsedArgs, ctx: Pick<CommandContext, 'env' | 'cwd'>): WatchOptions {
  const paths = manifestPaths(args);
  const maxDeletes = integerFlag(args, 'max-deletes', DEFAULT_MAX_DELETES, 0, 1_000_000);
  const debounceMs = integerFlag(args, 'debounce', 300, MIN_DEBOUNCE_MS, 600_000);
  const resyncSeconds = integerFlag(args, 'resync', 300, 1, 7 * 24 * 3600);
  const pollMs =
    stringFlag(args, 'poll') === undefined ? undefined : integerFlag(args, 'poll', 0, MIN_POLL_MS, 3_600_000);
  const drift = stringFlag(args, 'drift') ?? 'correct';
  if (drift !== 'correct' && drift !== 'warn') throw new UsageError(`--drift must be correct or warn, got "${drift}"`);
  const metricsPort =
    stringFlag(args, 'metrics-port') === undefined ? null : integerFlag(args, 'metrics-port', 0, 0, 65_535);
  const metricsHost = stringFlag(args, 'metrics-host') ?? '127.0.0.1';
  if (metricsHost.trim() === '' || /[\s/]/.test(metricsHost))
    throw new UsageError(
      `--metrics-host must be an address to listen on, such as 127.0.0.1 or 0.0.0.0, got "${metricsHost}"`,
    );
  if (stringFlag(args, 'metrics-host') !== undefined && metricsPort === null)
    throw new UsageError('--metrics-host needs --metrics-port');
  return {
    ...reconcileOptions(args, paths, ctx),
    maxDeletes,
    debounceMs,
    resyncSeconds,
    pollMs,
    drift,
    metricsPort,
    metricsHost,
  };
}

/** `watch` itself: reconcile on file events and resyncs until a signal; 0 after a signal, 1 if it cannot start. */
export async function watch(options: WatchOptions, ctx: CommandContext): Promise<number> {
  const { paths, conn, prune, debounceMs, pollMs, resyncSeconds, drift } = options;
  const { logger, limiter, client, inFlight } = openWriteSession(conn, ctx.stderr);
  const reconciler = createReconciler({
    paths,
    cwd: ctx.cwd,
    env: ctx.env,
    ...(conn.project !== undefined ? { defaultProject: conn.project } : {}),
    extraProjects: conn.project !== undefined ? [conn.project] : [],
    actions: client,
    server: conn.server,
    concurrency: conn.concurrency,
    limiter,
    prune,
    allowEmptyPrune: options.allowEmptyPrune,
    maxDeletes: options.maxDeletes,
    drift,
    resyncMs: resyncSeconds * 1000,
    // A removal is confirmed by a second read one more quiet period later (SPEC §6), and never
    // sooner than a second: a slow writer's pause (truncate, then write) must not look final.
    confirmMs: Math.max(debounceMs, MIN_CONFIRM_MS),
    expiryWarnDays: options.material ? options.material.expiryWarnDays : null,
    logger,
    onFromFiles: (targets) => watcher?.track(targets),
    afterCycle: (c) => {
      // A cycle over many resources leaves a heap full of garbage that an idle process never
      // collects: collect it once things are quiet, so the resident memory goes back down.
      if (c.reconciled < BIG_CYCLE) return;
      clearTimeout(gcTimer);
      gcTimer = setTimeout(() => releaseMemory(), 1_000).unref();
    },
  });
  let gcTimer: NodeJS.Timeout | undefined;

  let metrics: MetricsServer | null = null;
  let watcher: RunningWatcher | null = null;
  try {
    if (options.metricsPort !== null) {
      metrics = await startMetrics(options.metricsPort, options.metricsHost, reconciler, logger);
      if (metrics === null) return EXIT.error;
    }
    if (ctx.signal.aborted) return EXIT.ok;

    watcher = await startWatcher({
      paths,
      cwd: ctx.cwd,
      debounceMs,
      ...(pollMs !== undefined ? { pollMs } : {}),
      onBatch: (changed) => reconciler.filesChanged(changed),
      onActivity: () => reconciler.activity(),
      onError: (err) => {
        const code = (err as NodeJS.ErrnoException).code;
        const hint =
          code === 'ENOSPC'
            ? ' (the inotify watch limit is reached: raise fs.inotify.max_user_watches; until then the resync still heals every --resync seconds)'
            : '';
        logger.error({ error: { code } }, `file watcher: ${err.message}${hint}`);
      },
    });
    logger.info(
      {
        paths,
        roots: watcher.roots.length,
        directories: watcher.directories(),
        debounceMs,
        ...(pollMs !== undefined ? { pollMs } : {}),
        resyncSeconds,
        drift,
        prune,
        server: conn.server,
      },
      `watching ${paths.join(', ')} (${pollMs !== undefined ? `polling every ${pollMs} ms, ` : ''}debounce ${debounceMs} ms, resync every ${resyncSeconds} s, drift ${drift}${prune ? ', prune' : ''}) against ${conn.server}`,
    );
    reconciler.start();

    await new Promise<void>((resolve) => {
      if (ctx.signal.aborted) resolve();
      else ctx.signal.addEventListener('abort', () => resolve(), { once: true });
    });
    logger.info(
      { signal: ctx.signalName() },
      `${ctx.signalName() ?? 'stop'} received: stopping the watch, finishing the cycle in flight`,
    );
    await watcher.close();
    watcher = null;
    const stopping = reconciler.stop();
    if (!(await within(stopping, FINISH_MS))) {
      logger.warn(
        { graceMs: FINISH_MS },
        `the cycle in flight did not finish within ${FINISH_MS / 1000} s: aborting its calls (re-running converges)`,
      );
      inFlight.abort(new Error('stopping'));
      await within(stopping, ABORT_SETTLE_MS);
    }
    logger.info('stopped');
    return EXIT.ok;
  } finally {
    await watcher?.close();
    clearTimeout(gcTimer);
    await within(reconciler.stop(), ABORT_SETTLE_MS);
    await metrics?.close();
    await client.close();
  }
}

/** The metrics and health server, its address logged; null (the reason logged) when it cannot listen. */
async function startMetrics(
  port: number,
  host: string,
  reconciler: Reconciler,
  logger: Logger,
): Promise<MetricsServer | null> {
  let metrics: MetricsServer;
  try {
    metrics = await startMetricsServer({
      port,
      host,
      metrics: () => reconciler.metrics(),
      health: () => reconciler.health(),
    });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EADDRINUSE'
        ? 'the port is already in use; choose another port'
        : code === 'EACCES'
          ? 'permission denied; choose a port above 1023'
          : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
            ? 'no such address on this machine; check --metrics-host'
            : (err as Error).message;
    logger.error({ port, host }, `--metrics-port ${port}: cannot listen on ${host}:${port}: ${why}`);
    return null;
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  logger.info(
    { port: metrics.port, host },
    `metrics and health on http://${shown}:${metrics.port}/metrics and /healthz`,
  );
  return metrics;
}

/** True when the promise settled within ms. */
async function within(p: Promise<unknown>, ms: number): Promise<boolean> {
  let t: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => (t = setTimeout(() => resolve(false), ms)));
  try {
    return await Promise.race([p.then(() => true as const), timeout]);
  } finally {
    clearTimeout(t);
  }
}
