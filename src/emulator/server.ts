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
}

/** Mutable counters behind EmulatorStats. */
export class StatsCounter {
  total = 0;
  byRoute = new Map<string, number>();
  writes = 0;
  faults = 0;
  maxInFlight = 0;
  inFlight = 0;

  /** A JSON-ready copy. */
  snapshot(): EmulatorStats {
    return {
      total: this.total,
      byRoute: Object.fromEntries(this.byRoute),
      writes: this.writes,
      faults: this.faults,
      maxInFlight: this.maxInFlight,
      inFlight: this.inFlight,
    };
  }

  /** Zeroes the counts; in-flight requests stay counted. */
  reset(): void {
    this.total = 0;
    this.byRoute.clear();
    this.writes = 0;
    this.faults = 0;
    this.maxInFlight = this.inFlight;
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
  const bytes = Buffer.from(answer.body, 'utf8');
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
  if (kind === '503') return errorAnswer(dialect, { status: 503, error: 'service_unavailable', description: 'Service unavailable (injected by the emulator)' });
  return errorAnswer(dialect, { status: 500, error: 'internal_error', description: 'Internal server error (injected by the emulator)' });
}

function handleControl(method: string, path: string, ctx: ServerContext): Answer {
  const p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (p === '/__emulator/stats' && method === 'GET') return plainAnswer(200, ctx.stats.snapshot());
  if (p === '/__emulator/reset-stats' && method === 'POST') {
    ctx.stats.reset();
    return plainAnswer(200, ctx.stats.snapshot());
  }
  return plainAnswer(404, { error: 'not_found', error_description: 'Emulator endpoints: GET /__emulator/stats, POST /__emulator/reset-stats' });
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
      send(res, plainAnswer(500, { error: 'internal_error', error_description: `emulator bug: ${(err as Error).message}` }));
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
    send(res, errorAnswer(ctx.settings.dialect, { status: 413, error: 'payload_too_large', description: `The request body exceeds ${MAX_BODY_BYTES} bytes`, headers: { connection: 'close' } }));
    return;
  }
  const request = { route, body, contentType: req.headers['content-type'], authorization: req.headers.authorization };
  if (route.op !== 'token') {
    const denied = checkAuth(request, ctx);
    if (denied) {
      send(res, errorAnswer(ctx.settings.dialect, { ...denied, headers: { 'www-authenticate': `Bearer error="${denied.error}"` } }));
      return;
    }
  }
  send(res, handleApi(request, ctx));
}
