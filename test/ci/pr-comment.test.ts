// The PR script the GitHub action and the GitLab example run, against a local fake of the forge's
// REST API: in process through its main() with the same argv and environment, and once as a real
// child process (the built dist/ci/pr-comment.js, exactly as CI runs it; the action and GitLab
// example tests run it that way too).
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BODY_LIMIT, commentBody, main, nextLink, PLAN_MARKER, redact } from '../../src/ci/pr-comment.js';
import { startFakeForge, type FakeForge } from './fake-forge.js';
import { tempTree } from '../support/tmp.js';
import { runProcess, type ProcessRun as Run } from '../support/process.js';

const SCRIPT = fileURLToPath(new URL('../../dist/ci/pr-comment.js', import.meta.url));
const TOKEN = 'ghs_TOPSECRETtoken1234567890';
const GL_TOKEN = 'glpat-TOPSECRETgitlab0987';

/** The built script in a child process, as CI runs it. */
function spawnScript(args: string[], env: Record<string, string>) {
  return runProcess(process.execPath, [SCRIPT, ...args], { env: { PATH: process.env.PATH ?? '', ...env } });
}

/** The same run in this process: main() with the argv and environment the child would get. */
async function runScript(args: string[], env: Record<string, string>): Promise<Run> {
  let stdout = '';
  let stderr = '';
  const code = await main(args, {
    env: { PATH: process.env.PATH ?? '', ...env },
    stdout: (line) => (stdout += `${line}\n`),
    stderr: (line) => (stderr += `${line}\n`),
  });
  return { code, signal: null, stdout, stderr };
}

const PLAN_MD = `${PLAN_MARKER}\n**Plan:** 1 to create, 0 to update, 0 to delete, 2 unchanged.\n\n| Kind | Project | Name | Action |\n|---|---|---|---|\n| Key | Payments | k | create |\n`;

let forge: FakeForge;
beforeEach(async () => {
  forge = await startFakeForge();
});
afterEach(async () => {
  await forge.close();
});

function githubEnv(dir: string, extra: Record<string, string> = {}): Record<string, string> {
  const event = join(dir, 'event.json');
  writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: 'abcdef0123456789' } } }));
  writeFileSync(join(dir, 'plan.md'), PLAN_MD);
  return {
    GITHUB_ACTIONS: 'true',
    GITHUB_TOKEN: TOKEN,
    GITHUB_API_URL: forge.url,
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_EVENT_PATH: event,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '99',
    ...extra,
  };
}

function expectNoToken(run: Run): void {
  for (const t of [TOKEN, GL_TOKEN]) {
    expect(run.stdout).not.toContain(t);
    expect(run.stderr).not.toContain(t);
  }
}

describe('pr-comment comment (GitHub)', () => {
  it('creates the comment when none carries the marker, after reading every page of comments', async () => {
    forge.comments.push(
      { id: 1, body: 'LGTM' },
      { id: 2, body: 'quoting: <!-- apinizer-gitops plan --> is not first' },
      { id: 3, body: 'nit' },
    );
    const dir = tempTree();
    const run = await spawnScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('created the plan comment 1000 on pull request #7');
    expect(forge.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /repos/o/r/issues/7/comments?per_page=100',
      'GET /repos/o/r/issues/7/comments?per_page=100&page=2',
      'POST /repos/o/r/issues/7/comments',
    ]);
    const created = forge.comments.at(-1)!;
    expect(created.body.startsWith(`${PLAN_MARKER}\n**Plan:** 1 to create`)).toBe(true);
    expect(created.body).toContain('[this run](https://github.example/o/r/actions/runs/99) for abcdef012345');
    expect(forge.requests[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expectNoToken(run);
  });

  it('updates the earlier plan comment in place (found on a later page) instead of adding one', async () => {
    forge.comments.push(
      { id: 1, body: 'a' },
      { id: 2, body: 'b' },
      { id: 3, body: `${PLAN_MARKER}\nold plan` },
      { id: 4, body: 'c' },
    );
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('updated the plan comment 3');
    // Who the token is (GET /user: refused for the workflow token, so github-actions[bot]), then the edit.
    expect(forge.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /repos/o/r/issues/7/comments',
      'GET /repos/o/r/issues/7/comments',
      'GET /user',
      'PATCH /repos/o/r/issues/comments/3',
    ]);
    expect(forge.requests.at(-1)!.path).toBe('/repos/o/r/issues/comments/3');
    expect(forge.comments).toHaveLength(4);
    expect(forge.comments[2]!.body).toContain('1 to create');
    // Twice more: still one plan comment.
    await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(forge.comments.filter((c) => c.body.startsWith(PLAN_MARKER))).toHaveLength(1);
  });

  it("leaves a participant's fake plan comment alone, even the first one, and writes its own", async () => {
    const fake = `${PLAN_MARKER}\nNo changes. Your gateway matches the manifests.`;
    forge.comments.push({ id: 1, body: fake, author: 'mallory' }, { id: 2, body: 'lgtm', author: 'alice' });
    const dir = tempTree();
    const first = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(
      "comment 1 by mallory starts with the plan marker but is not this token's; left alone.",
    );
    expect(first.stdout).toContain('created the plan comment 1000');
    const second = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(second.stdout).toContain('updated the plan comment 1000');
    expect(forge.comments.find((c) => c.id === 1)!.body).toBe(fake);
    expect(forge.requests.filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([
      '/repos/o/r/issues/comments/1000',
    ]);
    expectNoToken(first);
  });

  it("with a user's token, the comment is the one that user wrote (GET /user), not github-actions[bot]'s", async () => {
    forge.githubUser = 'deploy-bot';
    forge.comments.push(
      { id: 1, body: `${PLAN_MARKER}\nfrom another workflow`, author: 'github-actions[bot]' },
      { id: 2, body: `${PLAN_MARKER}\nold`, author: 'Deploy-Bot' },
    );
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('updated the plan comment 2');
    // --author names the identity outright (a GitHub App's token): no GET /user then.
    forge.githubUser = null;
    forge.requests.length = 0;
    const app = await runScript(
      ['comment', '--file', join(dir, 'plan.md'), '--author', 'github-actions[bot]'],
      githubEnv(dir),
    );
    expect(app.stdout).toContain('updated the plan comment 1');
    expect(forge.requests.some((r) => r.path === '/user')).toBe(false);
  });

  it('reads every page, however many (no silent page limit)', async () => {
    forge.pageSize = 1;
    for (let i = 1; i <= 120; i++) forge.comments.push({ id: i, body: `comment ${i}`, author: 'alice' });
    forge.comments.push({ id: 121, body: `${PLAN_MARKER}\nold`, author: 'github-actions[bot]' });
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('updated the plan comment 121');
    expect(forge.requests.filter((r) => r.path.startsWith('/repos/o/r/issues/7/comments'))).toHaveLength(121);
    expect(forge.comments).toHaveLength(121);
  });

  it('fails, naming the step, when it cannot tell who the token is outside GitHub Actions', async () => {
    forge.comments.push({ id: 1, body: `${PLAN_MARKER}\nold`, author: 'someone' });
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir, { GITHUB_ACTIONS: '' }));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GET /user failed (HTTP 403');
    expect(forge.comments).toHaveLength(1);
    expectNoToken(run);
  });

  it('never prints the token, even when the server echoes it in an error, and names the permission needed', async () => {
    forge.failWith = 403;
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], githubEnv(dir));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('GET /repos/o/r/issues/7/comments failed (HTTP 403');
    expect(run.stderr).toContain('pull-requests: write');
    expect(run.stderr).toContain('(token)');
    expectNoToken(run);
  });

  it('does nothing outside a pull request', async () => {
    const dir = tempTree({ 'push.json': JSON.stringify({ ref: 'refs/heads/main' }) });
    const run = await runScript(
      ['comment', '--file', join(dir, 'plan.md')],
      githubEnv(dir, { GITHUB_EVENT_PATH: join(dir, 'push.json') }),
    );
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('not a pull_request event');
    expect(forge.requests).toEqual([]);
  });

  it('fails clearly without a token or plan file', async () => {
    const dir = tempTree();
    const env = githubEnv(dir);
    delete (env as Partial<typeof env>).GITHUB_TOKEN;
    const noToken = await runScript(['comment', '--file', join(dir, 'plan.md')], env);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toContain('GITHUB_TOKEN is not set');
    const noFile = await runScript(['comment', '--file', join(dir, 'missing.md')], githubEnv(dir));
    expect(noFile.code).toBe(1);
    expect(noFile.stderr).toContain('cannot read');
  });
});

describe('pr-comment comment (GitLab)', () => {
  const gitlabEnv = (dir: string) => {
    writeFileSync(join(dir, 'plan.md'), PLAN_MD);
    return {
      GITLAB_CI: 'true',
      GITLAB_TOKEN: GL_TOKEN,
      CI_API_V4_URL: `${forge.url}/api/v4`,
      CI_PROJECT_ID: '123',
      CI_MERGE_REQUEST_IID: '5',
      CI_PIPELINE_URL: 'https://gitlab.example/g/p/-/pipelines/8',
      CI_COMMIT_SHA: '0123456789abcdef',
    };
  };

  it('creates the note, then updates the same note on the next pipeline', async () => {
    forge.comments.push(
      { id: 1, body: 'x' },
      { id: 2, body: `${PLAN_MARKER} system`, system: true },
      { id: 3, body: 'y' },
    );
    const dir = tempTree();
    const first = await runScript(['comment', '--file', join(dir, 'plan.md')], gitlabEnv(dir));
    expect(first.stderr).toBe('');
    expect(first.stdout).toContain('created the plan note 1000 on merge request !5');
    expect(forge.requests[0]!.headers['private-token']).toBe(GL_TOKEN);
    const second = await runScript(['comment', '--file', join(dir, 'plan.md')], gitlabEnv(dir));
    expect(second.stdout).toContain('updated the plan note 1000');
    expect(forge.requests.at(-1)).toMatchObject({
      method: 'PUT',
      path: '/api/v4/projects/123/merge_requests/5/notes/1000',
    });
    expect(forge.comments.filter((c) => c.body.startsWith(PLAN_MARKER) && !c.system)).toHaveLength(1);
    expect(forge.comments.at(-1)!.body).toContain('[this run](https://gitlab.example/g/p/-/pipelines/8)');
    expectNoToken(first);
    expectNoToken(second);
  });

  it("leaves another member's note with the marker alone and keeps its own (GET /api/v4/user)", async () => {
    const fake = `${PLAN_MARKER}\nNo changes.`;
    forge.comments.push({ id: 1, body: fake, author: 'mallory' });
    const dir = tempTree();
    const first = await runScript(['comment', '--file', join(dir, 'plan.md')], gitlabEnv(dir));
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain("note 1 by mallory starts with the plan marker but is not this token's");
    expect(first.stdout).toContain('created the plan note 1000');
    expect(forge.requests.some((r) => r.path === '/api/v4/user')).toBe(true);
    const second = await runScript(['comment', '--file', join(dir, 'plan.md')], gitlabEnv(dir));
    expect(second.stdout).toContain('updated the plan note 1000');
    expect(forge.comments.find((c) => c.id === 1)!.body).toBe(fake);
    expectNoToken(first);
  });

  it('never prints the GitLab token on failure', async () => {
    forge.failWith = 401;
    const dir = tempTree();
    const run = await runScript(['comment', '--file', join(dir, 'plan.md')], gitlabEnv(dir));
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('HTTP 401');
    expect(run.stderr).toContain('api scope');
    expectNoToken(run);
  });
});

describe('pr-comment find-plan-run (GitHub, default branch)', () => {
  it('finds the newest run of this workflow for the merged PR head that still has the plan artifact', async () => {
    forge.github.pulls = [
      { number: 3, merged_at: null, head: { sha: 'aaa' } },
      { number: 7, merged_at: '2025-01-01T00:00:00Z', head: { sha: 'headsha' } },
    ];
    forge.github.runs = [
      { id: 10, head_sha: 'headsha' },
      { id: 12, head_sha: 'headsha' },
      { id: 11, head_sha: 'headsha' },
    ];
    forge.github.artifacts = {
      12: [{ name: 'apinizer-gitops-plan', expired: true }],
      11: [{ name: 'apinizer-gitops-plan' }],
      10: [{ name: 'apinizer-gitops-plan' }],
    };
    const dir = tempTree({ output: '' });
    const run = await runScript(['find-plan-run', '--artifact', 'apinizer-gitops-plan'], {
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: forge.url,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: 'mergesha',
      GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_OUTPUT: join(dir, 'output'),
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toContain('the plan of pull request #7 is in run 11');
    expect(readFileSync(join(dir, 'output'), 'utf8')).toBe('run-id=11\npull-request=7\n');
    expect(forge.requests[0]!.path).toBe('/repos/o/r/commits/mergesha/pulls');
  });

  it('outputs nothing (so the action falls back to a plain apply) when no merged PR is found', async () => {
    const dir = tempTree({ output: '' });
    const run = await runScript(['find-plan-run'], {
      GITHUB_TOKEN: TOKEN,
      GITHUB_API_URL: forge.url,
      GITHUB_REPOSITORY: 'o/r',
      GITHUB_SHA: 'mergesha',
      GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/ci.yml@refs/heads/main',
      GITHUB_OUTPUT: join(dir, 'output'),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('no run of ci.yml');
    expect(readFileSync(join(dir, 'output'), 'utf8')).toBe('');
  });
});

describe('pr-comment fetch-plan (GitLab, default branch)', () => {
  it('downloads plan.json from the merged MR pipeline job', async () => {
    forge.gitlab.mrs = [{ iid: 5, state: 'merged', sha: 'mrhead' }];
    forge.gitlab.pipelines = [
      { id: 40, sha: 'mrhead' },
      { id: 41, sha: 'other' },
    ];
    forge.gitlab.jobs = {
      40: [
        { id: 1, name: 'test', status: 'success' },
        { id: 2, name: 'lint', status: 'success' },
        { id: 3, name: 'apinizer-plan', status: 'success' },
      ],
    };
    forge.gitlab.files = { 3: '{"formatVersion":1}' };
    const dir = tempTree();
    const run = await runScript(
      ['fetch-plan', '--job', 'apinizer-plan', '--path', 'plan.json', '--out', join(dir, 'plan.json')],
      {
        GITLAB_TOKEN: GL_TOKEN,
        CI_API_V4_URL: `${forge.url}/api/v4`,
        CI_PROJECT_ID: '123',
        CI_COMMIT_SHA: 'mergesha',
      },
    );
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('{"formatVersion":1}');
    expectNoToken(run);
  });
});

describe('pr-comment pure helpers', () => {
  it('puts the marker first and cuts a body over the limit with a note', () => {
    expect(commentBody('hello', { limit: 100 })).toBe(`${PLAN_MARKER}\nhello\n`);
    const big = commentBody(`${PLAN_MARKER}\n${'x'.repeat(70_000)}`, { limit: BODY_LIMIT.github, footer: 'foot' });
    expect(big.length).toBeLessThanOrEqual(BODY_LIMIT.github + 1);
    expect(big).toContain('(truncated');
    expect(big.trimEnd().endsWith('foot')).toBe(true);
  });

  it('reads Link headers', () => {
    expect(nextLink('<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last"')).toBe('https://x/a?page=2');
    expect(nextLink('<https://x/a?page=1>; rel="prev"')).toBeNull();
    expect(nextLink(null)).toBeNull();
  });

  it('redacts tokens', () => {
    expect(redact(`Bearer ${TOKEN} and ${TOKEN}`, [TOKEN])).toBe('Bearer (token) and (token)');
  });

  it("redacts tokens URL-encoded, JSON-escaped and cut off, with the client's scrubber", () => {
    const token = 'ghp_AbC/dEf+GhI=jKlMnOpQrStUvWxYz0123456789';
    const cut = token.slice(0, 20);
    const out = redact(`url ${encodeURIComponent(token)} json ${JSON.stringify(token)} cut "${cut}`, [token]);
    expect(out).toBe('url (token) json "(token)" cut "(token)');
  });
});
