// The emulator speaks the answers Apinizer's own files allow (SPEC §8): with `--generation current`
// errors default to the current pages' shape (HTTP 400 `status: FAILURE` / `resultMessage`, a
// missing key included) unless a dialect is chosen; environments report `PUBLISHED`; writes
// answer in each deployment shape; an update can merge the environment list instead of replacing.
import { afterEach, describe, expect, it } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { currentSecretKeyBody } from './builders.js';
import { call } from './http.js';

const KEYS = '/apiops/projects/Payments/keys/';
let running: RunningEmulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});
async function emulator(options: EmulatorOptions): Promise<RunningEmulator> {
  running = await startEmulator({ port: 0, ...options });
  return running;
}

describe('current generation defaults', () => {
  it('answers a missing key with HTTP 400 status FAILURE and resultMessage, unless --dialect documented', async () => {
    const current = await emulator({ generation: 'current' });
    const missing = await call(current, 'GET', `${KEYS}nope/`);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ status: 'FAILURE', resultMessage: 'Key (name: nope) is not found!' });
    const envs = await call(current, 'GET', '/apiops/projects/Payments/environments/');
    const statuses = (envs.body?.resultList as { status: string }[]).map((e) => e.status);
    expect(new Set(statuses)).toEqual(new Set(['PUBLISHED']));
    await running?.close();

    const documented = await emulator({ generation: 'current', dialect: 'documented' });
    const again = await call(documented, 'GET', `${KEYS}nope/`);
    expect(again.status).toBe(404);
    expect(again.body?.error).toBe('not_found');
  });
});

describe('deployment shapes and merge-on-update', () => {
  const body = (environments: string[]) => currentSecretKeyBody('k', environments);

  it.each([
    ['prose', (b: Record<string, unknown>) => (b.deploymentResult as Record<string, unknown>).environmentResults],
    ['openapi', (b: Record<string, unknown>) => b.detailList],
    ['openapi-nested', (b: Record<string, unknown>) => (b.deploymentResult as Record<string, unknown>).detailList],
  ] as const)('%s: the failed environment is in its entry list', async (deploymentShape, entries) => {
    const e = await emulator({ generation: 'current', deploymentShape, failDeploymentTo: ['staging'] });
    const created = await call(e, 'POST', KEYS, { body: body(['production', 'staging']) });
    expect(created.status).toBe(200);
    const list = entries(created.body as Record<string, unknown>) as Record<string, unknown>[];
    const failed = list.filter((x) => x.success === false).map((x) => x.environmentName ?? x.envName);
    expect(failed).toEqual(['staging']);
  });

  it('summary: only a verdict and a message naming the environment, HTTP 200, the object saved', async () => {
    const e = await emulator({ generation: 'current', deploymentShape: 'summary', failDeploymentTo: ['staging'] });
    const created = await call(e, 'POST', KEYS, { body: body(['production', 'staging']) });
    expect(created.status).toBe(200);
    expect(created.body?.status).toBe('FAILURE');
    expect(created.body?.resultMessage).toMatch(/environment staging failed/);
    expect(e.store.get('Payments', 'Key', 'k')).toBeDefined();
  });

  it('merges an update environment list when asked, replaces it otherwise', async () => {
    for (const mergeEnvironments of [true, false]) {
      const e = await emulator({ generation: 'current', mergeEnvironments });
      await call(e, 'POST', KEYS, { body: body(['production', 'staging']) });
      const put = await call(e, 'PUT', `${KEYS}k/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`, {
        body: body(['production']),
      });
      expect(put.status).toBe(200);
      const read = await call(e, 'GET', `${KEYS}k/`);
      const envs = ((read.body?.resultList as Record<string, unknown>[])[0]?.cryptoKeyInfoEnvironmentList ?? []) as {
        environmentName: string;
      }[];
      expect(envs.map((x) => x.environmentName).sort()).toEqual(
        mergeEnvironments ? ['production', 'staging'] : ['production'],
      );
      await running?.close();
      running = undefined;
    }
  });
});
