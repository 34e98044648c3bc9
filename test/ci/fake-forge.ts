// A tiny node:http stand-in for the GitHub and GitLab REST endpoints the PR script calls: comments
// and notes (paginated with Link headers, as both forges do), and the calls that find a merged
// pull request's plan. It records every request, so tests can check methods, paths and headers.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Comment {
  id: number;
  body: string;
  system?: boolean;
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
      if (method === 'GET' && p === '/repos/o/r/issues/7/comments') return page(req, res, url, forge.comments);
      if (method === 'POST' && p === '/repos/o/r/issues/7/comments')
        return write(201, (d) => {
          const c = { id: nextId++, body: d.body };
          forge.comments.push(c);
          return c;
        });
      if (method === 'PATCH' && (m = /^\/repos\/o\/r\/issues\/comments\/(\d+)$/.exec(p))) {
        const c = forge.comments.find((x) => x.id === Number(m![1]));
        if (!c) return json(res, 404, { message: 'Not Found' });
        return write(200, (d) => ((c.body = d.body), c));
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
      if (p === '/api/v4/projects/123/merge_requests/5/notes') {
        if (method === 'GET') return page(req, res, url, forge.comments);
        if (method === 'POST')
          return write(201, (d) => {
            const c = { id: nextId++, body: d.body };
            forge.comments.push(c);
            return c;
          });
      }
      if (method === 'PUT' && (m = /^\/api\/v4\/projects\/123\/merge_requests\/5\/notes\/(\d+)$/.exec(p))) {
        const c = forge.comments.find((x) => x.id === Number(m![1]));
        if (!c) return json(res, 404, { message: '404 Not found' });
        return write(200, (d) => ((c.body = d.body), c));
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
