#!/usr/bin/env node
/**
 * Pull-request plumbing for CI, run as `node <package>/dist/ci/pr-comment.js COMMAND` by the GitHub
 * composite action (action.yml) and the GitLab example. Dependency-free (global fetch), so it runs
 * wherever the CLI runs:
 *
 *   comment --file plan.md [--provider github|gitlab]
 *       creates or updates ONE pull-request comment / merge-request note, found by its first line
 *       `<!-- apinizer-gitops plan -->` (the markdown plan's marker).
 *   find-plan-run --artifact NAME                        (GitHub)
 *       for the commit being built on the default branch: the merged pull request's latest run of
 *       this workflow that uploaded the plan artifact; its id goes to $GITHUB_OUTPUT as run-id.
 *   fetch-plan --job NAME --path plan.json --out FILE    (GitLab)
 *       downloads the plan file from the merged merge request's latest pipeline job NAME.
 *
 * The token (GITHUB_TOKEN / GITLAB_TOKEN) is sent only in the Authorization / PRIVATE-TOKEN header
 * and is scrubbed from every message printed, including text a server echoes back.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { type Redactor, createRedactor } from '../api/redact.js';
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';

/** The first line of every plan comment: how the earlier comment is found again. */
export const PLAN_MARKER = '<!-- apinizer-gitops plan -->';

/** Longest body each forge accepts (GitHub: 65,536 characters; GitLab notes: 1,000,000). */
export const BODY_LIMIT = { github: 65_000, gitlab: 1_000_000 } as const;

export type Provider = keyof typeof BODY_LIMIT;

/**
 * The comment body: the marker first (added if the file lacks it), the markdown, and an optional
 * footer line; cut to the forge's limit with a note when the markdown is larger.
 */
export function commentBody(markdown: string, options: { limit: number; footer?: string }): string {
  let text = markdown.replace(/\s+$/, '');
  if (!text.startsWith(PLAN_MARKER)) text = `${PLAN_MARKER}\n${text}`;
  const footer = options.footer ? `\n\n${options.footer}` : '';
  const note = '\n\n_(truncated: the plan is longer than a comment can hold; see the job log or the plan artifact)_';
  if (text.length + footer.length > options.limit)
    text = text.slice(0, Math.max(0, options.limit - footer.length - note.length)) + note;
  return `${text}${footer}\n`;
}

/** The URL of the `rel="next"` page in a Link header (GitHub and GitLab both send one), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return m[1];
  }
  return null;
}

/** `text` with each secret replaced in every form a server might echo (api/redact.ts), for anything printed. */
export function redact(text: string, secrets: readonly string[]): string {
  return tokenRedactor(secrets).scrub(text);
}

/** The one scrubber of the CI helper: the forge tokens, in every encoding and fragment, shown as `(token)`. */
function tokenRedactor(secrets: readonly string[]): Redactor {
  const r = createRedactor('(token)');
  for (const s of secrets) r.remember(s);
  return r;
}

/** A failed call, as a value: what was asked, what came back, what to do. */
export interface ForgeFailure {
  request: string;
  status: number | null;
  message: string;
}

type Reply<T> = { ok: true; value: T; next: string | null } | { ok: false; error: ForgeFailure };

interface Forge {
  provider: Provider;
  /** Base URL of the REST API, without a trailing slash. */
  api: string;
  headers: Record<string, string>;
}

async function call<T>(forge: Forge, method: string, url: string, body?: unknown): Promise<Reply<T>> {
  const path = url.startsWith(forge.api) ? url.slice(forge.api.length) : url;
  const request = `${method} ${path.split('?')[0] ?? path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...forge.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    return { ok: false, error: { request, status: null, message: (err as Error).message } };
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      const data = JSON.parse(text) as { message?: unknown; error?: unknown };
      if (typeof data.message === 'string') message = data.message;
      else if (typeof data.error === 'string') message = data.error;
    } catch {
      // not JSON: keep the start of the text
    }
    return { ok: false, error: { request, status: res.status, message } };
  }
  let value: T;
  try {
    value = (text === '' ? null : JSON.parse(text)) as T;
  } catch {
    value = text as T;
  }
  return { ok: true, value, next: nextLink(res.headers.get('link')) };
}

/** Every item of a paginated list, following Link rel="next" (at most 50 pages). */
async function listAll<T>(forge: Forge, url: string): Promise<Reply<T[]>> {
  const items: T[] = [];
  let next: string | null = url;
  for (let page = 0; next !== null && page < 50; page++) {
    const reply: Reply<T[]> = await call<T[]>(forge, 'GET', next);
    if (!reply.ok) return reply;
    if (!Array.isArray(reply.value))
      return { ok: false, error: { request: `GET ${url}`, status: 200, message: 'expected a list' } };
    items.push(...reply.value);
    next = reply.next;
  }
  return { ok: true, value: items, next: null };
}

interface CommentLike {
  id: number;
  body?: string | null;
  html_url?: string;
}

/** What happened to the comment. */
export interface Upserted {
  action: 'created' | 'updated';
  id: number;
}

function isPlanComment(c: CommentLike): boolean {
  return typeof c.body === 'string' && c.body.trimStart().startsWith(PLAN_MARKER);
}

/** Creates or updates the plan comment on a GitHub pull request (issues comments API). */
export async function upsertGithubComment(
  forge: Forge,
  repository: string,
  pr: number,
  body: string,
): Promise<Reply<Upserted>> {
  const list = await listAll<CommentLike>(forge, `${forge.api}/repos/${repository}/issues/${pr}/comments?per_page=100`);
  if (!list.ok) return list;
  const existing = list.value.find(isPlanComment);
  if (existing) {
    const r = await call<CommentLike>(
      forge,
      'PATCH',
      `${forge.api}/repos/${repository}/issues/comments/${existing.id}`,
      { body },
    );
    return r.ok ? { ok: true, value: { action: 'updated', id: existing.id }, next: null } : r;
  }
  const r = await call<CommentLike>(forge, 'POST', `${forge.api}/repos/${repository}/issues/${pr}/comments`, { body });
  return r.ok ? { ok: true, value: { action: 'created', id: r.value.id }, next: null } : r;
}

/** Creates or updates the plan note on a GitLab merge request (notes API). */
export async function upsertGitlabNote(
  forge: Forge,
  projectId: string,
  mr: string,
  body: string,
): Promise<Reply<Upserted>> {
  const base = `${forge.api}/projects/${encodeURIComponent(projectId)}/merge_requests/${mr}/notes`;
  const list = await listAll<CommentLike & { system?: boolean }>(
    forge,
    `${base}?per_page=100&sort=asc&order_by=created_at`,
  );
  if (!list.ok) return list;
  const existing = list.value.find((n) => n.system !== true && isPlanComment(n));
  if (existing) {
    const r = await call<CommentLike>(forge, 'PUT', `${base}/${existing.id}`, { body });
    return r.ok ? { ok: true, value: { action: 'updated', id: existing.id }, next: null } : r;
  }
  const r = await call<CommentLike>(forge, 'POST', base, { body });
  return r.ok ? { ok: true, value: { action: 'created', id: r.value.id }, next: null } : r;
}

interface PullLike {
  number: number;
  merged_at?: string | null;
  head?: { sha?: string };
}

/**
 * The id of the newest run of `workflow` for the merged pull request of `sha` that holds an
 * artifact named `artifact`, or null when there is none (no merged PR, or its runs expired).
 */
export async function findPlanRun(
  forge: Forge,
  repository: string,
  sha: string,
  workflow: string,
  artifact: string,
): Promise<Reply<{ runId: number; pr: number } | null>> {
  const pulls = await call<PullLike[]>(forge, 'GET', `${forge.api}/repos/${repository}/commits/${sha}/pulls`);
  if (!pulls.ok) return pulls;
  const pr = (Array.isArray(pulls.value) ? pulls.value : []).find((p) => p.merged_at && p.head?.sha);
  if (!pr?.head?.sha) return { ok: true, value: null, next: null };
  const runs = await call<{ workflow_runs?: { id: number; head_sha: string }[] }>(
    forge,
    'GET',
    `${forge.api}/repos/${repository}/actions/workflows/${encodeURIComponent(workflow)}/runs?event=pull_request&head_sha=${pr.head.sha}&per_page=20`,
  );
  if (!runs.ok) return runs;
  const candidates = (runs.value.workflow_runs ?? [])
    .filter((r) => r.head_sha === pr.head?.sha)
    .sort((a, b) => b.id - a.id);
  for (const run of candidates) {
    const a = await call<{ artifacts?: { name: string; expired?: boolean }[] }>(
      forge,
      'GET',
      `${forge.api}/repos/${repository}/actions/runs/${run.id}/artifacts?name=${encodeURIComponent(artifact)}`,
    );
    if (!a.ok) return a;
    if ((a.value.artifacts ?? []).some((x) => x.name === artifact && x.expired !== true))
      return { ok: true, value: { runId: run.id, pr: pr.number }, next: null };
  }
  return { ok: true, value: null, next: null };
}

/**
 * The plan file `path` from job `job` of the newest pipeline of the merge request merged as `sha`
 * (GitLab), as text, or null when there is none.
 */
export async function fetchGitlabPlan(
  forge: Forge,
  projectId: string,
  sha: string,
  job: string,
  path: string,
): Promise<Reply<string | null>> {
  const project = `${forge.api}/projects/${encodeURIComponent(projectId)}`;
  const mrs = await call<{ iid: number; state?: string; sha?: string }[]>(
    forge,
    'GET',
    `${project}/repository/commits/${sha}/merge_requests`,
  );
  if (!mrs.ok) return mrs;
  const mr = (Array.isArray(mrs.value) ? mrs.value : []).find((m) => m.state === 'merged');
  if (!mr) return { ok: true, value: null, next: null };
  const pipelines = await call<{ id: number; sha?: string }[]>(
    forge,
    'GET',
    `${project}/merge_requests/${mr.iid}/pipelines`,
  );
  if (!pipelines.ok) return pipelines;
  const ordered = (Array.isArray(pipelines.value) ? pipelines.value : [])
    .filter((p) => !mr.sha || p.sha === mr.sha)
    .sort((a, b) => b.id - a.id);
  for (const pipeline of ordered) {
    const jobs = await listAll<{ id: number; name: string; status?: string }>(
      forge,
      `${project}/pipelines/${pipeline.id}/jobs?per_page=100`,
    );
    if (!jobs.ok) return jobs;
    const found = jobs.value.filter((j) => j.name === job && j.status === 'success').sort((a, b) => b.id - a.id)[0];
    if (!found) continue;
    const file = await call<unknown>(
      forge,
      'GET',
      `${project}/jobs/${found.id}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`,
    );
    if (!file.ok) return file.error.status === 404 ? { ok: true, value: null, next: null } : file;
    return { ok: true, value: typeof file.value === 'string' ? file.value : JSON.stringify(file.value), next: null };
  }
  return { ok: true, value: null, next: null };
}

/** What the script may touch, passed in so tests can run it in-process too. */
export interface ScriptIo {
  env: NodeJS.ProcessEnv;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const USAGE = `Usage: pr-comment.js comment --file plan.md [--provider github|gitlab]
       pr-comment.js find-plan-run --artifact NAME          (GitHub)
       pr-comment.js fetch-plan --job NAME --path plan.json --out FILE   (GitLab)`;

function failure(what: string, e: ForgeFailure, provider: Provider): string {
  const status = e.status === null ? 'no answer' : `HTTP ${e.status}`;
  let hint = '';
  if (e.status === 401)
    hint =
      provider === 'github'
        ? ' Check the token passed as GITHUB_TOKEN.'
        : ' Check GITLAB_TOKEN (a project access token with the api scope).';
  if (e.status === 403 || e.status === 404) {
    hint =
      provider === 'github'
        ? ' The workflow needs `permissions: pull-requests: write` (comments) and `actions: read` (finding the plan run); pull requests from forks get a read-only token.'
        : ' GITLAB_TOKEN needs the api scope and at least the Reporter role (Developer to write notes).';
  }
  return `${what}: ${e.request} failed (${status}: ${e.message}).${hint}`;
}

function githubForge(env: NodeJS.ProcessEnv): Forge | string {
  const token = env.GITHUB_TOKEN;
  if (!token) return 'GITHUB_TOKEN is not set: pass the workflow token (env: GITHUB_TOKEN: ${{ github.token }})';
  const api = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  return {
    provider: 'github',
    api,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'apinizer-gitops',
    },
  };
}

function gitlabForge(env: NodeJS.ProcessEnv): Forge | string {
  const token = env.GITLAB_TOKEN;
  if (!token)
    return 'GITLAB_TOKEN is not set: add a project access token with the api scope as a masked CI/CD variable named GITLAB_TOKEN';
  const api = env.CI_API_V4_URL?.replace(/\/+$/, '');
  if (!api) return 'CI_API_V4_URL is not set: run this inside a GitLab CI job';
  return { provider: 'gitlab', api, headers: { 'private-token': token, 'user-agent': 'apinizer-gitops' } };
}

async function commentCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const provider = (values.provider as string | undefined) ?? (env.GITLAB_CI === 'true' ? 'gitlab' : 'github');
  if (provider !== 'github' && provider !== 'gitlab') {
    io.stderr(`--provider must be github or gitlab, got "${provider}"`);
    return 2;
  }
  const file = values.file as string | undefined;
  if (!file) {
    io.stderr('comment: give the markdown plan with --file plan.md');
    return 2;
  }
  let markdown: string;
  try {
    markdown = await readFile(file, 'utf8');
  } catch (err) {
    io.stderr(
      `comment: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); did the plan step write it?`,
    );
    return 1;
  }
  if (provider === 'github') {
    const forge = githubForge(env);
    if (typeof forge === 'string') return fail(io, forge);
    const repository = env.GITHUB_REPOSITORY;
    if (!repository || !/^[^/]+\/[^/]+$/.test(repository))
      return fail(io, 'GITHUB_REPOSITORY is not set (owner/name): run this inside GitHub Actions');
    const number = await pullRequestNumber(env.GITHUB_EVENT_PATH);
    if (number === null) {
      io.stdout('comment: not a pull_request event; no comment written.');
      return 0;
    }
    const run =
      env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID
        ? `${env.GITHUB_SERVER_URL}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`
        : undefined;
    const footer = footerLine(
      run,
      env.GITHUB_EVENT_NAME === 'pull_request' ? await headSha(env.GITHUB_EVENT_PATH) : env.GITHUB_SHA,
    );
    const r = await upsertGithubComment(
      forge,
      repository,
      number,
      commentBody(markdown, { limit: BODY_LIMIT.github, ...(footer ? { footer } : {}) }),
    );
    if (!r.ok) return fail(io, failure('comment', r.error, 'github'));
    io.stdout(`comment: ${r.value.action} the plan comment ${r.value.id} on pull request #${number}.`);
    return 0;
  }
  const forge = gitlabForge(env);
  if (typeof forge === 'string') return fail(io, forge);
  const projectId = env.CI_PROJECT_ID;
  const mr = env.CI_MERGE_REQUEST_IID;
  if (!projectId) return fail(io, 'CI_PROJECT_ID is not set: run this inside a GitLab CI job');
  if (!mr) {
    io.stdout('comment: not a merge request pipeline (CI_MERGE_REQUEST_IID unset); no note written.');
    return 0;
  }
  const footer = footerLine(env.CI_PIPELINE_URL, env.CI_COMMIT_SHA);
  const r = await upsertGitlabNote(
    forge,
    projectId,
    mr,
    commentBody(markdown, { limit: BODY_LIMIT.gitlab, ...(footer ? { footer } : {}) }),
  );
  if (!r.ok) return fail(io, failure('comment', r.error, 'gitlab'));
  io.stdout(`comment: ${r.value.action} the plan note ${r.value.id} on merge request !${mr}.`);
  return 0;
}

function footerLine(runUrl: string | undefined, sha: string | undefined): string | undefined {
  if (!runUrl && !sha) return undefined;
  const commit = sha ? ` for ${sha.slice(0, 12)}` : '';
  return runUrl ? `<sub>Plan made by [this run](${runUrl})${commit}.</sub>` : `<sub>Plan made${commit}.</sub>`;
}

async function readEvent(path: string | undefined): Promise<Record<string, unknown> | null> {
  if (!path) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

async function pullRequestNumber(eventPath: string | undefined): Promise<number | null> {
  const event = await readEvent(eventPath);
  const pr = event?.pull_request as { number?: unknown } | undefined;
  const n = pr?.number ?? (event?.issue as { pull_request?: unknown; number?: unknown } | undefined)?.number;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

async function headSha(eventPath: string | undefined): Promise<string | undefined> {
  const event = await readEvent(eventPath);
  const sha = (event?.pull_request as { head?: { sha?: unknown } } | undefined)?.head?.sha;
  return typeof sha === 'string' ? sha : undefined;
}

async function findPlanRunCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const forge = githubForge(env);
  if (typeof forge === 'string') return fail(io, forge);
  const artifact = (values.artifact as string | undefined) ?? 'apinizer-gitops-plan';
  const repository = env.GITHUB_REPOSITORY;
  const sha = env.GITHUB_SHA;
  // GITHUB_WORKFLOW_REF: owner/repo/.github/workflows/file.yml@refs/heads/main -> file.yml
  const workflow = (values.workflow as string | undefined) ?? env.GITHUB_WORKFLOW_REF?.split('@')[0]?.split('/').pop();
  if (!repository || !sha || !workflow)
    return fail(
      io,
      'GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_WORKFLOW_REF must be set: run this inside GitHub Actions',
    );
  const r = await findPlanRun(forge, repository, sha, workflow, artifact);
  if (!r.ok) return fail(io, failure('find-plan-run', r.error, 'github'));
  if (r.value === null) {
    io.stdout(
      `find-plan-run: no run of ${workflow} for a merged pull request of ${sha.slice(0, 12)} holds the artifact "${artifact}".`,
    );
    return 0;
  }
  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, `run-id=${r.value.runId}\npull-request=${r.value.pr}\n`);
  io.stdout(`find-plan-run: the plan of pull request #${r.value.pr} is in run ${r.value.runId}.`);
  return 0;
}

async function fetchPlanCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const forge = gitlabForge(env);
  if (typeof forge === 'string') return fail(io, forge);
  const out = values.out as string | undefined;
  if (!out) return fail(io, 'fetch-plan: give the file to write with --out FILE');
  const job = (values.job as string | undefined) ?? 'apinizer-plan';
  const path = (values.path as string | undefined) ?? 'plan.json';
  if (!env.CI_PROJECT_ID || !env.CI_COMMIT_SHA)
    return fail(io, 'CI_PROJECT_ID and CI_COMMIT_SHA must be set: run this inside a GitLab CI job');
  const r = await fetchGitlabPlan(forge, env.CI_PROJECT_ID, env.CI_COMMIT_SHA, job, path);
  if (!r.ok) return fail(io, failure('fetch-plan', r.error, 'gitlab'));
  if (r.value === null) {
    io.stdout(
      `fetch-plan: no successful job "${job}" of a merged merge request of ${env.CI_COMMIT_SHA.slice(0, 12)} holds ${path}.`,
    );
    return 0;
  }
  await writeFile(out, r.value);
  io.stdout(`fetch-plan: wrote the merge request's plan to ${out}.`);
  return 0;
}

function fail(io: ScriptIo, message: string): number {
  io.stderr(message);
  return 1;
}

/** Runs one command; returns the exit code. Everything printed passes through `redact`. */
export async function main(argv: string[], io: ScriptIo): Promise<number> {
  const tokens = [io.env.GITHUB_TOKEN, io.env.GITLAB_TOKEN].filter(
    (t): t is string => typeof t === 'string' && t !== '',
  );
  const redactor = tokenRedactor(tokens);
  const safe: ScriptIo = {
    env: io.env,
    stdout: (line) => io.stdout(redactor.scrub(line)),
    stderr: (line) => io.stderr(redactor.scrub(line)),
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        provider: { type: 'string' },
        artifact: { type: 'string' },
        workflow: { type: 'string' },
        job: { type: 'string' },
        path: { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (err) {
    safe.stderr(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  try {
    if (command === 'comment') return await commentCommand(parsed.values, safe);
    if (command === 'find-plan-run') return await findPlanRunCommand(parsed.values, safe);
    if (command === 'fetch-plan') return await fetchPlanCommand(parsed.values, safe);
  } catch (err) {
    safe.stderr(`${command ?? ''}: ${(err as Error).message}`);
    return 1;
  }
  safe.stderr(USAGE);
  return 2;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
