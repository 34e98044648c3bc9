// `watch` healing what happens outside Git, and recovering from failures: drift made through the
// emulator's store is corrected at the next resync (or, with --drift warn, only reported and
// counted); writes that fail are retried after a backoff and converge once the server recovers.
import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_PROJECTS } from '../../src/emulator/index.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, descriptionOn, eventually, expectNoLeak, getMetrics, sample, startWatch, startedOk, watchTree, writeKey } from './support.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ failRate: 0, latencyMs: 0, failDeploymentTo: [], projects: [...DEFAULT_PROJECTS] });
  emulator().resetStats();
});

/** Changes a Key's description on the server directly, as someone in the Apinizer UI would. */
function driftKey(name: string, description: string): void {
  const o = emulator().store.get('Payments', 'Key', name);
  if (!o) throw new Error(`no ${name} on the emulator`);
  emulator().store.put('Payments', 'Key', { ...o, description });
}

describe('watch: resync and drift', () => {
  it('corrects drift made outside Git at the next resync and counts it', async () => {
    const dir = tempTree(watchTree(2));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--resync', '1', '--metrics-port', '0']);
    try {
      await startedOk(w);
      const port = await w.metricsPort();
      driftKey('key-001', 'changed in the UI');
      emulator().store.delete('Payments', 'Keystore', 'store-000');
      await eventually('drift corrected', () => descriptionOn(emulator(), 'key-001') === 'v1' && descriptionOn(emulator(), 'store-000', 'Keystore') === 'v1', 15_000);
      const drift = w.lines().filter((l) => l.drift === true);
      expect(drift.map((l) => `${String(l.name)} ${String(l.action)} ${String(l.corrected)}`).sort()).toEqual(['key-001 update true', 'store-000 create true']);
      expect(drift.find((l) => l.name === 'key-001')?.msg).toBe('drift: Key Payments/key-001: description; correcting it');
      await eventually('drift counted', async () => sample((await getMetrics(port, '/metrics')).body, 'apinizer_gitops_drift_found_total') === 2);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('with --drift warn reports drift (log line and metric) at every resync and writes nothing', async () => {
    const dir = tempTree(watchTree(1));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--resync', '1', '--drift', 'warn', '--metrics-port', '0']);
    try {
      await startedOk(w);
      const port = await w.metricsPort();
      emulator().resetStats();
      driftKey('key-000', 'changed in the UI');
      const line = await w.waitForLine('the drift warning', (l) => l.drift === true);
      expect(line).toMatchObject({ level: 40, name: 'key-000', action: 'update', corrected: false, changes: ['description'] });
      expect(line.msg).toBe('drift: Key Payments/key-000: description; not corrected (--drift warn)');
      // A second resync reports it again, and still nothing is written.
      await eventually('a second report', () => w.lines().filter((l) => l.drift === true).length >= 2, 10_000);
      expect(emulator().stats().writes).toBe(0);
      expect(descriptionOn(emulator(), 'key-000')).toBe('changed in the UI');
      const metrics = (await getMetrics(port, '/metrics')).body;
      expect(sample(metrics, 'apinizer_gitops_drift_found_total')).toBeGreaterThanOrEqual(2);
      expect(sample(metrics, 'apinizer_gitops_writes_total{outcome="ok"}')).toBe(2); // the start's creates only

      // A Git change is still applied in warn mode.
      writeKey(dir, 'key-000', 'v2');
      await eventually('the Git change applied', () => descriptionOn(emulator(), 'key-000') === 'v2', 10_000);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });
});

describe('watch: failures', () => {
  it('retries a failed write after a backoff, without holding up other resources, and converges when the server recovers', async () => {
    const dir = tempTree(watchTree(2));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--metrics-port', '0', '--retries', '1']);
    try {
      await startedOk(w);
      const port = await w.metricsPort();
      // The server loses an environment key-000 is deployed to: its writes fail (HTTP 400).
      emulator().configure({ projects: [{ name: 'Payments', environments: ['staging'] }, { name: 'Identity', environments: ['production'] }] });
      writeKey(dir, 'key-000', 'v2');
      await w.waitForLine('the failed write', (l) => l.name === 'key-000' && l.outcome === 'failed');
      await w.waitForLine('a retry', (l) => l.name === 'key-000' && l.outcome === 'failed' && w.lines().filter((x) => x.name === 'key-000' && x.outcome === 'failed').length >= 2, 15_000);
      expect((await getMetrics(port, '/healthz')).status).toBe(503);
      expect(sample((await getMetrics(port, '/metrics')).body, 'apinizer_gitops_retries_pending')).toBe(1);

      // Another resource is not held up by the failing one (staging still exists).
      writeKey(dir, 'key-001', 'v2', { environments: ['staging'] });
      await eventually('the other resource written', () => descriptionOn(emulator(), 'key-001') === 'v2', 10_000);
      expect(descriptionOn(emulator(), 'key-000')).toBe('v1');

      emulator().configure({ projects: [{ name: 'Payments', environments: ['production', 'staging'] }, { name: 'Identity', environments: ['production'] }] });
      await eventually('the retried write on the server', () => descriptionOn(emulator(), 'key-000') === 'v2', 15_000);
      await eventually('healthz 200', async () => (await getMetrics(port, '/healthz')).status === 200, 10_000);
      const metrics = (await getMetrics(port, '/metrics')).body;
      expect(sample(metrics, 'apinizer_gitops_writes_total{outcome="failed"}')).toBeGreaterThanOrEqual(2);
      expect(sample(metrics, 'apinizer_gitops_cycles_total{result="failed"}')).toBeGreaterThanOrEqual(2);
      expect(sample(metrics, 'apinizer_gitops_retries_pending')).toBe(0);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('retries through injected server errors, and redeploys a resource whose deployment failed', async () => {
    const dir = tempTree(watchTree(2));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--retries', '1']);
    try {
      await startedOk(w);
      emulator().configure({ failRate: 1, failKinds: ['500'] });
      writeKey(dir, 'key-000', 'v2');
      await w.waitForLine('a failed cycle', (l) => l.trigger === 'change' && l.result === 'failed');
      emulator().configure({ failRate: 0 });
      await eventually('converged after the errors', () => descriptionOn(emulator(), 'key-000') === 'v2', 15_000);

      // Saved but not deployed to production: retried as an update until the deployment succeeds.
      emulator().configure({ failDeploymentTo: ['production'] });
      writeKey(dir, 'key-001', 'v2');
      await w.waitForLine('not deployed', (l) => l.name === 'key-001' && l.outcome === 'not-deployed');
      emulator().configure({ failDeploymentTo: [] });
      const ok = await w.waitForLine('the redeploy', (l) => l.name === 'key-001' && l.outcome === 'ok' && l.action === 'update', 15_000);
      expect(ok.msg).toBe('Key Payments/key-001: updated');
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });
});
