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
import { Pool } from 'undici';
import { UsageError } from '../errors.js';
import type { HttpAnswer } from './dialect.js';
import type { Method } from './retry.js';

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
  /**
   * Called with the status once the headers are in: a sink returned takes the body's chunks as they
   * arrive instead of their being kept (a list read element by element, list-stream.ts), and what
   * it ends with stands for the body.
   */
  sink?: (status: number) => BodySink | undefined;
}

/** Where a streamed body goes; `end` gives the text that stands for it (see HttpAnswer.streamed). */
export interface BodySink {
  write(chunk: Buffer): void;
  end(): { text: string; chars: number; notJson: boolean };
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

  // The caller's signal stops every request in flight through its own controller: one listener
  // for the whole run instead of an AbortSignal.any() per request, whose argument checks and
  // bookkeeping were the largest cost of sending a request after undici's own.
  const inFlight = new Set<AbortController>();
  options.signal?.addEventListener(
    'abort',
    () => {
      for (const c of inFlight) c.abort(new TransportAborted());
    },
    { once: true },
  );

  async function sendNow(request: TransportRequest): Promise<HttpAnswer> {
    const outer = options.signal;
    if (outer?.aborted) throw new TransportAborted();
    // One deadline for the whole exchange; cleared however it ends.
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new TransportTimeout(options.timeoutMs)), options.timeoutMs);
    inFlight.add(deadline);
    const signal = deadline.signal;
    const what = `${request.method} ${request.path.split('?')[0] ?? ''}`;
    try {
      const res = await pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        signal,
      });
      const declared = Number(res.headers['content-length']);
      if (Number.isFinite(declared) && declared > maxBytes) {
        res.body.destroy();
        throw new TransportTooLarge(what, maxBytes);
      }
      const sink = request.sink?.(res.statusCode);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > maxBytes) {
          res.body.destroy(); // stop reading: the rest is never downloaded
          throw new TransportTooLarge(what, maxBytes);
        }
        if (sink) sink.write(chunk);
        else chunks.push(chunk);
      }
      if (sink) {
        const { text, chars, notJson } = sink.end();
        return { status: res.statusCode, headers: res.headers, text, streamed: { chars, notJson } };
      }
      const bytes = Buffer.concat(chunks, size);
      chunks.length = 0;
      if (request.raw) return { status: res.statusCode, headers: res.headers, text: bytes.toString('utf8'), bytes };
      return { status: res.statusCode, headers: res.headers, text: decodeBody(bytes) };
    } catch (err) {
      if (err instanceof TransportTooLarge) throw err;
      if (outer?.aborted) throw new TransportAborted();
      if (deadline.signal.aborted) throw new TransportTimeout(options.timeoutMs);
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TransportTimeout(options.timeoutMs);
      }
      throw err;
    } finally {
      clearTimeout(timer);
      inFlight.delete(deadline);
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
