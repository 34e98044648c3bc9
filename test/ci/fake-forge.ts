// A tiny node:http stand-in for the GitHub and GitLab REST endpoints the PR script calls: comments
// and notes (paginated with Link headers, as both forges do), and the calls that find a merged
// pull request's plan, and `GET /user` (who the token is). It records every request, so tests can
// check methods, paths and headers. Comments have authors, so a participant's comment that carries
// the plan marker can be planted beside the tool's own.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Comment {
  id: number;
  body: string;
  system?: boolean;
  /** Who wrote it; absent means the token's own identity on that forge. */
  author?: string;
}

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
}

export interface FakeForge {
  url: string;
  /** GitHub comments on PR 7 of o/r; GitLab notes on MR 5 of project 123. */
  comments: Comment[];
  requests: Recorded[];
  /** Page size the fake uses, whatever per_page asks (small, so pagination is exercised). */
  pageSize: number;
  /** When set, every call answers this status with a message echoing the Authorization header. */
  failWith: number | null;
  /**
   * The GitHub login `GET /user` answers; null answers 403 "Resource not accessible by integration",
   * as for the workflow's GITHUB_TOKEN, whose comments are then github-actions[bot]'s.
   */
  githubUser: string | null;
  /** The GitLab username `GET /api/v4/user` answers (a project access token's bot user). */
  gitlabUser: string;
  /** Data for find-plan-run / fetch-plan. */
  github: {
    pulls: unknown[];
    runs: { id: number; head_sha: string }[];
    artifacts: Record<number, { name: string; expired?: boolean }[]>;
  };
  gitlab: {
    mrs: unknown[];
    pipelines: { id: number; sha: string }[];
    jobs: Record<number, { id: number; name: string; status: string }[]>;
    files: Record<number, string>;
  };
  close(): Promise<void>;
}

/** Starts the fake on a free loopback port. */
export async function startFakeForge(): Promise<FakeForge> {
  let nextId = 1000;
  const forge: FakeForge = {
    url: '',
    comments: [],
    requests: [],
    pageSize: 2,
    failWith: null,
    githubUser: null,
    gitlabUser: 'project_123_bot_apinizer',
    github: { pulls: [], runs: [], artifacts: {} },
    gitlab: { mrs: [], pipelines: [], jobs: {}, files: {} },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };

  const json = (res: ServerResponse, status: number, data: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(data));
  };

  const page = (req: IncomingMessage, res: ServerResponse, url: URL, items: unknown[]) => {
    const n = Number(url.searchParams.get('page') ?? '1');
    const slice = items.slice((n - 1) * forge.pageSize, n * forge.pageSize);
    const headers: Record<string, string> = {};
    if (n * forge.pageSize < items.length) {
      const next = new URL(url);
      next.searchParams.set('page', String(n + 1));
      headers.link = `<${forge.url}${next.pathname}${next.search}>; rel="next", <${forge.url}${url.pathname}?page=1>; rel="first"`;
    }
    json(res, 200, slice, headers);
  };

  const server = createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://fake');
      const method = req.method ?? 'GET';
      forge.requests.push({ method, path: url.pathname + url.search, headers: req.headers, body });
      if (forge.failWith !== null) {
        // A careless server that echoes the credentials back: the script must still not print them.
        json(res, forge.failWith, {
          message: `Resource not accessible (${String(req.headers.authorization ?? req.headers['private-token'] ?? '')})`,
        });
        return;
      }
      const p = url.pathname;
      const write = (status: number, fn: (data: { body: string }) => unknown) => {
        const data = JSON.parse(body) as { body: string };
        json(res, status, fn(data));
      };
      let m: RegExpExecArray | null;
      // GitHub
      const githubMe = forge.githubUser ?? 'github-actions[bot]';
      const asGithub = (c: Comment) => ({ id: c.id, body: c.body, user: { login: c.author ?? githubMe } });
      if (method === 'GET' && p === '/user') {
        if (forge.githubUser === null)
          return json(res, 403, { message: 'Resource not accessible by integration', status: '403' });
        return json(res, 200, { login: forge.githubUser, id: 1 });
      }
      if (method === 'GET' && p === '/repos/o/r/issues/7/comments')
        return page(req, res, url, forge.comments.map(asGithub));
      if (method === 'POST' && p === '/repos/o/r/issues/7/comments')
        return write(201, (d) => {
          const c = { id: nextId++, body: d.body, author: githubMe };
          forge.comments.push(c);
          return asGithub(c);
        });
      if (method === 'PATCH' && (m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(p))) {
        const c = forge.comments.find((x) => x.id === Number(m![1]));
        if (!c) return json(res, 404, { message: 'Not Found' });
        // GitHub lets only the author (or a maintainer's token) edit a comment.
        if ((c.author ?? githubMe).toLowerCase() !== githubMe.toLowerCase())
          return json(res, 403, { message: 'Must have admin rights' });
        return write(200, (d) => ((c.body = d.body), asGithub(c)));
      }
      if (method === 'GET' && (m = /^\/repos\/o\/r\/commits\/(\w+)\/pulls$/.exec(p)))
        return json(res, 200, forge.github.pulls);
      if (method === 'GET' && p === '/repos/o/r/actions/workflows/ci.yml/runs') {
        const sha = url.searchParams.get('head_sha');
        return json(res, 200, { total_count: 0, workflow_runs: forge.github.runs.filter((r) => r.head_sha === sha) });
      }
      if (method === 'GET' && (m = /^\/repos\/o\/r\/actions\/runs\/(\d+)\/artifacts$/.exec(p))) {
        const name = url.searchParams.get('name');
        return json(res, 200, {
          artifacts: (forge.github.artifacts[Number(m[1])] ?? []).filter((a) => a.name === name),
        });
      }
      // GitLab
      const asGitlab = (c: Comment) => ({
        id: c.id,
        body: c.body,
        system: c.system ?? false,
        author: { username: c.author ?? forge.gitlabUser },
      });
      if (method === 'GET' && p === '/api/v4/user') return json(res, 200, { id: 9, username: forge.gitlabUser });
      if (p === '/api/v4/projects/123/merge_requests/5/notes') {
        if (method === 'GET') return page(req, res, url, forge.comments.map(asGitlab));
        if (method === 'POST')
          return write(201, (d) => {
            const c = { id: nextId++, body: d.body, author: forge.gitlabUser };
            forge.comments.push(c);
            return asGitlab(c);
          });
      }
      if (method === 'PUT' && (m = /^\/api\/v4\/projects\/123\/merge_requests\/5\/notes\/(\d+)$/.exec(p))) {
        const c = forge.comments.find((x) => x.id === Number(m![1]));
        if (!c) return json(res, 404, { message: '404 Not found' });
        if ((c.author ?? forge.gitlabUser) !== forge.gitlabUser) return json(res, 403, { message: '403 Forbidden' });
        return write(200, (d) => ((c.body = d.body), asGitlab(c)));
      }
      if (method === 'GET' && /^\/api\/v4\/projects\/123\/repository\/commits\/\w+\/merge_requests$/.test(p))
        return json(res, 200, forge.gitlab.mrs);
      if (method === 'GET' && p === '/api/v4/projects/123/merge_requests/5/pipelines')
        return json(res, 200, forge.gitlab.pipelines);
      if (method === 'GET' && (m = /^\/api\/v4\/projects\/123\/pipelines\/(\d+)\/jobs$/.exec(p)))
        return page(req, res, url, forge.gitlab.jobs[Number(m[1])] ?? []);
      if (method === 'GET' && (m = /^\/api\/v4\/projects\/123\/jobs\/(\d+)\/artifacts\/plan\.json$/.exec(p))) {
        const file = forge.gitlab.files[Number(m[1])];
        if (file === undefined) return json(res, 404, { message: '404 Not found' });
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        res.end(file);
        return;
      }
      json(res, 404, { message: `fake: no route ${method} ${p}` });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  forge.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return forge;
}
