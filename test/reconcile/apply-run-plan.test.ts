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

const options = (cwd: string) => ({ cwd, env, prune: false, allowEmptyPrune: false, extraProjects: [], server: emulator().url });

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

  it('stops at preflight on an unknown environment, without listing', async () => {
    const dir = tempTree(manifestFiles({ environment: 'moon' }));
    const api = client();
    const outcome = await computePlan(['manifests'], api, options(dir));
    await api.close();
    expect(outcome.stage).toBe('preflight');
    expect(outcome.plan?.diagnostics.map((d) => d.code)).toContain('unknown-environment');
    expect(Object.keys(emulator().stats().byRoute)).toEqual(['GET /apiops/projects/{project}/environments/', 'GET /apiops/environments/{project}']);
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
