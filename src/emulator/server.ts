// The emulator's node:http server: routing, auth, fault injection, request counts and the
// /__emulator/ control endpoints around the pure handlers.
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Answer } from './dialect.js';
import { errorAnswer, plainAnswer } from './dialect.js';
import type { FaultInjector, FaultKind } from './faults.js';
import { checkAuth, handleApi, type HandlerContext } from './handlers.js';
import { matchRoute } from './routes.js';

/** Request counts, as GET /__emulator/stats shows them. */
export interface EmulatorStats {
  total: number;
  /** By method and route template, e.g. "GET /apiops/projects/{project}/keys/". */
  byRoute: Record<string, number>;
  /** Committed creates, updates and deletes. */
  writes: number;
  faults: number;
  /** The most API requests handled at once (from request start to response end, latency included). */
  maxInFlight: number;
  inFlight: number;
  /** export-file calls that reached the emulator, whatever the answer (refused ones included). */
  exports: number;
  /** export-file calls answered 200 with material. */
  exportsServed: number;
  /** export-file calls refused with 403 (`refuseExport`). */
  exportsRefused: number;
  /**
   * Requests that carried a query string, by route template and their sorted parameters, e.g.
   * "PUT /apiops/projects/{project}/keys/{name}/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT".
   */
  byQuery: Record<string, number>;
}

/** One API request as GET /__emulator/requests lists it: never a body or a header. */
export interface LoggedRequest {
  method: string;
  /** The path as sent (URL-encoded), without the query. */
  path: string;
  /** The route template, as in `byRoute`. */
  route: string;
  /** Query parameters; a repeated one keeps its last value. */
  query: Record<string, string>;
  /** The HTTP status answered; 0 for an injected connection reset. */
  status: number;
}

/** The most requests the log keeps; older ones are dropped (and counted). */
export const REQUEST_LOG_LIMIT = 100_000;

/** Mutable counters behind EmulatorStats. */
export class StatsCounter {
  total = 0;
  byRoute = new Map<string, number>();
  writes = 0;
  faults = 0;
  maxInFlight = 0;
  inFlight = 0;
  exports = 0;
  exportsServed = 0;
  exportsRefused = 0;
  byQuery = new Map<string, number>();
  requests: LoggedRequest[] = [];
  requestsDropped = 0;

  /**
   * Records one API request in the log. Bounded: when full, the older half goes at once (so a
   * benchmark's millions of requests cost amortised O(1) each), counted in `dropped`.
   */
  log(entry: LoggedRequest): void {
    if (this.requests.length >= REQUEST_LOG_LIMIT) {
      const drop = Math.ceil(REQUEST_LOG_LIMIT / 2);
      this.requests.splice(0, drop);
      this.requestsDropped += drop;
    }
    this.requests.push(entry);
  }

  /** The request log as GET /__emulator/requests answers it. */
  requestLog(): { total: number; dropped: number; requests: LoggedRequest[] } {
    const total = this.requests.length + this.requestsDropped;
    return { total, dropped: this.requestsDropped, requests: [...this.requests] };
  }

  /** A JSON-ready copy. */
  snapshot(): EmulatorStats {
    return {
      total: this.total,
      byRoute: Object.fromEntries(this.byRoute),
      writes: this.writes,
      faults: this.faults,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
      exports: this.exports,
      exportsServed: this.exportsServed,
      exportsRefused: this.exportsRefused,
      byQuery: Object.fromEntries(this.byQuery),
    };
  }

  /** Zeroes the counts; in-flight requests stay counted. */
  reset(): void {
    this.total = 0;
    this.byRoute.clear();
    this.writes = 0;
    this.faults = 0;
    this.maxInFlight = this.inFlight;
    this.exports = 0;
    this.exportsServed = 0;
    this.exportsRefused = 0;
    this.byQuery.clear();
    this.requests = [];
    this.requestsDropped = 0;
  }
}

/** Everything the HTTP layer needs from the running emulator. */
export interface ServerContext extends HandlerContext {
  stats: StatsCounter;
  faults: FaultInjector;
  /** Resolves true after ms, or false when the emulator closes first. */
  delay(ms: number): Promise<boolean>;
  isClosed(): boolean;
}

const MAX_BODY_BYTES = 16 * 1024 * 1024;

function send(res: ServerResponse, answer: Answer): void {
  if (res.destroyed || res.writableEnded) return;
  // Encode once: the length header and the bytes sent come from the same buffer.
  const bytes = typeof answer.body === 'string' ? Buffer.from(answer.body, 'utf8') : answer.body;
  const headers: Record<string, string | number> = {
    'content-type': 'application/json; charset=utf-8',
    'content-length': bytes.length,
    ...answer.headers,
  };
  res.writeHead(answer.status, headers);
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return null;
    chunks.push(chunk);
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

function faultAnswer(kind: Exclude<FaultKind, 'reset'>, ctx: ServerContext): Answer {
  const dialect = ctx.settings.dialect;
  if (kind === '429') {
    const seconds = ctx.settings.retryAfterSeconds;
    return errorAnswer(dialect, {
      status: 429,
      error: 'rate_limit_exceeded',
      description: 'Rate limit exceeded (injected by the emulator)',
      extra: { retry_after: seconds },
      headers: { 'retry-after': String(seconds) },
    });
  }
  if (kind === '503')
    return errorAnswer(dialect, {
      status: 503,
      error: 'service_unavailable',
      description: 'Service unavailable (injected by the emulator)',
    });
  return errorAnswer(dialect, {
    status: 500,
    error: 'internal_error',
    description: 'Internal server error (injected by the emulator)',
  });
}

function handleControl(method: string, path: string, ctx: ServerContext): Answer {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (p === '/__emulator/stats' && method === 'GET') return plainAnswer(200, ctx.stats.snapshot());
  if (p === '/__emulator/requests' && method === 'GET') return plainAnswer(200, ctx.stats.requestLog());
  if (p === '/__emulator/reset-stats' && method === 'POST') {
    ctx.stats.reset();
    return plainAnswer(200, ctx.stats.snapshot());
  }
  const known = 'Emulator endpoints: GET /__emulator/stats, GET /__emulator/requests, POST /__emulator/reset-stats';
  return plainAnswer(404, { error: 'not_found', error_description: known });
}

/**
 * The node:http request listener. Order matters: the fault is decided on arrival (so the seeded
 * sequence follows request order) and acted on before authentication or the store, so a faulted
 * request changes nothing; latency is waited out before anything is answered.
 */
export function createRequestListener(ctx: ServerContext): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handleRequest(req, res, ctx).catch((err: unknown) => {
      // A bug in the emulator: answer 500 rather than hang the client.
      send(
        res,
        plainAnswer(500, { error: 'internal_error', error_description: `emulator bug: ${(err as Error).message}` }),
      );
    });
  };
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: ServerContext): Promise<void> {
  const method = req.method ?? 'GET';
  const url = req.url ?? '/';
  const q = url.indexOf('?');
  const path = q === -1 ? url : url.slice(0, q);

  if (path.startsWith('/__emulator/')) {
    await readBody(req);
    send(res, handleControl(method, path, ctx));
    return;
  }

  const { stats } = ctx;
  stats.total++;
  stats.inFlight++;
  if (stats.inFlight > stats.maxInFlight) stats.maxInFlight = stats.inFlight;
  res.once('close', () => stats.inFlight--);

  const route = matchRoute(method, path);
  stats.byRoute.set(route.template, (stats.byRoute.get(route.template) ?? 0) + 1);
  const query = new URLSearchParams(q === -1 ? '' : url.slice(q + 1));
  const logged: LoggedRequest = { method, path, route: route.template, query: Object.fromEntries(query), status: 0 };
  if (q !== -1 && query.size > 0) {
    const sorted = [...query].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const key = `${route.template}?${new URLSearchParams(sorted).toString()}`;
    stats.byQuery.set(key, (stats.byQuery.get(key) ?? 0) + 1);
  }
  if (route.op === 'exportFile') stats.exports++;
  res.once('finish', () => {
    logged.status = res.statusCode;
    if (route.op === 'exportFile' && res.statusCode === 200) stats.exportsServed++;
    if (route.op === 'exportFile' && res.statusCode === 403) stats.exportsRefused++;
  });
  stats.log(logged);
  const fault = route.op === 'token' ? null : ctx.faults.decide(ctx.settings.failRate, ctx.settings.failKinds);
  if (fault) stats.faults++;

  const body = await readBody(req);
  const latency = ctx.settings.latencyMs;
  if (latency > 0 && !(await ctx.delay(latency))) return;
  if (ctx.isClosed()) return;

  if (fault === 'reset') {
    req.socket.destroy();
    return;
  }
  if (fault) {
    send(res, faultAnswer(fault, ctx));
    return;
  }
  if (body === null) {
    send(
      res,
      errorAnswer(ctx.settings.dialect, {
        status: 413,
        error: 'payload_too_large',
        description: `The request body exceeds ${MAX_BODY_BYTES} bytes`,
        headers: { connection: 'close' },
      }),
    );
    return;
  }
  const { 'content-type': contentType, authorization } = req.headers;
  const request = { route, query, body, contentType, authorization };
  if (route.op !== 'token') {
    const denied = checkAuth(request, ctx);
    if (denied) {
      send(
        res,
        errorAnswer(ctx.settings.dialect, {
          ...denied,
          headers: { 'www-authenticate': `Bearer error="${denied.error}"` },
        }),
      );
      return;
    }
  }
  send(res, handleApi(request, ctx));
}
