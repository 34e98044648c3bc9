// `watch` through the built CLI against the emulator over real HTTP, with the real file watcher on a
// temporary checkout: a change is one GET and one write and no list; a burst of edits (some
// invalid, some caught half-written) only ever writes valid versions and ends at the last one;
// an invalid manifest writes nothing and keeps the process up until it is fixed.
import { appendFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import {
  TOKEN,
  descriptionOn,
  eventually,
  expectNoLeak,
  getMetrics,
  keyManifest,
  listCalls,
  sample,
  startWatch,
  startedOk,
  watchTree,
  writeKey,
} from './support.js';

const emulator = useEmulator({ token: TOKEN });
const DEBOUNCE = 100;

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ failRate: 0, latencyMs: 0, failDeploymentTo: [], maskSecrets: false });
  emulator().resetStats();
});

describe('watch: changes', () => {
  it('starts with a full apply, then reconciles an edited resource with one GET and one write, no list; health and metrics say so', async () => {
    const dir = tempTree(watchTree(3));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), '--metrics-port', '0']);
    try {
      await startedOk(w);
      expect(descriptionOn(emulator(), 'key-001')).toBe('v1');
      expect(emulator().stats().writes).toBe(4);
      const port = await w.metricsPort();
      emulator().resetStats();

      writeKey(dir, 'key-001', 'v2');
      // The deadline is the margin: debounce plus generous slack for a loaded machine.
      await eventually(
        'the edit on the server',
        () => descriptionOn(emulator(), 'key-001') === 'v2',
        DEBOUNCE + 10_000,
      );
      const cycle = await w.waitForLine('the change cycle', (l) => l.trigger === 'change');
      expect(cycle).toMatchObject({ result: 'ok', files: 1, reconciled: 1, writes: 1, failures: 0 });

      const stats = emulator().stats();
      expect(stats.writes).toBe(1);
      expect(stats.byRoute).toEqual({
        'GET /apiops/projects/{project}/keys/{name}/': 1,
        'PUT /apiops/projects/{project}/keys/{name}/': 1,
      });
      expect(listCalls(emulator())).toBe(0);
      // One log line for the write, naming the resource.
      expect(w.lines().filter((l) => l.name === 'key-001' && l.action === 'update' && l.outcome === 'ok')).toHaveLength(
        1,
      );

      const health = await getMetrics(port, '/healthz');
      expect(health.status).toBe(200);
      expect(health.body).toMatch(/^ok: the last cycle \(change, .*\) succeeded; 4 resources managed\n$/);
      const metrics = (await getMetrics(port, '/metrics')).body;
      expect(sample(metrics, 'apinizer_gitops_cycles_total{result="ok"}')).toBe(2);
      expect(sample(metrics, 'apinizer_gitops_cycles_total{result="invalid"}')).toBe(0);
      expect(sample(metrics, 'apinizer_gitops_writes_total{outcome="ok"}')).toBe(5);
      expect(sample(metrics, 'apinizer_gitops_manifests_loaded')).toBe(4);
      expect(sample(metrics, 'apinizer_gitops_last_success_timestamp_seconds')).toBeGreaterThan(
        Date.now() / 1000 - 120,
      );

      // A removed file: dropped from management, left on the server (no --prune).
      emulator().resetStats();
      rmSync(join(dir, 'manifests', 'keys', 'key-002.yaml'));
      await w.waitForLine('the removal', (l) => l.name === 'key-002' && l.msg.includes('no longer managed'));
      expect(descriptionOn(emulator(), 'key-002')).toBe('v1');
      expect(emulator().stats().total).toBe(0);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('writes only valid, complete versions during 100 rapid edits (some invalid, some caught half-written) and ends at the last', async () => {
    const dir = tempTree(watchTree(1, 'rev-0'));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE)]);
    // Every object the emulator stored for key-000, as it was stored.
    const written: { description: string; environments: number; privateKey: boolean }[] = [];
    let last: unknown = emulator().store.get('Payments', 'Key', 'key-000');
    const unsubscribe = emulator().store.onChange(() => {
      const o = emulator().store.get('Payments', 'Key', 'key-000');
      if (o === undefined || o === last) return;
      last = o;
      const envs = (o.cryptoKeyInfoEnvironmentList ?? []) as { privateKey?: string }[];
      written.push({
        description: typeof o.description === 'string' ? o.description : '',
        environments: envs.length,
        privateKey: envs.every((e) => typeof e.privateKey === 'string' && e.privateKey.length > 0),
      });
    });
    try {
      await startedOk(w);
      written.length = 0;
      const file = join(dir, 'manifests', 'keys', 'key-000.yaml');
      const valid = new Set<string>();
      // A fixed pseudo-random sequence: pauses sometimes longer than the debounce, so cycles run mid-burst.
      let seed = 42;
      const rand = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
      for (let i = 1; i <= 100; i++) {
        const full = keyManifest('key-000', `rev-${i}`, { environments: ['production', 'test'] });
        if (i % 9 === 4 && i !== 100) {
          // Invalid: a lower-case keyType breaks the schema.
          writeFileSync(file, full.replace('keyType: RSA', 'keyType: rsa'));
        } else if (i % 3 === 0) {
          // A slow writer: the first part, then the rest a moment later.
          const cut = Math.floor(full.length * (0.3 + rand() * 0.6));
          writeFileSync(file, full.slice(0, cut));
          await new Promise((r) => setTimeout(r, 5 + rand() * 10));
          appendFileSync(file, full.slice(cut));
          valid.add(`rev-${i}`);
        } else {
          writeFileSync(file, full);
          valid.add(`rev-${i}`);
        }
        if (i % 18 === 4) {
          // Let a cycle see this invalid state (wait for it, not for a time).
          const before = w.cycles().filter((c) => c.result === 'invalid').length;
          await eventually(
            'an invalid cycle',
            () => w.cycles().filter((c) => c.result === 'invalid').length > before,
            10_000,
          );
          continue;
        }
        const r = rand();
        await new Promise((res) => setTimeout(res, r < 0.85 ? r * 20 : DEBOUNCE + 100 + r * 100));
      }
      await eventually(
        'the last version on the server',
        () => descriptionOn(emulator(), 'key-000') === 'rev-100',
        20_000,
      );
      expect(written.length).toBeGreaterThan(0);
      expect(w.lines().filter((l) => l.fixed === true).length).toBeGreaterThanOrEqual(1);
      for (const w of written) {
        expect(valid.has(w.description), `a write carried "${w.description}"`).toBe(true);
        expect(w).toMatchObject({ environments: 2, privateKey: true });
      }
      expect(written[written.length - 1]?.description).toBe('rev-100');
      // Batched: far fewer writes than edits.
      expect(written.length).toBeLessThan(60);
    } finally {
      unsubscribe();
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('writes nothing while a manifest is invalid, logs every error with file:line, stays up, and applies the fix', async () => {
    const dir = tempTree(watchTree(2));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), '--metrics-port', '0', '--prune']);
    try {
      await startedOk(w);
      const port = await w.metricsPort();
      emulator().resetStats();

      // Two errors in two files; one of them also drops a resource, which --prune must not delete.
      writeFileSync(
        join(dir, 'manifests', 'keys', 'key-000.yaml'),
        keyManifest('key-000', 'v2').replace('keyType: RSA', 'keyType: [RSA'),
      );
      writeFileSync(
        join(dir, 'manifests', 'keys', 'key-001.yaml'),
        keyManifest('key-001', 'v2').replace('kind: Key', 'kind: Kee'),
      );
      const summary = await w.waitForLine('the invalid cycle', (l) => l.result === 'invalid');
      expect(summary.writes).toBe(0);
      const errors = w.lines().filter((l) => l.level === 50 && typeof l.code === 'string');
      expect(errors.map((l) => l.location)).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^manifests\/keys\/key-000\.yaml:\d+:\d+$/),
          expect.stringMatching(/^manifests\/keys\/key-001\.yaml:\d+:\d+$/),
        ]),
      );
      expect(errors.some((l) => /^manifests\/keys\/key-001\.yaml:\d+:\d+ .*Kee/.test(l.msg))).toBe(true);
      expect(
        w
          .lines()
          .some((l) => l.msg.includes('nothing written, nothing pruned; keeping the last good state (3 resources)')),
      ).toBe(true);
      const health = await getMetrics(port, '/healthz');
      expect(health.status).toBe(503);
      expect(health.body).toContain('unhealthy:');
      expect(health.body).toContain('manifests/keys/key-00');
      expect(emulator().stats().total).toBe(0);
      expect(w.running()).toBe(true);

      writeKey(dir, 'key-000', 'fixed');
      writeKey(dir, 'key-001', 'fixed');
      await eventually(
        'the fix on the server',
        () => descriptionOn(emulator(), 'key-000') === 'fixed' && descriptionOn(emulator(), 'key-001') === 'fixed',
        15_000,
      );
      await w.waitForLine('the fixed notice', (l) => l.fixed === true);
      await eventually('healthz 200', async () => (await getMetrics(port, '/healthz')).status === 200);
      expect(listCalls(emulator())).toBe(0);
      const metrics = (await getMetrics(port, '/metrics')).body;
      expect(sample(metrics, 'apinizer_gitops_cycles_total{result="invalid"}')).toBeGreaterThanOrEqual(1);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('starting on invalid manifests makes no API call and serves 503 until they are fixed, then applies them all', async () => {
    const files = watchTree(2);
    files['manifests/keys/key-000.yaml'] = keyManifest('key-000', 'v1').replace(
      'metadata:',
      'metadata:\n  colour: blue',
    );
    const dir = tempTree(files);
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), '--metrics-port', '0']);
    try {
      const port = await w.metricsPort();
      await w.waitForLine('the invalid start', (l) => l.result === 'invalid');
      expect((await getMetrics(port, '/healthz')).status).toBe(503);
      expect(emulator().stats().total).toBe(0);

      writeKey(dir, 'key-000', 'v1');
      await eventually('everything created', () => emulator().store.size() === 3, 15_000);
      await eventually('healthz 200', async () => (await getMetrics(port, '/healthz')).status === 200);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });
});
