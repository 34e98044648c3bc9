/**
 * The GitHub adapter: a bearer token (GITHUB_TOKEN) against GITHUB_API_URL, pull-request comments through
 * the issues comments API, pages followed through the Link header; and finding the pull-request run
 * that uploaded the plan artifact of a merged commit.
 */
import { readFile } from 'node:fs/promises';
import { BODY_LIMIT, type ExistingComment } from '../comment.js';
import type { CommentTarget, Forge, Reply } from './forge.js';
import { call, listAll, type ForgeHttp } from './http.js';

/** The GitHub API of this job, authenticated with GITHUB_TOKEN, or what to set when it is missing. */
export function githubHttp(env: NodeJS.ProcessEnv): ForgeHttp | string {
  const token = env.GITHUB_TOKEN;
  if (!token) return 'GITHUB_TOKEN is not set: pass the workflow token (env: GITHUB_TOKEN: ${{ github.token }})';
  const api = (env.GITHUB_API_URL ?? 'https://api.github.com').replace(/\/+$/, '');
  return {
    api,
    headers: {
      authorization: `Bearer ${token}`,
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      'user-agent': 'apinizer-gitops',
    },
  };
}

/** What to do about a failed GitHub call with this status ('' when there is nothing to add). */
export function githubHint(status: number | null): string {
  if (status === 401) return 'Check the token passed as GITHUB_TOKEN.';
  if (status === 403 || status === 404)
    return (
      'The workflow needs `permissions: pull-requests: write` (comments) and `actions: read` (finding the plan ' +
      'run); pull requests from forks get a read-only token.'
    );
  return '';
}

interface GithubComment {
  id: number;
  body?: string | null;
  user?: { login?: unknown } | null;
}

/** The author of comments made with the workflow's own GITHUB_TOKEN. */
export const ACTIONS_BOT = 'github-actions[bot]';

/**
 * The login the token acts as: `GET /user` for a user's token; the workflow's GITHUB_TOKEN (an
 * installation token, which `GET /user` refuses) comments as github-actions[bot] on Actions;
 * `author` (--author) names it outright, e.g. for a GitHub App's token (`my-app[bot]`).
 */
export async function githubIdentity(
  http: ForgeHttp,
  env: NodeJS.ProcessEnv,
  author: string | undefined,
): Promise<Reply<string>> {
  if (author) return { ok: true, value: author };
  const me = await call<{ login?: unknown }>(http, 'GET', `${http.api}/user`);
  if (me.ok && typeof me.value?.login === 'string') return { ok: true, value: me.value.login };
  if (!me.ok && (me.error.status === 403 || me.error.status === 401) && env.GITHUB_ACTIONS === 'true') {
    return { ok: true, value: ACTIONS_BOT };
  }
  if (!me.ok) return me;
  return { ok: false, error: { request: 'GET /user', status: 200, message: 'the answer names no login' } };
}

/** The comments of pull request `pr` in `repository` (owner/name) as a Forge; `whoAmI` names the token's login. */
export function githubPullRequest(
  http: ForgeHttp,
  repository: string,
  pr: number,
  whoAmI: () => Promise<Reply<string>> = () => githubIdentity(http, {}, undefined),
): Forge {
  const issue = `${http.api}/repos/${repository}/issues`;
  return {
    bodyLimit: BODY_LIMIT.github,
    noun: 'comment',
    target: `pull request #${pr}`,
    async listComments() {
      const list = await listAll<GithubComment>(http, `${issue}/${pr}/comments?per_page=100`);
      return list.ok ? { ok: true, value: list.value.map(existing) } : list;
    },
    async createComment(body) {
      const r = await call<GithubComment>(http, 'POST', `${issue}/${pr}/comments`, { body });
      return r.ok ? { ok: true, value: { id: r.value.id } } : r;
    },
    async updateComment(id, body) {
      const r = await call<GithubComment>(http, 'PATCH', `${issue}/comments/${id}`, { body });
      return r.ok ? { ok: true, value: { id } } : r;
    },
    whoAmI,
  };
}

function existing(c: GithubComment): ExistingComment {
  const login = c.user?.login;
  return {
    id: c.id,
    body: typeof c.body === 'string' ? c.body : null,
    system: false,
    author: typeof login === 'string' ? login : null,
  };
}

/** The pull request this GitHub Actions job runs for (from GITHUB_EVENT_PATH), with its run URL and head commit. */
export async function githubCommentTarget(env: NodeJS.ProcessEnv, author?: string): Promise<CommentTarget> {
  const http = githubHttp(env);
  if (typeof http === 'string') return { error: http };
  const repository = env.GITHUB_REPOSITORY;
  if (!repository || !/^[^/]+\/[^/]+$/.test(repository))
    return { error: 'GITHUB_REPOSITORY is not set (owner/name): run this inside GitHub Actions' };
  const event = await readEvent(env.GITHUB_EVENT_PATH);
  const number = pullRequestNumber(event);
  if (number === null) return { skip: 'comment: not a pull_request event; no comment written.' };
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${repository}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  // On pull_request events GITHUB_SHA is the test merge commit; the footer names the PR head instead.
  const sha = env.GITHUB_EVENT_NAME === 'pull_request' ? headSha(event) : env.GITHUB_SHA;
  const forge = githubPullRequest(http, repository, number, () => githubIdentity(http, env, author));
  return { forge, runUrl, sha };
}

async function readEvent(path: string | undefined): Promise<Record<string, unknown> | null> {
  if (!path) return null;
  try {
    return JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  } catch {
    return null;
  }
}

function pullRequestNumber(event: Record<string, unknown> | null): number | null {
  const pr = event?.pull_request as { number?: unknown } | undefined;
  const n = pr?.number ?? (event?.issue as { pull_request?: unknown; number?: unknown } | undefined)?.number;
  return typeof n === 'number' && Number.isInteger(n) && n > 0 ? n : null;
}

function headSha(event: Record<string, unknown> | null): string | undefined {
  const sha = (event?.pull_request as { head?: { sha?: unknown } } | undefined)?.head?.sha;
  return typeof sha === 'string' ? sha : undefined;
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
  http: ForgeHttp,
  repository: string,
  sha: string,
  workflow: string,
  artifact: string,
): Promise<Reply<{ runId: number; pr: number } | null>> {
  const repo = `${http.api}/repos/${repository}`;
  const pulls = await call<PullLike[]>(http, 'GET', `${repo}/commits/${sha}/pulls`);
  if (!pulls.ok) return pulls;
  const pr = (Array.isArray(pulls.value) ? pulls.value : []).find((p) => p.merged_at && p.head?.sha);
  if (!pr?.head?.sha) return { ok: true, value: null };
  const runs = await call<{ workflow_runs?: { id: number; head_sha: string }[] }>(
    http,
    'GET',
    `${repo}/actions/workflows/${encodeURIComponent(workflow)}/runs` +
      `?event=pull_request&head_sha=${pr.head.sha}&per_page=20`,
  );
  if (!runs.ok) return runs;
  const candidates = (runs.value.workflow_runs ?? [])
    .filter((r) => r.head_sha === pr.head?.sha)
    .sort((a, b) => b.id - a.id);
  for (const run of candidates) {
    const a = await call<{ artifacts?: { name: string; expired?: boolean }[] }>(
      http,
      'GET',
      `${repo}/actions/runs/${run.id}/artifacts?name=${encodeURIComponent(artifact)}`,
    );
    if (!a.ok) return a;
    if ((a.value.artifacts ?? []).some((x) => x.name === artifact && x.expired !== true))
      return { ok: true, value: { runId: run.id, pr: pr.number } };
  }
  return { ok: true, value: null };
}
