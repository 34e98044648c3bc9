// The client against every emulator switch that stands for an answer Apinizer's own files allow
// (SPEC §5, §8), in both API generations and both dialects: each deployment answer shape with a
// failed environment (reported `not-deployed`, naming it), an update whose removed environment the
// server merges back (reported `failed`, saying so and how to remove it by hand), and the removal
// of an alias showing in the plan. Real CLI, in process, against the real emulator over HTTP.
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DEPLOYMENT_SHAPES } from '../../src/emulator/dialect.js';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { runCliInProcess } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';

const TOKEN = 'tok-deployment-answers-9Qx2';
const MATERIAL = {
  production: randomBytes(32).toString('base64'),
  staging: randomBytes(32).toString('base64'),
};
type Generation = 'legacy' | 'current';

/** One Key over the given environments, in the manifest form of the generation. */
function manifest(generation: Generation, environments: readonly ('production' | 'staging')[], alias = true): string {
  const envs = environments
    .map((e) =>
      generation === 'legacy'
        ? `    - name: ${e}\n      publicKey: ${MATERIAL[e]}\n`
        : `    - name: ${e}\n      content: ${MATERIAL[e]}\n${alias ? `      alias: ${e}-alias\n` : ''}`,
    )
    .join('');
  const type = generation === 'legacy' ? 'keyType: RSA' : 'keyType: SECRET_KEY\n  algorithm: AES';
  return `apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: signing\n  project: Payments\nspec:\n  ${type}\n  environments:\n${envs}`;
}

let running: RunningEmulator | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
});

async function emulator(options: EmulatorOptions): Promise<RunningEmulator> {
  running = await startEmulator({ token: TOKEN, port: 0, ...options });
  return running;
}

async function cli(emu: RunningEmulator, dir: string, args: string[]) {
  const run = await runCliInProcess([...args, '--skip-material-checks', join(dir, 'm')], {
    cwd: dir,
    env: { APINIZER_URL: emu.url, APINIZER_TOKEN: TOKEN },
  });
  for (const secret of [TOKEN, ...Object.values(MATERIAL)]) {
    expect(run.stdout + run.stderr).not.toContain(secret);
  }
  return run;
}

interface ReportJson {
  results: {
    outcome: string;
    deployment: { environment: string; success: boolean; message: string }[];
    error: { kind: string; message: string; hint: string } | null;
  }[];
}

function report(stdout: string): ReportJson['results'][number] {
  const parsed = JSON.parse(stdout) as ReportJson;
  const only = parsed.results[0];
  if (!only) throw new Error(`no result in ${stdout}`);
  return only;
}

describe.each(['legacy', 'current'] as const)('%s generation', (generation) => {
  describe.each(DEPLOYMENT_SHAPES)('deployment answers in the %s shape', (deploymentShape) => {
    it.each(['documented', 'status'] as const)('reports a failed environment by name (%s dialect)', async (dialect) => {
      const emu = await emulator({ generation, dialect, deploymentShape, failDeploymentTo: ['staging'] });
      const dir = tempTree({ 'm/key.yaml': manifest(generation, ['production', 'staging']) });

      const failed = await cli(emu, dir, ['apply', '--format', 'json']);
      expect(failed.code, failed.stderr).toBe(1);
      const result = report(failed.stdout);
      expect(result.outcome).toBe('not-deployed');
      expect(result.error?.kind).toBe('not-deployed');
      expect(result.error?.message).toMatch(/not deployed to staging: .*staging/);
      expect(result.deployment.filter((d) => !d.success).map((d) => d.environment)).toEqual(['staging']);

      // Saved all the same: once the environment is healthy, a redeploy succeeds and nothing is left.
      emu.configure({ failDeploymentTo: [] });
      const again = await cli(emu, dir, ['apply', '--redeploy', '--format', 'json']);
      expect(again.code, again.stderr).toBe(0);
      expect(report(again.stdout).outcome).toBe('ok');
      const plan = await cli(emu, dir, ['plan', '--detailed-exitcode']);
      expect(plan.code, plan.stdout).toBe(0);
    });
  });

  it('says when the server kept an environment the update left out, and how to remove it', async () => {
    const emu = await emulator({ generation, mergeEnvironments: true });
    const dir = tempTree({ 'm/key.yaml': manifest(generation, ['production', 'staging']) });
    expect((await cli(emu, dir, ['apply'])).code).toBe(0);

    writeFileSync(join(dir, 'm/key.yaml'), manifest(generation, ['production']));
    const applied = await cli(emu, dir, ['apply', '--format', 'json']);
    expect(applied.code).toBe(1);
    const result = report(applied.stdout);
    expect(result.outcome).toBe('failed');
    expect(result.error?.kind).toBe('kept-by-server');
    expect(result.error?.message).toContain('the server kept environment staging');
    expect(result.error?.hint).toMatch(/by hand .*Manager/);
    // The text report says it too, not only the JSON.
    const text = await cli(emu, dir, ['apply']);
    expect(text.code).toBe(1);
    expect(text.stdout + text.stderr).toContain('kept environment staging');
  });

  it('removes an environment on a server that replaces the list, and converges', async () => {
    const emu = await emulator({ generation });
    const dir = tempTree({ 'm/key.yaml': manifest(generation, ['production', 'staging']) });
    expect((await cli(emu, dir, ['apply'])).code).toBe(0);
    writeFileSync(join(dir, 'm/key.yaml'), manifest(generation, ['production']));
    const applied = await cli(emu, dir, ['apply', '--format', 'json']);
    expect(applied.code, applied.stdout).toBe(0);
    expect(report(applied.stdout).outcome).toBe('ok');
    expect((await cli(emu, dir, ['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});

describe('alias (current generation)', () => {
  it.each([false, true])('removing one is a change in the plan, applied (merge: %s)', async (mergeEnvironments) => {
    const emu = await emulator({ generation: 'current', mergeEnvironments });
    const dir = tempTree({ 'm/key.yaml': manifest('current', ['production']) });
    expect((await cli(emu, dir, ['apply'])).code).toBe(0);

    writeFileSync(join(dir, 'm/key.yaml'), manifest('current', ['production'], false));
    const plan = await cli(emu, dir, ['plan', '--format', 'json', '--detailed-exitcode']);
    expect(plan.code).toBe(2);
    const changes = (JSON.parse(plan.stdout) as { actions: { changes: unknown[] }[] }).actions[0]?.changes;
    expect(changes).toEqual([{ path: 'environments.production.alias', before: 'production-alias', sensitive: false }]);
    expect((await cli(emu, dir, ['apply'])).code).toBe(0);
    expect((await cli(emu, dir, ['plan', '--detailed-exitcode'])).code).toBe(0);
  });
});
