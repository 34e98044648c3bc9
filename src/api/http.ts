/**
 * The HTTP transport: one undici keep-alive Pool for the Manager's origin, sized to the
 * concurrency, a per-request timeout, and an optional private CA. It knows nothing about Apinizer:
 * it sends and returns status, headers, text.
 *
 * The timeout is an overall deadline per attempt: the headers and the whole body must arrive within
 * it. undici's own headersTimeout/bodyTimeout restart with every chunk, so an answer trickling in
 * one byte every half second was never cut; they stay as inner bounds. The size of an answer is
 * capped too (a 600 MB list must not take gigabytes of memory, nor be fetched four times): past
 * the cap the body is dropped and the call fails for good.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Dispatcher, Pool as UndiciPool } from 'undici';
import { UsageError } from '../errors.js';
import type { HttpAnswer } from './dialect.js';
import type { Method } from './retry.js';

// undici's Pool alone, not its index: the index also loads fetch, WebSocket, caching, mocks and
// more, about 17 MB of RSS and 60 ms at start-up where the Pool takes 9 MB and 20 ms.
const Pool = createRequire(import.meta.url)('undici/lib/dispatcher/pool.js') as typeof UndiciPool;

export interface TransportOptions {
  /** `https://host:port` of the Manager. */
  origin: string;
  /** At least the number of calls that may run at once. */
  connections: number;
  timeoutMs: number;
  /** PEM text of extra trusted CAs. */
  ca?: string;
  signal?: AbortSignal;
  /** Largest answer body read, in bytes; default DEFAULT_MAX_ANSWER_BYTES. */
  maxAnswerBytes?: number;
}

/** Default cap on one answer: far above a real list (thousands of keystores), far below what hurts a CI runner. */
export const DEFAULT_MAX_ANSWER_BYTES = 256 * 1024 * 1024;

/** The answer cap from APINIZER_MAX_ANSWER_MB (MiB), else the default; throws UsageError for a bad value. */
export function maxAnswerBytesFrom(env: NodeJS.ProcessEnv): number {
  const raw = env.APINIZER_MAX_ANSWER_MB?.trim();
  if (raw === undefined || raw === '') return DEFAULT_MAX_ANSWER_BYTES;
  const mib = Number(raw);
  if (!Number.isFinite(mib) || mib < 1 || mib > 65_536) {
    throw new UsageError(
      `APINIZER_MAX_ANSWER_MB must be a number of MiB from 1 to 65536, got ${JSON.stringify(raw.slice(0, 40))}`,
    );
  }
  return Math.floor(mib * 1024 * 1024);
}

export interface TransportRequest {
  method: Method;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
  /**
   * The answer is a file (export-file): keep its bytes. Otherwise only the body's text is kept:
   * its chunks (outside the JS heap) are joined and decoded once, so a 20 MB list takes the heap
   * its text only, not the text twice (decoded pieces and their join), and an ASCII answer (every
   * JSON list) is copied, not decoded.
   */
  raw?: boolean;
}

export interface Transport {
  /** Sends one request; rejects with TransportTimeout, TransportTooLarge, TransportAborted or the network error. */
  send(request: TransportRequest): Promise<HttpAnswer>;
  /** Closes the pool's connections once pending requests are done. */
  close(): Promise<void>;
}

/** No complete answer (headers and whole body) arrived within the per-request timeout. */
export class TransportTimeout extends Error {
  readonly code = 'TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${formatSeconds(timeoutMs)}`);
  }
}

/** The answer's body is larger than the cap: permanent, never retried. */
export class TransportTooLarge extends Error {
  readonly code = 'ANSWER_TOO_LARGE';
  constructor(
    readonly request: string,
    readonly maxBytes: number,
  ) {
    super(`the answer of ${request} exceeded ${formatMiB(maxBytes)}`);
  }
}

/** `2 s`, `0.5 s`: a timeout as messages show it. */
export function formatSeconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`;
}

function formatMiB(bytes: number): string {
  return `${Math.round((bytes / (1024 * 1024)) * 10) / 10} MiB`;
}

/** The caller's signal stopped the request. */
export class TransportAborted extends Error {
  readonly code = 'ABORTED';
  constructor() {
    super('request aborted');
  }
}

/** Reads a CA bundle for `--ca-file`; throws an Error naming the file when it cannot be read. */
export function readCaFile(path: string): string {
  try {
    const text = readFileSync(path, 'utf8');
    if (!text.includes('-----BEGIN CERTIFICATE-----'))
      throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
    return text;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot use CA file "${path}": ${e.code ?? e.message}`);
  }
}

/**
 * At most `n` calls of `fn` at once, the others waiting in order: a slot is handed straight to the
 * next waiter when a call ends. What p-limit did here, without its three promises and closures per
 * call: a call that finds a free slot starts at once.
 */
function createSlots(n: number): <T>(fn: () => Promise<T>) => Promise<T> {
  let active = 0;
  const waiting: (() => void)[] = [];
  let head = 0;
  const release = () => {
    if (head < waiting.length) {
      const wake = waiting[head] as () => void;
      waiting[head] = noop; // let the woken call's closure go
      head += 1;
      if (head === waiting.length) {
        waiting.length = 0;
        head = 0;
      }
      wake(); // the slot passes on: active stays as it is
    } else active -= 1;
  };
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    if (active < n) active += 1;
    else await new Promise<void>((resolve) => waiting.push(resolve));
    try {
      return await fn();
    } finally {
      release();
    }
  };
}

function noop(): void {}

/** What a call in flight can be stopped with: the deadline and the caller's signal both use it. */
interface Stoppable {
  stop(reason: Error): void;
}

/**
 * One exchange as an undici dispatch handler: the answer's chunks are collected as they arrive
 * and the exchange settles once, at the end of the body or at the first error. No Readable
 * stream, async iterator or AbortSignal per request (what `pool.request` builds, and most of the
 * client's CPU per call beside undici's parser): at 16 answers arriving together, each one's cost
 * delays the next request of every connection behind it.
 */
class Exchange implements Dispatcher.DispatchHandler, Stoppable {
  private controller: Dispatcher.DispatchController | null = null;
  /** Set once settled: later callbacks from undici change nothing. */
  private settled = false;
  /** A stop that came before undici handed over the controller: applied when it does. */
  private pendingStop: Error | null = null;
  private status = 0;
  private headers: Record<string, string | string[] | undefined> = {};
  private chunks: Buffer[] = [];
  private size = 0;

  private readonly method: string;
  private readonly path: string;
  private readonly raw: boolean;
  // undici keeps up to 256 finished requests (and their handlers) per connection before it trims
  // its queue: once settled, a handler lets go of everything but a few strings.
  private resolve: ((answer: HttpAnswer) => void) | null;
  private reject: ((err: unknown) => void) | null;

  constructor(
    request: TransportRequest,
    private readonly maxBytes: number,
    resolve: (answer: HttpAnswer) => void,
    reject: (err: unknown) => void,
  ) {
    this.method = request.method;
    this.path = request.path;
    this.raw = request.raw === true;
    this.resolve = resolve;
    this.reject = reject;
  }

  /** `GET /path` without the query, for messages. */
  private what(): string {
    return `${this.method} ${this.path.split('?')[0] ?? ''}`;
  }

  private fail(err: unknown): void {
    if (this.settled) return;
    const reject = this.reject;
    this.release();
    reject?.(err);
  }

  private release(): void {
    this.settled = true;
    this.chunks = [];
    this.headers = {};
    this.controller = null;
    this.resolve = null;
    this.reject = null;
  }

  /** Ends the exchange with `reason`: the request is aborted (the rest of the body is never read). */
  stop(reason: Error): void {
    if (this.settled) return;
    if (this.controller) this.controller.abort(reason);
    else this.pendingStop = reason;
    this.fail(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.pendingStop) controller.abort(this.pendingStop);
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.controller = controller;
    this.status = statusCode;
    this.headers = headers;
    const declared = Number(headers['content-length']);
    if (Number.isFinite(declared) && declared > this.maxBytes)
      this.stop(new TransportTooLarge(this.what(), this.maxBytes));
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.settled) return;
    this.size += chunk.length;
    // Past the cap: stop reading, the rest is never downloaded.
    if (this.size > this.maxBytes) this.stop(new TransportTooLarge(this.what(), this.maxBytes));
    else this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (this.settled) return;
    const bytes = this.chunks.length === 1 ? (this.chunks[0] as Buffer) : Buffer.concat(this.chunks, this.size);
    const { status, headers, raw, resolve } = this;
    this.release();
    if (raw) resolve?.({ status, headers, text: bytes.toString('utf8'), bytes });
    else resolve?.({ status, headers, text: decodeBody(bytes) });
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    this.fail(err);
  }
}

/** The undici-backed transport. */
export function createTransport(options: TransportOptions): Transport {
  const pool = new Pool(options.origin, {
    connections: Math.max(1, options.connections),
    pipelining: 1,
    keepAliveTimeout: 10_000,
    headersTimeout: options.timeoutMs,
    bodyTimeout: options.timeoutMs,
    connect: { timeout: options.timeoutMs, ...(options.ca !== undefined ? { ca: options.ca } : {}) },
  });

  const maxBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;

  // Calls wait for a free connection here, before their deadline starts: a burst of calls larger
  // than the pool must not time out while the server is fine. The pool then never queues.
  const slots = createSlots(Math.max(1, options.connections));

  // The caller's signal stops every exchange in flight: one listener for the whole run.
  const inFlight = new Set<Stoppable>();
  options.signal?.addEventListener(
    'abort',
    () => {
      for (const c of inFlight) c.stop(new TransportAborted());
    },
    { once: true },
  );

  async function sendNow(request: TransportRequest): Promise<HttpAnswer> {
    const outer = options.signal;
    if (outer?.aborted) throw new TransportAborted();
    let exchange: Exchange | undefined;
    const answer = new Promise<HttpAnswer>((resolve, reject) => {
      exchange = new Exchange(request, maxBytes, resolve, reject);
    });
    const current = exchange as unknown as Exchange;
    // One deadline for the whole exchange (headers and whole body); cleared however it ends.
    const timer = setTimeout(() => current.stop(new TransportTimeout(options.timeoutMs)), options.timeoutMs);
    inFlight.add(current);
    try {
      pool.dispatch(
        {
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body ?? null,
        },
        current,
      );
      return await answer;
    } catch (err) {
      if (err instanceof TransportTooLarge || err instanceof TransportTimeout) throw err;
      if (outer?.aborted || err instanceof TransportAborted) throw new TransportAborted();
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TransportTimeout(options.timeoutMs);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      inFlight.delete(current);
    }
  }

  return {
    send: (request) => slots(() => sendNow(request)),
    close: async () => {
      if (!pool.closed) await pool.close();
    },
  };
}

/**
 * UTF-8 text of an answer's bytes as TextDecoder gives it (a leading BOM dropped, invalid bytes
 * replaced by U+FFFD); ASCII, the usual case, is copied byte for byte.
 */
export function decodeBody(bytes: Buffer): string {
  if (isAscii(bytes)) return bytes.toString('latin1');
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
