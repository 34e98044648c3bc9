// `watch` healing what happens outside Git, end to end: drift made through the emulator's store is
// corrected at the next resync and counted in /metrics. The rest of the resync and retry logic
// (--drift warn, backoff, redeploys, the delete guard) is tested in process, on a manual clock,
// in reconciler.test.ts.
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import {
  TOKEN,
  descriptionOn,
  eventually,
  expectNoLeak,
  getMetrics,
  sample,
  startWatch,
  startedOk,
  watchTree,
} from './support.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().reset();
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
      await eventually(
        'drift corrected',
        () =>
          descriptionOn(emulator(), 'key-001') === 'v1' && descriptionOn(emulator(), 'store-000', 'Keystore') === 'v1',
        15_000,
      );
      const drift = w.lines().filter((l) => l.drift === true);
      expect(drift.map((l) => `${String(l.name)} ${String(l.action)} ${String(l.corrected)}`).sort()).toEqual([
        'key-001 update true',
        'store-000 create true',
      ]);
      expect(drift.find((l) => l.name === 'key-001')?.msg).toBe(
        'drift: Key Payments/key-001: description; correcting it',
      );
      await eventually(
        'drift counted',
        async () => sample((await getMetrics(port, '/metrics')).body, 'apinizer_gitops_drift_found_total') === 2,
      );
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });
});
