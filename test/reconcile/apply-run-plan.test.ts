// computePlan / readPlan (the I/O orchestration plan, apply and watch share) in-process against the
// emulator over real HTTP with the real client: the request budget, and the stages it stops at.
import { beforeEach, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import { computePlan } from '../../src/reconcile/run-plan.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, manifestFiles, SECRETS } from '../cli/apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });
const env = { APPLY_TEST_PRIVATE_KEY: SECRETS.privateKey };

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

function client() {
  return createApiClient({ server: emulator().url, auth: { token: TOKEN } });
}

const options = (cwd: string) => ({
  cwd,
  env,
  prune: false,
  allowEmptyPrune: false,
  extraProjects: [],
  server: emulator().url,
});

describe('computePlan', () => {
  it('plans with one environments call per project and one list per (project, kind)', async () => {
    const dir = tempTree(manifestFiles());
    const api = client();
    const outcome = await computePlan(['manifests'], api, options(dir));
    await api.close();
    expect(outcome.ok && outcome.stage).toBe('planned');
    expect(outcome.plan?.summary).toEqual({ create: 5, update: 0, delete: 0, noop: 0 });
    expect(outcome.load.files).toEqual(['manifests/keys.yaml', 'manifests/keystores.yaml']);
    expect(emulator().stats().byRoute).toEqual({
      // The generation probe (404 on a legacy server), then the legacy environments path.
      'GET /apiops/projects/{project}/environments/': 1,
      'GET /apiops/environments/{project}': 1,
      'GET /apiops/projects/{project}/keys/': 1,
      'GET /apiops/projects/{project}/keystores/': 1,
    });
  });

  it('sends the environments and every list in one round, not one after the other', async () => {
    const dir = tempTree(manifestFiles());
    emulator().configure({ latencyMs: 30 });
    const api = client();
    try {
      const outcome = await computePlan(['manifests'], api, options(dir));
      expect(outcome.stage).toBe('planned');
    } finally {
      emulator().configure({ latencyMs: 0 });
      await api.close();
    }
    // With 30 ms latency the three reads overlap only if they were sent together.
    expect(emulator().stats().maxInFlight).toBe(3);
  });

  it('sends the lists with the generation probe, before the legacy environments call that waits for its answer', async () => {
    const dir = tempTree(manifestFiles());
    emulator().configure({ latencyMs: 30 });
    const api = client();
    try {
      expect((await computePlan(['manifests'], api, options(dir))).stage).toBe('planned');
    } finally {
      emulator().configure({ latencyMs: 0 });
      await api.close();
    }
    // In order of arrival: the list paths are the same in both generations, so they need not wait.
    const arrived = emulator()
      .requests()
      .map((r) => r.route);
    expect(arrived[0]).toBe('GET /apiops/projects/{project}/environments/');
    expect(arrived.slice(1, 3).sort()).toEqual([
      'GET /apiops/projects/{project}/keys/',
      'GET /apiops/projects/{project}/keystores/',
    ]);
    expect(arrived[3]).toBe('GET /apiops/environments/{project}');
  });

  it('stops at load with the diagnostics and makes no call when a manifest is invalid', async () => {
    const dir = tempTree({ ...manifestFiles(), 'manifests/bad.yaml': 'kind: Nope\n' });
    const api = client();
    const outcome = await computePlan(['manifests'], api, options(dir));
    await api.close();
    expect(outcome.ok).toBe(false);
    expect(outcome.stage).toBe('load');
    expect(outcome.plan?.actions).toEqual([]);
    expect(outcome.plan?.diagnostics.some((d) => d.file === 'manifests/bad.yaml')).toBe(true);
    expect(emulator().stats().total).toBe(0);
  });

  it('stops at preflight on an unknown environment, the lists read in the same round and nothing planned', async () => {
    const dir = tempTree(manifestFiles({ environment: 'moon' }));
    const api = client();
    const outcome = await computePlan(['manifests'], api, options(dir));
    await api.close();
    expect(outcome.stage).toBe('preflight');
    expect(outcome.plan?.diagnostics.map((d) => d.code)).toContain('unknown-environment');
    expect(outcome.plan?.actions).toEqual([]);
    expect(emulator().stats().writes).toBe(0);
    expect(Object.keys(emulator().stats().byRoute).sort()).toEqual([
      'GET /apiops/environments/{project}',
      'GET /apiops/projects/{project}/environments/',
      'GET /apiops/projects/{project}/keys/',
      'GET /apiops/projects/{project}/keystores/',
    ]);
  });

  it('returns the API error and what it was reading when a call fails', async () => {
    const dir = tempTree(manifestFiles());
    const api = createApiClient({ server: emulator().url, auth: { token: 'wrong' } });
    const outcome = await computePlan(['manifests'], api, options(dir));
    await api.close();
    expect(outcome.ok).toBe(false);
    if (outcome.ok || outcome.plan !== null) throw new Error('expected an API failure');
    expect(outcome.error.kind).toBe('unauthorized');
    expect(outcome.what).toBe('the environments of project Payments');
  });
});
