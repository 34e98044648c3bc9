// Prometheus text rendering (pure) and the health/metrics server on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { newMetrics, renderMetrics, startMetricsServer, type Health } from '../../src/watch/metrics.js';

describe('renderMetrics', () => {
  it('renders every family with HELP and TYPE and one sample per label value', () => {
    const m = newMetrics();
    m.cycles.ok = 3;
    m.cycles.invalid = 1;
    m.writes['not-deployed'] = 2;
    m.driftFound = 4;
    m.lastSuccessSeconds = 1_790_000_000;
    m.manifestsLoaded = 12;
    const text = renderMetrics(m);
    expect(text.endsWith('\n')).toBe(true);
    for (const [name, type] of [
      ['apinizer_gitops_cycles_total', 'counter'],
      ['apinizer_gitops_writes_total', 'counter'],
      ['apinizer_gitops_drift_found_total', 'counter'],
      ['apinizer_gitops_last_success_timestamp_seconds', 'gauge'],
      ['apinizer_gitops_manifests_loaded', 'gauge'],
    ]) {
      expect(text).toMatch(new RegExp(`^# HELP ${name} \\S.*$`, 'm'));
      expect(text).toContain(`# TYPE ${name} ${type}\n`);
    }
    expect(text).toContain('apinizer_gitops_cycles_total{result="ok"} 3\n');
    expect(text).toContain('apinizer_gitops_cycles_total{result="failed"} 0\n');
    expect(text).toContain('apinizer_gitops_cycles_total{result="invalid"} 1\n');
    expect(text).toContain('apinizer_gitops_writes_total{outcome="not-deployed"} 2\n');
    expect(text).toContain('apinizer_gitops_drift_found_total 4\n');
    expect(text).toContain('apinizer_gitops_last_success_timestamp_seconds 1790000000\n');
    expect(text).toContain('apinizer_gitops_manifests_loaded 12\n');
    // Every non-comment line is `name{labels} value` (the exposition format's sample syntax).
    for (const line of text
      .trimEnd()
      .split('\n')
      .filter((l) => !l.startsWith('#'))) {
      expect(line).toMatch(/^[a-z_]+(\{[a-z]+="[a-z-]+"\})? -?\d+(\.\d+)?$/);
    }
  });
});

describe('startMetricsServer', () => {
  it('answers /healthz 200 or 503 with the reason, /metrics as Prometheus text, and 404/405 otherwise', async () => {
    let health: Health = { healthy: false, reason: 'starting' };
    const m = newMetrics();
    const server = await startMetricsServer({ port: 0, metrics: () => m, health: () => health });
    try {
      const base = `http://127.0.0.1:${server.port}`;
      let res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.text()).toBe('unhealthy: starting\n');
      health = { healthy: true, reason: 'the last cycle succeeded' };
      res = await fetch(`${base}/healthz`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok: the last cycle succeeded\n');

      m.cycles.ok = 7;
      res = await fetch(`${base}/metrics`);
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toContain('text/plain; version=0.0.4');
      expect(await res.text()).toContain('apinizer_gitops_cycles_total{result="ok"} 7');

      expect((await fetch(`${base}/other`)).status).toBe(404);
      expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);
    } finally {
      await server.close();
    }
  });

  it('rejects with EADDRINUSE when the port is taken', async () => {
    const first = await startMetricsServer({
      port: 0,
      metrics: newMetrics,
      health: () => ({ healthy: true, reason: '' }),
    });
    try {
      await expect(
        startMetricsServer({ port: first.port, metrics: newMetrics, health: () => ({ healthy: true, reason: '' }) }),
      ).rejects.toMatchObject({ code: 'EADDRINUSE' });
    } finally {
      await first.close();
    }
  });
});
