/**
 * The GitLab adapter: a project access token (GITLAB_TOKEN, sent as PRIVATE-TOKEN) against CI_API_V4_URL,
 * merge-request notes through the notes API, pages followed through the Link header; and fetching the
 * plan file from the merged merge request's pipeline.
 */
import { BODY_LIMIT, type ExistingComment } from '../comment.js';
import type { CommentTarget, Forge, Reply } from './forge.js';
import { call, listAll, type ForgeHttp } from './http.js';

/** The GitLab API of this job, authenticated with GITLAB_TOKEN, or what to set when something is missing. */
export function gitlabHttp(env: NodeJS.ProcessEnv): ForgeHttp | string {
  const token = env.GITLAB_TOKEN;
  if (!token)
    return (
      'GITLAB_TOKEN is not set: add a project access token with the api scope as a masked CI/CD variable ' +
      'named GITLAB_TOKEN'
    );
  const api = env.CI_API_V4_URL?.replace(/\/+$/, '');
  if (!api) return 'CI_API_V4_URL is not set: run this inside a GitLab CI job';
  return { api, headers: { 'private-token': token, 'user-agent': 'apinizer-gitops' } };
}

/** What to do about a failed GitLab call with this status ('' when there is nothing to add). */
export function gitlabHint(status: number | null): string {
  if (status === 401) return 'Check GITLAB_TOKEN (a project access token with the api scope).';
  if (status === 403 || status === 404)
    return 'GITLAB_TOKEN needs the api scope and at least the Reporter role (Developer to write notes).';
  return '';
}

interface GitlabNote {
  id: number;
  body?: string | null;
  system?: boolean;
  author?: { username?: unknown } | null;
}

/** The username the token acts as (`GET /user`; a project access token has a bot user of its own), or `author`. */
export async function gitlabIdentity(http: ForgeHttp, author: string | undefined): Promise<Reply<string>> {
  if (author) return { ok: true, value: author };
  const me = await call<{ username?: unknown }>(http, 'GET', `${http.api}/user`);
  if (!me.ok) return me;
  if (typeof me.value?.username === 'string') return { ok: true, value: me.value.username };
  return { ok: false, error: { request: 'GET /user', status: 200, message: 'the answer names no username' } };
}

/** The notes of merge request `mr` (its iid) in project `projectId` (id or path) as a Forge. */
export function gitlabMergeRequest(http: ForgeHttp, projectId: string, mr: string, author?: string): Forge {
  const notes = `${http.api}/projects/${encodeURIComponent(projectId)}/merge_requests/${mr}/notes`;
  return {
    bodyLimit: BODY_LIMIT.gitlab,
    noun: 'note',
    target: `merge request !${mr}`,
    async listComments() {
      const list = await listAll<GitlabNote>(http, `${notes}?per_page=100&sort=asc&order_by=created_at`);
      return list.ok ? { ok: true, value: list.value.map(existing) } : list;
    },
    async createComment(body) {
      const r = await call<GitlabNote>(http, 'POST', notes, { body });
      return r.ok ? { ok: true, value: { id: r.value.id } } : r;
    },
    async updateComment(id, body) {
      const r = await call<GitlabNote>(http, 'PUT', `${notes}/${id}`, { body });
      return r.ok ? { ok: true, value: { id } } : r;
    },
    whoAmI: () => gitlabIdentity(http, author),
  };
}

function existing(n: GitlabNote): ExistingComment {
  const username = n.author?.username;
  return {
    id: n.id,
    body: typeof n.body === 'string' ? n.body : null,
    system: n.system === true,
    author: typeof username === 'string' ? username : null,
  };
}

/** The merge request this GitLab CI job runs for (CI_MERGE_REQUEST_IID), with its pipeline URL and commit. */
export function gitlabCommentTarget(env: NodeJS.ProcessEnv, author?: string): CommentTarget {
  const http = gitlabHttp(env);
  if (typeof http === 'string') return { error: http };
  const projectId = env.CI_PROJECT_ID;
  const mr = env.CI_MERGE_REQUEST_IID;
  if (!projectId) return { error: 'CI_PROJECT_ID is not set: run this inside a GitLab CI job' };
  if (!mr) return { skip: 'comment: not a merge request pipeline (CI_MERGE_REQUEST_IID unset); no note written.' };
  return {
    forge: gitlabMergeRequest(http, projectId, mr, author),
    runUrl: env.CI_PIPELINE_URL,
    sha: env.CI_COMMIT_SHA,
  };
}

/**
 * The plan file `path` from job `job` of the newest pipeline of the merge request merged as `sha`,
 * as text, or null when there is none.
 */
export async function fetchGitlabPlan(
  http: ForgeHttp,
  projectId: string,
  sha: string,
  job: string,
  path: string,
): Promise<Reply<string | null>> {
  const project = `${http.api}/projects/${encodeURIComponent(projectId)}`;
  const mrs = await call<{ iid: number; state?: string; sha?: string }[]>(
    http,
    'GET',
    `${project}/repository/commits/${sha}/merge_requests`,
  );
  if (!mrs.ok) return mrs;
  const mr = (Array.isArray(mrs.value) ? mrs.value : []).find((m) => m.state === 'merged');
  if (!mr) return { ok: true, value: null };
  const pipelines = await call<{ id: number; sha?: string }[]>(
    http,
    'GET',
    `${project}/merge_requests/${mr.iid}/pipelines`,
  );
  if (!pipelines.ok) return pipelines;
  const ordered = (Array.isArray(pipelines.value) ? pipelines.value : [])
    .filter((p) => !mr.sha || p.sha === mr.sha)
    .sort((a, b) => b.id - a.id);
  for (const pipeline of ordered) {
    const jobs = await listAll<{ id: number; name: string; status?: string }>(
      http,
      `${project}/pipelines/${pipeline.id}/jobs?per_page=100`,
    );
    if (!jobs.ok) return jobs;
    const found = jobs.value.filter((j) => j.name === job && j.status === 'success').sort((a, b) => b.id - a.id)[0];
    if (!found) continue;
    const file = await call<unknown>(
      http,
      'GET',
      `${project}/jobs/${found.id}/artifacts/${path.split('/').map(encodeURIComponent).join('/')}`,
    );
    if (!file.ok) return file.error.status === 404 ? { ok: true, value: null } : file;
    return { ok: true, value: typeof file.value === 'string' ? file.value : JSON.stringify(file.value) };
  }
  return { ok: true, value: null };
}
