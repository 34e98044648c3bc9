// The read-back after an update that removes something (SPEC §5): Apinizer does not say whether
// an update replaces or merges the environment list, so the resource is read once after such an
// update; a server that kept what was left out makes the outcome `failed` (kept-by-server) with a
// way to remove it by hand. Nothing is read back when nothing was removed, and a read-back that
// fails leaves the write's own outcome. Pure apply logic over an in-memory ResourceActions.
import { describe, expect, it } from 'vitest';
import { ApiError, type ResourceActions, type Result, type WriteResult } from '../../src/api/types.js';
import type { CurrentResource, DesiredResource } from '../../src/model.js';
import { applyPlan } from '../../src/reconcile/apply.js';
import { diffResource } from '../../src/reconcile/diff.js';
import type { Plan, PlanAction } from '../../src/reconcile/types.js';
import { aKey, currentOf } from '../support/builders.js';

const both = aKey(); // production and test
const productionOnly = aKey({ environments: both.environments.slice(0, 1) });

/** The update plan from `before` (the server's) to `desired`, changes computed by the real diff. */
function planFor(desired: DesiredResource, before: CurrentResource): Plan {
  const action: PlanAction = {
    action: 'update',
    kind: desired.kind,
    project: desired.project,
    name: desired.name,
    changes: diffResource(desired, before).changes,
    unknownFields: [],
    fingerprints: { desired: null, current: null },
    desired,
    current: before,
    source: desired.source,
  };
  return {
    actions: [action],
    summary: { create: 0, update: 1, delete: 0, noop: 0 },
    warnings: [],
    diagnostics: [],
    server: 'http://127.0.0.1:1',
    createdAt: new Date(0).toISOString(),
  };
}

/** A server whose update answers `written` and whose read answers `readBack`; counts reads. */
function server(readBack: Result<CurrentResource | null>, written?: WriteResult) {
  let reads = 0;
  const actions: ResourceActions = {
    list: () => Promise.resolve({ ok: true, value: [] }),
    get: () => {
      reads += 1;
      return Promise.resolve(readBack);
    },
    environments: () => Promise.resolve({ ok: true, value: ['production', 'test'] }),
    generation: () => Promise.resolve({ ok: true, value: 'legacy' }),
    exportMaterial: () => Promise.resolve({ ok: true, value: Buffer.alloc(0) }),
    create: () => Promise.resolve({ ok: true, value: { deployment: [] } }),
    update: () => Promise.resolve({ ok: true, value: written ?? { deployment: [] } }),
    delete: () => Promise.resolve({ ok: true, value: { deployment: [] } }),
  };
  return { actions, reads: () => reads };
}

const options = { concurrency: 1, server: 'http://127.0.0.1:1' };

describe('the read-back after an update that removes an environment', () => {
  it('fails, naming what the server kept and how to remove it by hand, when the server merged', async () => {
    const s = server({ ok: true, value: currentOf(both) });
    const report = await applyPlan(planFor(productionOnly, currentOf(both)), s.actions, options);
    const [result] = report.results;
    expect(s.reads()).toBe(1);
    expect(result?.outcome).toBe('failed');
    expect(result?.error?.kind).toBe('kept-by-server');
    expect(result?.error?.message).toContain('the server kept environment test after an update that left it out');
    expect(result?.error?.hint).toContain('Remove environment test by hand in the Apinizer Manager');
    expect(report.summary.failed).toBe(1);
  });

  it('is ok when the server replaced the list', async () => {
    const s = server({ ok: true, value: currentOf(productionOnly) });
    const report = await applyPlan(planFor(productionOnly, currentOf(both)), s.actions, options);
    expect(s.reads()).toBe(1);
    expect(report.results[0]?.outcome).toBe('ok');
  });

  it('keeps the deployment failure in the message when both happened', async () => {
    const deployment = [{ environment: 'production', success: false, message: 'gateway unreachable' }];
    const s = server({ ok: true, value: currentOf(both) }, { deployment });
    const report = await applyPlan(planFor(productionOnly, currentOf(both)), s.actions, options);
    expect(report.results[0]?.outcome).toBe('failed');
    expect(report.results[0]?.error?.message).toContain('also applied, not deployed to production');
  });

  it('leaves the write outcome when the read-back fails, and reads nothing when nothing is removed', async () => {
    const error = new ApiError('server', 500, null, 'boom', 'try later', 'GET /apiops/', 4);
    const failing = server({ ok: false, error });
    const report = await applyPlan(planFor(productionOnly, currentOf(both)), failing.actions, options);
    expect(failing.reads()).toBe(1);
    expect(report.results[0]?.outcome).toBe('ok');

    const adding = server({ ok: true, value: currentOf(both) });
    const added = await applyPlan(planFor(both, currentOf(productionOnly)), adding.actions, options);
    expect(adding.reads()).toBe(0);
    expect(added.results[0]?.outcome).toBe('ok');
  });
});
