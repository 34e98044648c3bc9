// The composite action (action.yml) run for real, step by step, by a tiny stand-in for the GitHub
// runner: its bash steps execute as GitHub runs them (bash -eo pipefail) with the inputs, step
// outputs and GITHUB_* files wired the same way, against the emulator and a fake GitHub API. The
// two `uses:` steps (upload/download-artifact) are simulated by copying files.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { PLAN_MARKER } from '../../src/ci/pr-comment.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { runBash } from '../support/process.js';
import { startFakeForge, type FakeForge } from './fake-forge.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
const ACTION = parse(readFileSync(join(ROOT, 'action.yml'), 'utf8')) as ActionFile;
const TOKEN = 'ghs_ACTIONtokenNEVERprinted42';
const PUBLIC_KEY_TEXT = 'ACTION-TEST-PUBLIC-KEY-material';
const PUBLIC_KEY = Buffer.from(PUBLIC_KEY_TEXT).toString('base64');

interface Step {
  name: string;
  id?: string;
  if?: string;
  shell?: string;
  run?: string;
  uses?: string;
  env?: Record<string, string>;
  with?: Record<string, string>;
  'working-directory'?: string;
}
interface ActionFile {
  inputs: Record<string, { default?: string; description: string }>;
  outputs: Record<string, { value: string }>;
  runs: { using: string; steps: Step[] };
}

type Contexts = Record<string, unknown>;

/** Evaluates the subset of GitHub's expression language the action uses: paths, 'strings', ==, !=, &&, ||, (). */
function evaluate(expression: string, ctx: Contexts): string {
  const tokens = expression.match(/'(?:[^']|'')*'|==|!=|&&|\|\||[()]|[A-Za-z_][\w.-]*/g) ?? [];
  let i = 0;
  const truthy = (v: string) => v !== '' && v !== 'false';
  const primary = (): string => {
    const t = tokens[i++];
    if (t === undefined) throw new Error(`bad expression: ${expression}`);
    if (t === '(') {
      const v = or();
      i++;
      return v;
    }
    if (t.startsWith("'")) return t.slice(1, -1).replace(/''/g, "'");
    let v: unknown = ctx;
    for (const part of t.split('.'))
      v = v === undefined || v === null ? undefined : (v as Record<string, unknown>)[part];
    return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
  };
  const cmp = (): string => {
    const left = primary();
    const op = tokens[i];
    if (op === '==' || op === '!=') {
      i++;
      const right = primary();
      return String((left === right) === (op === '=='));
    }
    return left;
  };
  const and = (): string => {
    let v = cmp();
    while (tokens[i] === '&&') {
      i++;
      const r = cmp();
      v = truthy(v) ? r : v;
    }
    return v;
  };
  const or = (): string => {
    let v = and();
    while (tokens[i] === '||') {
      i++;
      const r = and();
      v = truthy(v) ? v : r;
    }
    return v;
  };
  return or();
}

function substitute(text: string, ctx: Contexts): string {
  return text.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_m, e: string) => evaluate(e, ctx));
}

interface ActionRun {
  outputs: Record<string, string>;
  steps: Record<string, Record<string, string>>;
  ran: string[];
  failed: string | null;
  log: string;
}

/** bash -c SCRIPT, asynchronously: the emulator and the fake GitHub live in this process's event loop. */
async function bash(
  script: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const run = await runBash(script, { cwd, env });
  return { status: run.code, stdout: run.stdout, stderr: run.stderr };
}

/** Runs action.yml's steps like the runner: `if` (default success()), env, GITHUB_OUTPUT per step. */
async function runAction(options: {
  inputs: Record<string, string>;
  workspace: string;
  env: Record<string, string>;
  artifacts: string;
}): Promise<ActionRun> {
  const temp = join(options.workspace, '..', 'runner-temp');
  mkdirSync(temp, { recursive: true });
  const github = {
    action_path: ROOT,
    token: TOKEN,
    event_name: options.env.GITHUB_EVENT_NAME,
    sha: options.env.GITHUB_SHA,
  };
  const ctx: Contexts = { github, runner: { temp }, steps: {}, inputs: {} };
  const inputs: Record<string, string> = {};
  for (const [name, spec] of Object.entries(ACTION.inputs))
    inputs[name] = options.inputs[name] ?? substitute(spec.default ?? '', ctx);
  ctx.inputs = inputs;
  const steps: Record<string, { outputs: Record<string, string> }> = {};
  ctx.steps = steps;
  const run: ActionRun = { outputs: {}, steps: {}, ran: [], failed: null, log: '' };
  const summary = join(temp, 'step-summary.md');
  for (const [index, step] of ACTION.runs.steps.entries()) {
    const condition = step.if ?? 'success()';
    const ok = run.failed === null;
    const go = condition === 'success()' ? ok : ok && evaluate(condition, ctx) === 'true';
    if (!go) continue;
    run.ran.push(step.name);
    const outputs: Record<string, string> = {};
    if (step.uses) {
      const w = Object.fromEntries(Object.entries(step.with ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]));
      if (step.uses.startsWith('actions/upload-artifact@')) {
        cpSync(w.path!, join(options.artifacts, w.name!, 'plan.json'));
      } else if (step.uses.startsWith('actions/download-artifact@')) {
        run.log += `download run-id=${w['run-id']}\n`;
        cpSync(join(options.artifacts, w.name!), w.path!, { recursive: true });
      } else throw new Error(`unexpected action ${step.uses}`);
    } else {
      expect(step.shell).toBe('bash');
      const outFile = join(temp, `output-${index}`);
      writeFileSync(outFile, '');
      const stepEnv = Object.fromEntries(
        Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), ctx)]),
      );
      const result = await bash(step.run!, join(options.workspace, substitute(step['working-directory'] ?? '.', ctx)), {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        ...options.env,
        GITHUB_ACTIONS: 'true',
        RUNNER_TEMP: temp,
        GITHUB_OUTPUT: outFile,
        GITHUB_STEP_SUMMARY: summary,
        ...stepEnv,
      });
      run.log += `--- ${step.name} (exit ${result.status})\n${result.stdout}${result.stderr}`;
      for (const line of readFileSync(outFile, 'utf8').split('\n')) {
        const eq = line.indexOf('=');
        if (eq > 0) outputs[line.slice(0, eq)] = line.slice(eq + 1);
      }
      if (result.status !== 0) run.failed = step.name;
    }
    if (step.id) {
      steps[step.id] = { outputs };
      run.steps[step.id] = outputs;
    }
  }
  for (const [name, spec] of Object.entries(ACTION.outputs)) run.outputs[name] = substitute(spec.value, ctx);
  return run;
}

const MANIFEST = (name: string, keyType = 'RSA') => `apiVersion: apinizer-gitops/v1
kind: Key
metadata:
  name: ${name}
  project: Payments
spec:
  keyType: ${keyType}
  environments:
    - name: production
      publicKey: ${PUBLIC_KEY}
`;

describe('action.yml', () => {
  it('is a composite action whose scripts never interpolate ${{ }} (inputs reach bash through env only)', () => {
    expect(ACTION.runs.using).toBe('composite');
    for (const step of ACTION.runs.steps) {
      if (step.run !== undefined) {
        expect(step.run, step.name).not.toContain('${{');
        expect(step.shell, step.name).toBe('bash');
      }
      if (step.uses !== undefined) expect(step.uses).toMatch(/^actions\/(upload|download)-artifact@v4$/);
    }
    for (const [name, input] of Object.entries(ACTION.inputs)) expect(input.description, name).not.toBe('');
  });
});

describe('action.yml, run step by step', () => {
  // The Resolve step falls back to building the action's own checkout (npm ci in ROOT) when
  // dist/ is missing: never let a test do that to the working tree.
  beforeAll(() => {
    if (!existsSync(join(ROOT, 'dist/cli/main.js')) || !existsSync(join(ROOT, 'dist/ci/pr-comment.js'))) {
      throw new Error('dist/ is not built: run `npm run build` (npm test does) before these tests');
    }
  });
  const emulator = useEmulator();
  let forge: FakeForge;
  beforeEach(async () => {
    forge = await startFakeForge();
  });
  afterEach(async () => {
    await forge.close();
  });

  function workspace(manifests: Record<string, string>): { workspace: string; artifacts: string; event: string } {
    const root = tempTree();
    const ws = join(root, 'workspace');
    for (const [rel, text] of Object.entries(manifests)) {
      mkdirSync(join(ws, 'gitops', rel, '..'), { recursive: true });
      writeFileSync(join(ws, 'gitops', rel), text);
    }
    const event = join(root, 'event.json');
    writeFileSync(event, JSON.stringify({ pull_request: { number: 7, head: { sha: 'prhead0123456789' } } }));
    mkdirSync(join(root, 'artifacts'));
    return { workspace: ws, artifacts: join(root, 'artifacts'), event };
  }

  /** The API calls the emulator answered since its stats were reset, by route. */
  async function callsByRoute(): Promise<Record<string, number>> {
    const answer = await fetch(`${emulator().url}/__emulator/stats`);
    return ((await answer.json()) as { byRoute: Record<string, number> }).byRoute;
  }

  const baseEnv = (event: string, extra: Record<string, string> = {}) => ({
    APINIZER_URL: emulator().url,
    APINIZER_TOKEN: emulator().token,
    GITHUB_API_URL: forge.url,
    GITHUB_REPOSITORY: 'o/r',
    GITHUB_EVENT_PATH: event,
    GITHUB_SERVER_URL: 'https://github.example',
    GITHUB_RUN_ID: '99',
    GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/ci.yml@refs/heads/main',
    ...extra,
  });

  it(
    'on a pull request: plans, comments once (updating it on the next push), uploads plan.json; after merge applies that plan',
    { timeout: 90_000 },
    async () => {
      const ws = workspace({ 'keys/action-demo.yaml': MANIFEST('action-demo') });
      const prEnv = baseEnv(ws.event, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: 'prmerge' });
      await fetch(`${emulator().url}/__emulator/reset-stats`, { method: 'POST' });
      const first = await runAction({
        inputs: { paths: 'gitops' },
        workspace: ws.workspace,
        env: prEnv,
        artifacts: ws.artifacts,
      });
      expect(first.failed, first.log).toBeNull();
      // The plan is computed once for both the markdown and the JSON: one list call for the one
      // (project, kind) the manifests touch, where a plan per format would make two, and no other
      // call (environments, generation probe) made twice either.
      const calls = await callsByRoute();
      expect(calls['GET /apiops/projects/{project}/keys/']).toBe(1);
      expect(Object.entries(calls).filter(([, n]) => n !== 1)).toEqual([]);
      expect(first.ran).toEqual([
        'Resolve apinizer-gitops',
        'Plan',
        'Upload the plan for the apply after merge',
        'Comment on the pull request',
      ]);
      expect(first.outputs['exit-code']).toBe('0');
      expect(first.outputs.changes).toBe('1');
      expect(forge.comments).toHaveLength(1);
      const comment = forge.comments[0]!.body;
      expect(comment.startsWith(PLAN_MARKER)).toBe(true);
      expect(comment).toContain('1 to create');
      expect(comment).toContain('action-demo');
      // The job summary got the markdown once.
      const summary = readFileSync(join(ws.workspace, '..', 'runner-temp', 'step-summary.md'), 'utf8');
      expect(summary.split(PLAN_MARKER)).toHaveLength(2);
      const artifact = readFileSync(join(ws.artifacts, 'apinizer-gitops-plan', 'plan.json'), 'utf8');
      expect((JSON.parse(artifact) as { summary: unknown }).summary).toEqual({
        create: 1,
        update: 0,
        delete: 0,
        noop: 0,
      });
      for (const text of [comment, artifact, summary, first.log]) {
        expect(text).not.toContain(PUBLIC_KEY);
        expect(text).not.toContain(PUBLIC_KEY_TEXT);
        expect(text).not.toContain(TOKEN);
      }

      // A second push to the PR: the same comment is updated, not a new one added.
      const second = await runAction({
        inputs: { paths: 'gitops' },
        workspace: ws.workspace,
        env: prEnv,
        artifacts: ws.artifacts,
      });
      expect(second.failed, second.log).toBeNull();
      expect(forge.comments).toHaveLength(1);
      expect(forge.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1);

      // Merged: the push to main finds the PR's run and applies its plan with --plan.
      forge.github.pulls = [{ number: 7, merged_at: '2025-01-01T00:00:00Z', head: { sha: 'prhead0123456789' } }];
      forge.github.runs = [{ id: 55, head_sha: 'prhead0123456789' }];
      forge.github.artifacts = { 55: [{ name: 'apinizer-gitops-plan' }] };
      const push = await runAction({
        inputs: { paths: 'gitops' },
        workspace: ws.workspace,
        env: baseEnv(ws.event, { GITHUB_EVENT_NAME: 'push', GITHUB_SHA: 'mergecommit' }),
        artifacts: ws.artifacts,
      });
      expect(push.failed, push.log).toBeNull();
      expect(push.ran).toEqual([
        'Resolve apinizer-gitops',
        "Find the merged pull request's plan",
        "Download the merged pull request's plan",
        'Apply',
      ]);
      expect(push.log).toContain('download run-id=55');
      expect(push.outputs['used-saved-plan']).toBe('true');
      expect(push.outputs['exit-code']).toBe('0');
      expect(emulator().store.get('Payments', 'Key', 'action-demo')).toBeDefined();
      expect(push.log).not.toContain(TOKEN);
      expect(push.log).not.toContain(PUBLIC_KEY);
    },
  );

  it(
    'applies without --plan (with a warning) when no merged PR plan exists, or refuses with require-saved-plan',
    { timeout: 60_000 },
    async () => {
      const ws = workspace({ 'keys/no-pr.yaml': MANIFEST('no-pr-key') });
      const env = baseEnv(ws.event, { GITHUB_EVENT_NAME: 'push', GITHUB_SHA: 'direct' });
      const strict = await runAction({
        inputs: { paths: 'gitops', 'require-saved-plan': 'true' },
        workspace: ws.workspace,
        env,
        artifacts: ws.artifacts,
      });
      expect(strict.failed).toBe('Apply');
      expect(strict.log).toContain('no plan of a merged pull request was found');
      expect(emulator().store.get('Payments', 'Key', 'no-pr-key')).toBeUndefined();

      const lenient = await runAction({
        inputs: { paths: 'gitops' },
        workspace: ws.workspace,
        env,
        artifacts: ws.artifacts,
      });
      expect(lenient.failed, lenient.log).toBeNull();
      expect(lenient.log).toContain('::warning::no plan of a merged pull request');
      expect(lenient.outputs['used-saved-plan']).toBe('false');
      expect(emulator().store.get('Payments', 'Key', 'no-pr-key')).toBeDefined();
    },
  );

  it(
    'comments the validation errors, uploads no plan and fails the job when a manifest is invalid',
    { timeout: 60_000 },
    async () => {
      const ws = workspace({ 'keys/bad.yaml': MANIFEST('bad-key', 'rsa lower') });
      const run = await runAction({
        inputs: { paths: 'gitops' },
        workspace: ws.workspace,
        env: baseEnv(ws.event, { GITHUB_EVENT_NAME: 'pull_request', GITHUB_SHA: 'x' }),
        artifacts: ws.artifacts,
      });
      expect(run.failed).toBe('Fail when the plan failed');
      expect(run.ran).not.toContain('Upload the plan for the apply after merge');
      expect(run.outputs['exit-code']).toBe('1');
      expect(forge.comments).toHaveLength(1);
      expect(forge.comments[0]!.body).toMatch(/gitops\/keys\/bad\.yaml:\d+:\d+/);
      expect(run.log).toMatch(/::error file=gitops\/keys\/bad\.yaml,line=\d+/);
      expect(existsSync(join(ws.artifacts, 'apinizer-gitops-plan'))).toBe(false);
      expect(readdirSync(ws.artifacts)).toEqual([]);
    },
  );
});
