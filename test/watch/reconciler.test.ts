// The watch loop in process: the real scheduler, state and cycles over an in-memory API
// (test/support/fake-actions.ts), a manual clock, and a loader that returns whatever the test says
// the manifests hold. Covers what the cycles decide: one GET and at most one write per change and
// no list, nothing written or pruned while any manifest fails to load, drift at a resync (corrected
// or reported), retries after a backoff without holding others up, redeploys, the delete guard.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import type { LoadResult } from '../../src/manifest/load.js';
import type { DesiredResource } from '../../src/model.js';
import { createReconciler, type ReconcilerOptions } from '../../src/watch/reconciler.js';
import { aKey, aKeystore, desiredState, secretNeedles } from '../support/builders.js';
import { fakeActions, type FakeActions } from '../support/fake-actions.js';
import { manualClock } from '../support/fake-clock.js';

type Line = Record<string, unknown> & { msg: string };

/** What the fake loader answers: resources, or error diagnostics (a manifest that failed to load). */
type Manifests = DesiredResource[] | Diagnostic[];

const unreadable = (file: string): Diagnostic => ({
  code: 'file-unreadable',
  severity: 'error',
  message: 'cannot be read (ENOENT); check its permissions',
  file,
  line: 1,
  column: 1,
  path: '',
});

function setup(initial: Manifests, options: Partial<ReconcilerOptions> & { api?: FakeActions } = {}) {
  const clock = manualClock();
  const api = options.api ?? fakeActions();
  const lines: Line[] = [];
  const logger = pino(
    { level: 'debug' },
    new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of String(chunk).split('\n')) if (l) lines.push(JSON.parse(l) as Line);
        done();
      },
    }),
  );
  let manifests = initial;
  let loads = 0;
  const load = (): Promise<LoadResult> => {
    loads += 1;
    const isError = (m: Manifests): m is Diagnostic[] => m.length > 0 && 'severity' in m[0]!;
    const r: LoadResult = isError(manifests)
      ? { state: null, diagnostics: manifests, files: [], documents: 0, resources: 0 }
      : {
          state: desiredState(...manifests),
          diagnostics: [],
          files: [],
          documents: manifests.length,
          resources: manifests.length,
        };
    return Promise.resolve(r);
  };
  const rec = createReconciler({
    paths: ['manifests'],
    cwd: '/',
    env: {},
    extraProjects: [],
    actions: api.actions,
    server: 'http://127.0.0.1:1',
    concurrency: 4,
    prune: false,
    allowEmptyPrune: false,
    maxDeletes: 50,
    drift: 'correct',
    resyncMs: 300_000,
    confirmMs: 300,
    logger,
    clock,
    random: () => 0.5,
    load,
    ...options,
  });
  const cycles = () => lines.filter((l) => typeof l.cycle === 'number');
  return {
    clock,
    api,
    lines,
    rec,
    cycles,
    loads: () => loads,
    /** Replaces what the manifests hold. */
    set(next: Manifests) {
      manifests = next;
    },
    /** Replaces what the manifests hold and reports a changed file, then waits for the cycle. */
    async change(next: Manifests, file = 'manifests/keys/a.yaml') {
      manifests = next;
      rec.filesChanged([file]);
      await clock.settle();
      await rec.idle();
    },
    /** Lets the confirming read of a removal run (one quiet period after the cycle that saw it). */
    async confirm() {
      await clock.advance(300);
      await rec.idle();
    },
    async started() {
      rec.start();
      await clock.settle();
      await rec.idle();
    },
  };
}

const a = (description = 'v1') => aKey({ name: 'a', description });
const b = (description = 'v1') => aKey({ name: 'b', description });
const store = (description = 'v1') => aKeystore({ name: 's', description });

describe('watch reconciler (in process)', () => {
  it('starts with a full apply, then reconciles a change with one GET and one write, no list', async () => {
    const t = setup([a(), b(), store()]);
    await t.started();
    expect(t.api.all()).toHaveLength(3);
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'start', result: 'ok', writes: 3 });
    expect(t.rec.health().healthy).toBe(true);
    t.api.calls.length = 0;
    await t.change([a('v2'), b(), store()]);
    expect(t.api.held(a())?.description).toBe('v2');
    expect(t.api.calls.map((c) => `${c.method} ${c.name ?? c.project}`)).toEqual(['get a', 'update a']);
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'change', result: 'ok', reconciled: 1, writes: 1, files: 1 });
    // A change that changes nothing the server holds makes no call at all.
    t.api.calls.length = 0;
    await t.change([a('v2'), b(), store()]);
    expect(t.api.calls).toEqual([]);
    expect(t.rec.metrics()).toMatchObject({ manifestsLoaded: 3, cycles: { ok: 3, failed: 0, invalid: 0 } });
  });

  it('merges changes arriving during a cycle into exactly one follow-up cycle', async () => {
    const t = setup([a(), b()]);
    await t.started();
    const release = t.api.hold();
    t.set([a('v2'), b()]);
    t.rec.filesChanged(['manifests/keys/a.yaml']);
    await t.clock.settle();
    expect(t.api.inFlight()).toBe(1); // the GET of a, held
    for (const f of ['x.yaml', 'y.yaml', 'z.yaml']) t.rec.filesChanged([f]);
    release();
    await t.rec.idle();
    expect(t.cycles().map((c) => [c.trigger, c.files])).toEqual([
      ['start', 0],
      ['change', 1],
      ['change', 3],
    ]);
  });

  it('under --prune, writes and deletes nothing while any manifest fails to load (an unreadable file), keeps the last good state, and prunes after the fix', async () => {
    const t = setup([a(), b(), store()], { prune: true });
    await t.started();
    t.api.calls.length = 0;
    // b's file became a dangling link, and a changed: the load reports an error.
    await t.change([unreadable('manifests/keys/x.yaml')], 'manifests/keys/x.yaml');
    expect(t.api.calls).toEqual([]);
    expect(t.api.all()).toHaveLength(3);
    expect(t.cycles().at(-1)).toMatchObject({ result: 'invalid', writes: 0 });
    expect(t.rec.health()).toMatchObject({ healthy: false });
    expect(t.rec.health().reason).toContain('manifests/keys/x.yaml:1:1');
    expect(
      t.lines.some((l) => l.msg.includes('nothing written, nothing pruned; keeping the last good state (3 resources)')),
    ).toBe(true);
    // A retry falling due meanwhile writes nothing either.
    await t.clock.advance(600_000);
    expect(t.api.writes()).toBe(0);
    // Fixed, with b removed on purpose: now b is deleted, once.
    await t.change([a('v2'), store()]);
    expect(t.api.count('delete', 'b')).toBe(0); // not before a second read confirms it
    await t.confirm();
    expect(t.api.held(b())).toBeUndefined();
    expect(t.api.held(a())?.description).toBe('v2');
    expect(t.api.count('delete', 'b')).toBe(1);
    expect(t.lines.some((l) => l.fixed === true)).toBe(true);
  });

  it('under --prune, never deletes a resource that is gone for one read and back by the confirming read (a file caught half-written)', async () => {
    const t = setup([a(), b(), store()], { prune: true });
    await t.started();
    t.api.calls.length = 0;
    // b's file is emptied (an editor's save in two steps): the read misses b.
    await t.change([a(), store()], 'manifests/keys/b.yaml');
    expect(t.lines.some((l) => l.name === 'b' && l.confirming === true)).toBe(true);
    // More events keep the confirming read waiting: it needs a whole quiet period.
    await t.clock.advance(200);
    t.rec.activity();
    await t.clock.advance(200);
    expect(t.cycles().at(-1)?.trigger).toBe('change');
    // The rest of the file lands before the confirming read: nothing was deleted or written.
    t.set([a(), b(), store()]);
    await t.confirm();
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'confirm', result: 'ok', writes: 0 });
    expect(t.api.calls.filter((c) => c.method !== 'get')).toEqual([]);
    expect(t.api.held(b())).toBeDefined();
    expect(t.lines.some((l) => l.name === 'b' && l.msg.includes('back in the manifests'))).toBe(true);
    // Nothing is left waiting: no further confirming read runs.
    const n = t.cycles().length;
    await t.clock.advance(5_000);
    expect(t.cycles()).toHaveLength(n);
  });

  it('under --prune, deletes a real removal at the confirming read, one quiet period after the read that missed it', async () => {
    const t = setup([a(), b(), store()], { prune: true });
    await t.started();
    const t0 = t.clock.now();
    await t.change([a(), store()], 'manifests/keys/b.yaml');
    expect(t.api.count('delete', 'b')).toBe(0);
    await t.confirm();
    expect(t.api.count('delete', 'b')).toBe(1);
    expect(t.clock.now() - t0).toBeLessThanOrEqual(300);
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'confirm', result: 'ok', writes: 1 });
  });

  it('under --prune, a confirming read that waited behind a cycle while files changed confirms nothing yet', async () => {
    const t = setup([a(), b(), store()], { prune: true });
    await t.started();
    await t.change([a(), store()], 'manifests/keys/b.yaml');
    // A change cycle is in flight (its GET held) when the confirming read falls due.
    const release = t.api.hold();
    t.set([a('v2'), store()]);
    t.rec.filesChanged(['manifests/keys/a.yaml']);
    await t.clock.settle();
    await t.clock.advance(300);
    t.rec.activity(); // b's file is being written again
    release();
    await t.rec.idle();
    expect(t.api.count('delete', 'b')).toBe(0);
    await t.confirm();
    expect(t.api.count('delete', 'b')).toBe(1);
  });

  it('under --prune, a resync that misses a managed resource (or finds an object no manifest declares) deletes only after the confirming read', async () => {
    const t = setup([a(), b(), store()], { prune: true, resyncMs: 60_000 });
    await t.started();
    t.api.put(aKey({ name: 'stray' }));
    t.set([a(), store()]); // b's file is being rewritten when the resync reads the tree
    await t.clock.advance(60_000);
    await t.rec.idle();
    expect(t.cycles().at(-1)?.trigger).toBe('resync');
    expect(t.api.count('delete')).toBe(0);
    // b is back by the confirming read; the stray object is still there: only it is deleted.
    t.set([a(), b(), store()]);
    await t.confirm();
    expect(t.api.count('delete', 'b')).toBe(0);
    expect(t.api.count('delete', 'stray')).toBe(1);
    expect(t.api.held(b())).toBeDefined();
  });

  it('refuses more deletes than --max-deletes and says how to allow them', async () => {
    const c = aKey({ name: 'c' });
    const t = setup([a(), b(), c, store()], { prune: true, maxDeletes: 1 });
    await t.started();
    await t.change([a(), store()]);
    await t.confirm();
    expect(t.api.count('delete')).toBe(0);
    expect(t.cycles().at(-1)).toMatchObject({ result: 'failed' });
    expect(t.rec.health().reason).toContain(
      'more than --max-deletes 1; no delete was sent. If intended, restart with --max-deletes 2',
    );
  });

  it('corrects drift at the resync and counts it; with --drift warn only reports it, at every resync', async () => {
    for (const drift of ['correct', 'warn'] as const) {
      const t = setup([a(), store()], { drift, resyncMs: 60_000 });
      await t.started();
      t.api.put(a('changed in the UI'));
      t.api.remove(store());
      await t.clock.advance(60_000);
      await t.rec.idle();
      const reported = t.lines.filter((l) => l.drift === true);
      expect(reported.map((l) => `${String(l.name)} ${String(l.action)} ${String(l.corrected)}`).sort()).toEqual([
        `a update ${drift === 'correct'}`,
        `s create ${drift === 'correct'}`,
      ]);
      expect(t.cycles().at(-1)).toMatchObject({ trigger: 'resync', drift: 2 });
      expect(t.rec.metrics().driftFound).toBe(2);
      if (drift === 'correct') {
        expect(t.api.held(a())?.description).toBe('v1');
        expect(t.api.held(store())).toBeDefined();
        expect(reported.find((l) => l.name === 'a')?.msg).toBe('drift: Key Payments/a: description; correcting it');
      } else {
        expect(t.api.held(a())?.description).toBe('changed in the UI');
        await t.clock.advance(60_000);
        await t.rec.idle();
        expect(t.rec.metrics().driftFound).toBe(4);
        // A Git change is still applied in warn mode.
        await t.change([a('v2'), store()]);
        expect(t.api.held(a())?.description).toBe('v2');
      }
    }
  });

  it('retries a failed write after its backoff, without holding up another resource, and converges', async () => {
    const t = setup([a(), b()]);
    await t.started();
    const heal = t.api.fail({ method: 'update', name: 'a', error: 'server', status: 500 });
    await t.change([a('v2'), b()]);
    expect(t.cycles().at(-1)).toMatchObject({ result: 'failed', failures: 1 });
    expect(t.rec.metrics().retriesPending).toBe(1);
    // b is not held up by a.
    await t.change([a('v2'), b('v2')], 'manifests/keys/b.yaml');
    expect(t.api.held(b())?.description).toBe('v2');
    expect(t.api.count('update', 'a')).toBe(1); // a's backoff (0.75 s with this jitter) has not passed
    // The retry timer fires by itself; still failing, the next delay doubles.
    await t.clock.advance(1_000);
    await t.rec.idle();
    expect(t.api.count('update', 'a')).toBe(2);
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'retry', result: 'failed' });
    heal();
    await t.clock.advance(2_000);
    await t.rec.idle();
    expect(t.api.held(a())?.description).toBe('v2');
    expect(t.rec.metrics().retriesPending).toBe(0);
    expect(t.rec.health().healthy).toBe(true);
    expect(t.clock.pending()).toEqual([300_000 - 3_000]); // only the resync is armed
  });

  it('retries the start when the server cannot be read, then applies', async () => {
    const t = setup([a()]);
    const heal = t.api.fail({ method: 'environments', error: 'network', status: null });
    await t.started();
    expect(t.cycles().at(-1)).toMatchObject({ trigger: 'start', result: 'failed' });
    heal();
    await t.clock.advance(1_000);
    await t.rec.idle();
    expect(t.api.held(a())).toBeDefined();
    expect(t.cycles().at(-1)).toMatchObject({ result: 'ok' });
  });

  it('redeploys a resource whose deployment failed, as an update, until it succeeds', async () => {
    const t = setup([a(), b()]);
    await t.started();
    t.api.failDeploymentTo.add('production');
    await t.change([a(), b('v2')], 'manifests/keys/b.yaml');
    expect(t.lines.some((l) => l.name === 'b' && l.outcome === 'not-deployed')).toBe(true);
    t.api.failDeploymentTo.clear();
    await t.clock.advance(1_000);
    await t.rec.idle();
    const ok = t.lines.find((l) => l.name === 'b' && l.outcome === 'ok' && l.action === 'update');
    expect(ok?.msg).toBe('Key Payments/b: updated');
    expect(t.api.count('update', 'b')).toBe(2);
    expect(t.rec.health().healthy).toBe(true);
  });

  it('reloads only on a change: a retry reuses the last good state; no secret reaches a log line', async () => {
    const t = setup([a(), b()]);
    await t.started();
    expect(t.loads()).toBe(1);
    t.api.fail({ method: 'update', name: 'a', times: 1 });
    await t.change([a('v2'), b()]);
    await t.clock.advance(1_000);
    await t.rec.idle();
    expect(t.loads()).toBe(2);
    expect(t.api.held(a())?.description).toBe('v2');
    const all = JSON.stringify(t.lines);
    for (const needle of secretNeedles()) expect(all.includes(needle)).toBe(false);
  });
});
