// applyPlan as a pure unit: an in-memory ResourceActions stands in for the API so every branch of
// SPEC §5 (switches, deployment failures, 401 stop, signals, adaptive concurrency) is exercised
// exactly. The same behaviour over real HTTP is covered in test/cli/apply*.test.ts.
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ApiError, type Result, type ResourceActions, type WriteQuery, type WriteResult } from '../../src/api/types.js';
import { type CurrentResource, type DesiredResource, type Kind, type ResourceId } from '../../src/model.js';
import { applyPlan, refusedReport, schedule, summarise } from '../../src/reconcile/apply.js';
import { renderReportText } from '../../src/reconcile/render/text.js';
import { createAdaptiveLimiter } from '../../src/reconcile/concurrency.js';
import type { ActionType, Plan, PlanAction } from '../../src/reconcile/types.js';
import { aKey, aKeystore, currentOf, secretNeedles } from '../support/builders.js';

type Call = { method: 'create' | 'update' | 'delete'; kind: Kind; name: string; options?: WriteQuery };

interface FakeOptions {
  /** Names the server already holds (create answers already-exists). */
  existing?: string[];
  /** Fail these names' writes with this error kind. */
  failures?: Record<string, ApiError['kind']>;
  /** Fail only the first N writes of these names (with the kind in `failures`). */
  failTimes?: Record<string, number>;
  /** Environments whose deployment reports success:false. */
  failDeploymentTo?: string[];
  /** Milliseconds each write takes. */
  latencyMs?: number;
  /** Called when a write starts (e.g. to abort a signal mid-run). */
  onCall?: (call: Call) => void;
  /** Writes of these names never answer until released. */
  hang?: string[];
}

/** An in-memory API: a set of names, a call log, and the in-flight high-water mark. */
function fakeApi(options: FakeOptions = {}) {
  const held = new Set(options.existing ?? []);
  const calls: Call[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const err = (kind: ApiError['kind'], status: number | null, message: string): Result<WriteResult> => ({
    ok: false,
    error: new ApiError(kind, status, null, message, `hint for ${kind}`, 'X /apiops/', 1),
  });
  const answer = async (call: Call, fn: () => Result<WriteResult>): Promise<Result<WriteResult>> => {
    calls.push(call);
    options.onCall?.(call);
    inFlight += 1;
    maxInFlight = Math.max(maxInFlight, inFlight);
    try {
      if (options.hang?.includes(call.name)) await new Promise(() => undefined);
      await new Promise((r) => setTimeout(r, options.latencyMs ?? 1));
      const failure = options.failures?.[call.name];
      const times = options.failTimes?.[call.name];
      if (failure && times !== undefined) options.failTimes = { ...options.failTimes, [call.name]: times - 1 };
      if (failure && (times === undefined || times > 0))
        return err(failure, failure === 'unauthorized' ? 401 : 500, `${failure} for ${call.name}`);
      return fn();
    } finally {
      inFlight -= 1;
    }
  };
  const deployed = (r: DesiredResource | ResourceId): Result<WriteResult> => ({
    ok: true,
    value: {
      deployment: ('environments' in r ? r.environments.map((e) => e.name) : ['production']).map((environment) => {
        const fails = options.failDeploymentTo?.includes(environment) ?? false;
        return { environment, success: !fails, message: fails ? 'gateway unreachable' : 'Deployed successfully' };
      }),
    },
  });
  const actions: ResourceActions = {
    list: () => Promise.resolve({ ok: true, value: [] as CurrentResource[] }),
    get: () => Promise.resolve({ ok: true, value: null }),
    environments: () => Promise.resolve({ ok: true, value: ['production', 'test'] }),
    generation: () => Promise.resolve({ ok: true, value: 'legacy' }),
    exportMaterial: () => Promise.resolve({ ok: true, value: Buffer.alloc(0) }),
    create: (r) =>
      answer({ method: 'create', kind: r.kind, name: r.name }, () => {
        if (held.has(r.name)) return err('already-exists', 400, `Key (name: ${r.name}) is already exist!`);
        held.add(r.name);
        return deployed(r);
      }),
    update: (r, o) =>
      answer(
        { method: 'update', kind: r.kind, name: r.name, ...(o && Object.keys(o).length > 0 ? { options: o } : {}) },
        () => {
          if (!held.has(r.name)) return err('not-found', 404, 'not found');
          return deployed(r);
        },
      ),
    delete: (id) =>
      answer({ method: 'delete', kind: id.kind, name: id.name }, () => {
        if (!held.delete(id.name)) return err('not-found', 404, 'not found');
        return deployed(id);
      }),
  };
  return { actions, calls, held, maxInFlight: () => maxInFlight };
}

/** A plan action for a desired resource (or a delete of an id). */
function act(action: ActionType, r: DesiredResource): PlanAction {
  return {
    action,
    kind: r.kind,
    project: r.project,
    name: r.name,
    changes: [],
    unknownFields: [],
    fingerprints: { desired: null, current: null },
    ...(action === 'delete' ? { current: currentOf(r) } : { desired: r, source: r.source }),
    ...(action === 'update' || action === 'noop' ? { current: currentOf(r) } : {}),
  };
}

function planOf(...actions: PlanAction[]): Plan {
  const count = (t: ActionType) => actions.filter((a) => a.action === t).length;
  return {
    actions,
    summary: { create: count('create'), update: count('update'), delete: count('delete'), noop: count('noop') },
    warnings: [],
    diagnostics: [],
    server: 'http://127.0.0.1:1',
    createdAt: new Date(0).toISOString(),
  };
}

const key = (name: string, extra: Partial<Parameters<typeof aKey>[0]> = {}) => aKey({ name, ...extra });
const keystore = (name: string) => aKeystore({ name });
const base = { concurrency: 4, server: 'http://127.0.0.1:1' };

describe('applyPlan', () => {
  it('writes creates, updates and deletes, leaves noops alone, and counts what happened', async () => {
    const api = fakeApi({ existing: ['k-update', 'k-noop', 'k-gone'] });
    const plan = planOf(
      act('create', key('k-new')),
      act('update', key('k-update')),
      act('noop', key('k-noop')),
      act('delete', key('k-gone')),
    );
    const report = await applyPlan(plan, api.actions, base);
    expect(report.results.map((r) => [r.name, r.action, r.outcome, r.switchedTo])).toEqual([
      ['k-new', 'create', 'ok', null],
      ['k-update', 'update', 'ok', null],
      ['k-noop', 'noop', 'ok', null],
      ['k-gone', 'delete', 'ok', null],
    ]);
    expect(report.summary).toEqual({
      created: 1,
      updated: 1,
      deleted: 1,
      unchanged: 1,
      failed: 0,
      notDeployed: 0,
      skipped: 0,
    });
    expect(api.calls.map((c) => `${c.method} ${c.name}`).sort()).toEqual([
      'create k-new',
      'delete k-gone',
      'update k-update',
    ]);
    expect(report.interrupted).toBe(false);
    expect(report.results[0]?.deployment).toEqual([
      { environment: 'production', success: true, message: 'Deployed successfully' },
      { environment: 'test', success: true, message: 'Deployed successfully' },
    ]);
  });

  it('writes Keys and Keystores side by side (they depend on nothing), and deletes only after every write', async () => {
    const api = fakeApi({ existing: ['k-del', 's-del'], latencyMs: 5 });
    const plan = planOf(
      act('create', key('k1')),
      act('create', key('k2')),
      act('create', keystore('s1')),
      act('delete', keystore('s-del')),
      act('delete', key('k-del')),
    );
    // Deliberately shuffle the plan: the order is apply's business, not the plan's.
    plan.actions.reverse();
    await applyPlan(plan, api.actions, { ...base, concurrency: 8 });
    const seq = api.calls.map((c) => `${c.method} ${c.kind}`);
    expect(seq.slice(0, 3).sort()).toEqual(['create Key', 'create Key', 'create Keystore']);
    expect(seq.slice(3).sort()).toEqual(['delete Key', 'delete Keystore']);
    // No barrier between the kinds: all three creates were in flight together, then both deletes.
    expect(api.maxInFlight()).toBe(3);
  });

  it('schedules by declared dependency: dependents written after, deleted before, what they depend on', async () => {
    type W = { action: { kind: Kind }; op: 'create' | 'update' | 'delete'; id: string };
    const work: W[] = [
      { action: { kind: 'Keystore' }, op: 'create', id: '+s' },
      { action: { kind: 'Key' }, op: 'delete', id: '-k' },
      { action: { kind: 'Keystore' }, op: 'delete', id: '-s' },
      { action: { kind: 'Key' }, op: 'update', id: '~k' },
    ];
    const log: string[] = [];
    const run = async (items: W[]) => {
      log.push(`start ${items.map((i) => i.id).join(',')}`);
      await new Promise((r) => setTimeout(r, 2));
      log.push(`end ${items.map((i) => i.id).join(',')}`);
    };
    // As if a Keystore were made from a Key (a JWK from a Key would declare this).
    await schedule(work, run, (kind) => (kind === 'Keystore' ? ['Key'] : []));
    expect(log).toEqual(['start ~k', 'end ~k', 'start +s', 'end +s', 'start -s', 'end -s', 'start -k', 'end -k']);
    log.length = 0;
    // Independent kinds: both writes start at once, both deletes after both writes.
    await schedule(work, run, () => []);
    expect(log.slice(0, 2).sort()).toEqual(['start +s', 'start ~k']);
    expect(log.slice(4, 6).sort()).toEqual(['start -k', 'start -s']);
    expect(() => schedule(work, run, (kind) => (kind === 'Keystore' ? ['Key'] : ['Keystore']))).toThrow(/cycle/);
  });

  it('never has more writes in flight than the concurrency limit', async () => {
    const api = fakeApi({ latencyMs: 5 });
    const plan = planOf(...Array.from({ length: 20 }, (_, i) => act('create', key(`k${i}`))));
    const report = await applyPlan(plan, api.actions, { ...base, concurrency: 3 });
    expect(report.summary.created).toBe(20);
    expect(api.maxInFlight()).toBe(3);
  });

  it('switches a create answered "already exist" to an update, sending the write options of its kind', async () => {
    const api = fakeApi({ existing: ['k1'] });
    const plan = planOf(act('create', key('k1', { updateReferencedJwks: 'ALL_PROJECTS' })));
    const report = await applyPlan(plan, api.actions, base);
    expect(report.results[0]).toMatchObject({ action: 'create', outcome: 'ok', switchedTo: 'update', error: null });
    expect(report.summary).toMatchObject({ created: 0, updated: 1 });
    expect(api.calls).toEqual([
      { method: 'create', kind: 'Key', name: 'k1' },
      {
        method: 'update',
        kind: 'Key',
        name: 'k1',
        options: { updateReferencedJwks: 'true', updateScope: 'ALL_PROJECTS' },
      },
    ]);
  });

  it('switches an update answered 404 to a create, and counts it as created', async () => {
    const api = fakeApi();
    const report = await applyPlan(planOf(act('update', key('k1'))), api.actions, base);
    expect(report.results[0]).toMatchObject({ action: 'update', outcome: 'ok', switchedTo: 'create' });
    expect(report.summary).toMatchObject({ created: 1, updated: 0 });
    expect(api.calls.map((c) => c.method)).toEqual(['update', 'create']);
  });

  it('counts a delete answered 404 as done, but not as deleted by this run: it was already gone', async () => {
    const api = fakeApi();
    const report = await applyPlan(planOf(act('delete', key('gone'))), api.actions, base);
    expect(report.results[0]).toMatchObject({ action: 'delete', outcome: 'ok', error: null, alreadyGone: true });
    expect(report.summary).toMatchObject({ deleted: 0, unchanged: 1, failed: 0 });
    expect(renderReportText(report, { color: false })).toContain(
      '- Key Payments/gone: already gone (deleted by someone else meanwhile)',
    );
  });

  it('two applies deleting the same objects at once: each delete is claimed by one report only', async () => {
    const api = fakeApi({ existing: ['a', 'b', 'c'], latencyMs: 5 });
    const plan = planOf(act('delete', key('a')), act('delete', key('b')), act('delete', key('c')));
    const [one, two] = await Promise.all([applyPlan(plan, api.actions, base), applyPlan(plan, api.actions, base)]);
    expect(one.summary.deleted + two.summary.deleted).toBe(3);
    expect([...one.results, ...two.results].every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('a 404 after a retried delete may answer its own first attempt: counted as deleted', async () => {
    const actions: ResourceActions = {
      ...fakeApi().actions,
      delete: () =>
        Promise.resolve({
          ok: false,
          error: new ApiError('not-found', 404, null, 'not found', '', 'DELETE /apiops/x/', 2),
        }),
    };
    const report = await applyPlan(planOf(act('delete', key('k'))), actions, base);
    expect(report.results[0]?.alreadyGone).toBeUndefined();
    expect(report.summary.deleted).toBe(1);
  });

  it('reports a deployment failure as not-deployed, naming the environment and message', async () => {
    const api = fakeApi({ failDeploymentTo: ['test'] });
    const report = await applyPlan(planOf(act('create', key('k1'))), api.actions, base);
    const r = report.results[0];
    expect(r?.outcome).toBe('not-deployed');
    expect(r?.error?.message).toBe('applied, not deployed to test: gateway unreachable');
    expect(r?.error?.hint).toMatch(/--redeploy/);
    expect(report.summary).toMatchObject({ created: 0, notDeployed: 1 });
  });

  it('keeps going after one resource fails, and reports the failure with the API error', async () => {
    const api = fakeApi({ failures: { k2: 'server' } });
    const plan = planOf(...['k1', 'k2', 'k3'].map((n) => act('create', key(n))));
    const report = await applyPlan(plan, api.actions, { ...base, concurrency: 1 });
    expect(report.results.map((r) => r.outcome)).toEqual(['ok', 'failed', 'ok']);
    expect(report.results[1]?.error).toEqual({
      kind: 'server',
      status: 500,
      message: 'server for k2',
      hint: 'hint for server',
    });
    expect(report.summary).toMatchObject({ created: 2, failed: 1 });
  });

  it('gives a write that failed transiently after all its attempts one more round at the end', async () => {
    const api = fakeApi({ failures: { k1: 'server', k2: 'bad-request', k3: 'server' }, failTimes: { k1: 1, k3: 2 } });
    const progress: number[] = [];
    const report = await applyPlan(
      planOf(act('create', key('k1')), act('create', key('k2')), act('create', key('k3'))),
      api.actions,
      {
        ...base,
        onProgress: (p) => progress.push(p.done),
      },
    );
    // k1: a 500, then fine. k2: a 400 is not transient, so no second round. k3: two 500s in a row.
    expect(report.results.map((r) => [r.name, r.outcome])).toEqual([
      ['k1', 'ok'],
      ['k2', 'failed'],
      ['k3', 'failed'],
    ]);
    expect(api.calls.map((c) => c.name).sort()).toEqual(['k1', 'k1', 'k2', 'k3', 'k3']);
    expect(Math.max(...progress)).toBe(3);
  });

  it('with redeploy, sends an update for every managed resource, noops included', async () => {
    const api = fakeApi({ existing: ['k1', 'k2'] });
    const report = await applyPlan(planOf(act('noop', key('k1')), act('noop', key('k2'))), api.actions, {
      ...base,
      redeploy: true,
    });
    expect(api.calls.map((c) => `${c.method} ${c.name}`).sort()).toEqual(['update k1', 'update k2']);
    expect(report.results.map((r) => r.action)).toEqual(['update', 'update']);
    expect(report.summary).toMatchObject({ updated: 2, unchanged: 0 });
  });

  it('stops starting writes after a 401 and marks the rest skipped with the hint', async () => {
    const api = fakeApi({ failures: { k1: 'unauthorized' } });
    const plan = planOf(...['k1', 'k2', 'k3'].map((n) => act('create', key(n))));
    const report = await applyPlan(plan, api.actions, { ...base, concurrency: 1 });
    expect(api.calls.map((c) => c.name)).toEqual(['k1']);
    expect(report.results.map((r) => r.outcome)).toEqual(['failed', 'skipped', 'skipped']);
    expect(report.results[2]?.error).toMatchObject({ kind: 'unauthorized', hint: 'hint for unauthorized' });
    expect(report.summary).toMatchObject({ failed: 1, skipped: 2 });
  });

  it('on the signal starts nothing new, lets calls in flight finish, and marks the rest skipped', async () => {
    const controller = new AbortController();
    const api = fakeApi({
      latencyMs: 20,
      onCall: (c) => {
        if (c.name === 'k2') controller.abort(new Error('SIGTERM'));
      },
    });
    const plan = planOf(...Array.from({ length: 10 }, (_, i) => act('create', key(`k${i}`))));
    const report = await applyPlan(plan, api.actions, { ...base, concurrency: 2, signal: controller.signal });
    expect(report.interrupted).toBe(true);
    // k0..k2 were started (two slots); k2's start aborted the signal; what was in flight finished.
    const ok = report.results.filter((r) => r.outcome === 'ok').map((r) => r.name);
    expect(ok).toEqual(api.calls.map((c) => c.name));
    expect(ok.length).toBeGreaterThanOrEqual(2);
    const skipped = report.results.filter((r) => r.outcome === 'skipped');
    expect(skipped.length).toBe(10 - ok.length);
    expect(skipped[0]?.error?.message).toBe('not attempted: apply was interrupted (SIGTERM)');
    expect(report.summary.skipped).toBe(skipped.length);
  });

  it('after the grace period aborts calls still in flight and reports them as failed', async () => {
    const controller = new AbortController();
    let aborted = false;
    const api = fakeApi({ hang: ['k0'], onCall: () => controller.abort(new Error('SIGINT')) });
    const started = Date.now();
    const report = await applyPlan(planOf(act('create', key('k0')), act('create', key('k1'))), api.actions, {
      ...base,
      concurrency: 1,
      signal: controller.signal,
      graceMs: 50,
      abortInFlight: () => (aborted = true),
    });
    expect(aborted).toBe(true);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(report.results[0]).toMatchObject({ outcome: 'failed', error: { kind: 'aborted' } });
    expect(report.results[1]).toMatchObject({ outcome: 'skipped' });
    expect(report.interrupted).toBe(true);
  });

  it('skips everything when the signal was already aborted', async () => {
    const controller = new AbortController();
    controller.abort(new Error('SIGINT'));
    const api = fakeApi();
    const report = await applyPlan(planOf(act('create', key('k1')), act('noop', key('k2'))), api.actions, {
      ...base,
      signal: controller.signal,
    });
    expect(api.calls).toEqual([]);
    expect(report.results.map((r) => r.outcome)).toEqual(['skipped', 'ok']);
  });

  it("lends a write's slot to the next write while it waits to retry, and runs no more than the limit", async () => {
    const api = fakeApi();
    let secondStarted = () => undefined as void;
    const started = new Promise<void>((resolve) => (secondStarted = resolve));
    const order: string[] = [];
    // The client's retry waits go through `pause` (test/api/call-pause.test.ts); here the first
    // write waits, as after a 500, until the second write has been sent. Holding its slot at
    // concurrency 1, it would wait for ever.
    const actions: ResourceActions = {
      ...api.actions,
      pausing: (pause) => ({
        ...api.actions,
        create: async (resource) => {
          order.push(`send ${resource.name}`);
          if (resource.name === 'first') {
            await pause(() => started);
            order.push('first retries');
          } else secondStarted();
          return api.actions.create(resource);
        },
      }),
    };
    const plan = planOf(act('create', key('first')), act('create', key('second')));
    const report = await Promise.race([
      applyPlan(plan, actions, { ...base, concurrency: 1 }),
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the waiting write kept its slot')), 3_000)),
    ]);
    expect(report.summary.created).toBe(2);
    expect(order).toEqual(['send first', 'send second', 'first retries']);
    expect(api.maxInFlight()).toBe(1);
  });

  it('halves its concurrency when a sustained share of answers is 429', async () => {
    const limiter = createAdaptiveLimiter(8, { recoverAfter: 1_000 });
    let calls = 0;
    const api = fakeApi({
      latencyMs: 3,
      // The client reports every answer; here one in two was a 429 that a retry then cured.
      onCall: () => {
        calls += 1;
        limiter.onAnswer({ status: calls % 2 === 0 ? 429 : 200 });
      },
    });
    const plan = planOf(...Array.from({ length: 40 }, (_, i) => act('create', key(`k${i}`))));
    const report = await applyPlan(plan, api.actions, { ...base, concurrency: 8, limiter });
    expect(report.summary.created).toBe(40);
    expect(limiter.concurrency).toBe(4);
  });

  it('logs one line per resource written, without secrets', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write: (chunk: Buffer, _e, cb) => (lines.push(...chunk.toString('utf8').split('\n').filter(Boolean)), cb()),
    });
    const logger = pino({ level: 'info' }, sink);
    const api = fakeApi({ existing: ['k2', 'k3'], failures: { k3: 'bad-request' } });
    await applyPlan(
      planOf(act('create', key('k1')), act('create', key('k2')), act('update', key('k3')), act('noop', key('k4'))),
      api.actions,
      { ...base, logger },
    );
    const objs = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(objs.map((o) => [o.name, o.action, o.outcome, o.switchedTo])).toEqual(
      expect.arrayContaining([
        ['k1', 'create', 'ok', null],
        ['k2', 'create', 'ok', 'update'],
        ['k3', 'update', 'failed', null],
      ]),
    );
    expect(objs).toHaveLength(3);
    for (const o of objs) expect(typeof o.ms).toBe('number');
    const all = lines.join('\n');
    for (const needle of secretNeedles()) expect(all).not.toContain(needle);
  });
});

describe('refusedReport and summarise', () => {
  it('skips every change with the reason and keeps noops unchanged', () => {
    const plan = planOf(act('noop', key('k1')), act('delete', key('k2')));
    const report = refusedReport(
      plan,
      { kind: 'max-deletes', message: 'refused', hint: 'raise --max-deletes' },
      'http://x',
    );
    expect(report.results.map((r) => r.outcome)).toEqual(['ok', 'skipped']);
    expect(report.summary).toEqual({
      created: 0,
      updated: 0,
      deleted: 0,
      unchanged: 1,
      failed: 0,
      notDeployed: 0,
      skipped: 1,
    });
  });

  it('counts each result once', () => {
    const r = (
      action: 'create' | 'update' | 'delete' | 'noop',
      outcome: 'ok' | 'failed',
      switchedTo: 'create' | 'update' | null = null,
    ) => ({
      action,
      kind: 'Key' as const,
      project: 'P',
      name: 'n',
      outcome,
      switchedTo,
      deployment: [],
      error: null,
    });
    expect(
      summarise([
        r('create', 'ok', 'update'),
        r('update', 'ok', 'create'),
        r('delete', 'ok'),
        r('noop', 'ok'),
        r('create', 'failed'),
      ]),
    ).toEqual({
      created: 1,
      updated: 1,
      deleted: 1,
      unchanged: 1,
      failed: 1,
      notDeployed: 0,
      skipped: 0,
    });
  });
});
