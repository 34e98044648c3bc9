// examples/ci/gitlab-ci.yml run for real: each job's script in bash -eo pipefail (as the GitLab
// runner does), in a checkout whose node_modules holds this package (as `npm ci` would install
// it), against the emulator and a fake GitLab API. before_script (npm ci) is skipped.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { PLAN_MARKER } from '../../src/ci/pr-comment.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { runBash } from '../support/process.js';
import { startFakeForge, type FakeForge } from './fake-forge.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
interface Job {
  stage: string;
  script: string[];
  rules: { if: string }[];
  artifacts?: { paths: string[] };
}
const PIPELINE = parse(readFileSync(join(ROOT, 'examples/ci/gitlab-ci.yml'), 'utf8')) as Record<string, unknown> & {
  variables: Record<string, string>;
};
const GL_TOKEN = 'glpat-EXAMPLEtokenNEVERshown';
const PUBLIC_KEY = Buffer.from('GITLAB-EXAMPLE-PUBLIC-KEY').toString('base64');

async function runJob(
  name: string,
  cwd: string,
  env: Record<string, string>,
): Promise<{ status: number | null; log: string }> {
  const job = PIPELINE[name] as Job;
  const run = await runBash(job.script.join('\n'), {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...PIPELINE.variables, ...env },
  });
  return { status: run.code, log: run.stdout + run.stderr };
}

describe('examples/ci/gitlab-ci.yml', () => {
  const emulator = useEmulator();
  let forge: FakeForge;
  beforeEach(async () => {
    forge = await startFakeForge();
  });
  afterEach(async () => {
    await forge.close();
  });

  it('runs plan on merge requests (rules) and apply on the default branch, with the plan kept as an artifact', () => {
    const plan = PIPELINE['apinizer-plan'] as Job;
    const apply = PIPELINE['apinizer-apply'] as Job;
    expect(plan.rules[0]?.if).toContain('merge_request_event');
    expect(apply.rules[0]?.if).toContain('$CI_DEFAULT_BRANCH');
    expect(plan.artifacts?.paths).toEqual(['plan.json']);
  });

  it(
    'writes one merge-request note with the plan, then applies the merged request plan with --plan',
    { timeout: 90_000 },
    async () => {
      const checkout = tempTree({
        'gitops/keys/gitlab-demo.yaml': `apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: gitlab-demo\n  project: Payments\nspec:\n  keyType: EC\n  environments:\n    - name: test\n      publicKey: ${PUBLIC_KEY}\n`,
      });
      // What `npm ci` leaves behind when apinizer-gitops is a devDependency.
      mkdirSync(join(checkout, 'node_modules/.bin'), { recursive: true });
      symlinkSync(ROOT, join(checkout, 'node_modules/apinizer-gitops'));
      symlinkSync(join(ROOT, 'bin/apinizer-gitops.js'), join(checkout, 'node_modules/.bin/apinizer-gitops'));
      const env = {
        APINIZER_URL: emulator().url,
        APINIZER_TOKEN: emulator().token,
        GITLAB_TOKEN: GL_TOKEN,
        GITLAB_CI: 'true',
        CI_API_V4_URL: `${forge.url}/api/v4`,
        CI_PROJECT_ID: '123',
        CI_PIPELINE_URL: 'https://gitlab.example/g/p/-/pipelines/8',
        npm_config_update_notifier: 'false',
      };

      const mr = { ...env, CI_MERGE_REQUEST_IID: '5', CI_COMMIT_SHA: 'mrhead' };
      const planned = await runJob('apinizer-plan', checkout, mr);
      expect(planned.status, planned.log).toBe(0);
      expect(forge.comments).toHaveLength(1);
      expect(forge.comments[0]!.body.startsWith(PLAN_MARKER)).toBe(true);
      expect(forge.comments[0]!.body).toContain('gitlab-demo');
      const again = await runJob('apinizer-plan', checkout, mr);
      expect(again.status, again.log).toBe(0);
      expect(forge.comments).toHaveLength(1); // updated in place
      const planJson = readFileSync(join(checkout, 'plan.json'), 'utf8');
      for (const text of [planned.log, again.log, forge.comments[0]!.body, planJson]) {
        expect(text).not.toContain(GL_TOKEN);
        expect(text).not.toContain(PUBLIC_KEY);
      }

      // Merged: the default-branch pipeline fetches the request's plan.json and applies it.
      forge.gitlab.mrs = [{ iid: 5, state: 'merged', sha: 'mrhead' }];
      forge.gitlab.pipelines = [{ id: 40, sha: 'mrhead' }];
      forge.gitlab.jobs = { 40: [{ id: 3, name: 'apinizer-plan', status: 'success' }] };
      forge.gitlab.files = { 3: planJson };
      writeFileSync(join(checkout, 'plan.json'), ''); // a fresh checkout has no plan.json of its own
      const applied = await runJob('apinizer-apply', checkout, {
        ...env,
        CI_COMMIT_SHA: 'mergecommit',
        CI_COMMIT_BRANCH: 'main',
        CI_DEFAULT_BRANCH: 'main',
      });
      expect(applied.status, applied.log).toBe(0);
      expect(applied.log).toContain('Applying the plan reviewed on the merge request');
      expect(emulator().store.get('Payments', 'Key', 'gitlab-demo')).toBeDefined();
      expect(applied.log).not.toContain(GL_TOKEN);
    },
  );
});
