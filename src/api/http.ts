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
import { readFileSync } from 'node:fs';
import pLimit from 'p-limit';
import { Pool, util } from 'undici';
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
   * The answer is a file (export-file): keep its bytes. Otherwise the body is decoded chunk by
   * chunk as it arrives and only its text is kept, so a 20 MB list never sits in memory three
   * times over (the chunks, their concatenation and the text).
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

/** Decodes an answer that came in one chunk (not streaming: it keeps no state between calls). */
const wholeDecoder = new TextDecoder('utf-8');

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
  const slots = pLimit(Math.max(1, options.connections));

  // The caller's signal stops every request in flight: one listener for the whole run, and a
  // cancel function per request in flight (no AbortController, no AbortSignal per request).
  const inFlight = new Set<(reason: Error) => void>();
  options.signal?.addEventListener(
    'abort',
    () => {
      for (const cancel of inFlight) cancel(new TransportAborted());
    },
    { once: true },
  );

  /**
   * One exchange through undici's dispatch with a handler of our own: the answer's chunks come to
   * `onData` and are decoded there, with none of `pool.request`'s per-request machinery (an
   * AsyncResource, a Readable body and its async iterator, an abort listener on a signal). One
   * deadline for the whole exchange; the first chunk is kept as it is, since most answers are one
   * chunk, decoded once by the shared decoder; a second starts a streaming decoder of this answer,
   * fed the first, so the text is the same.
   */
  function exchange(request: TransportRequest, what: string): Promise<HttpAnswer> {
    return new Promise<HttpAnswer>((resolve, reject) => {
      let abort: ((reason: Error) => void) | undefined;
      let reason: Error | undefined;
      let settled = false;
      let status = 0;
      let headers: Record<string, string | string[] | undefined> = {};
      const chunks: Buffer[] = [];
      const parts: string[] = [];
      let first: Buffer | undefined;
      let decoder: InstanceType<typeof TextDecoder> | undefined;
      let size = 0;
      const finish = (err: Error | undefined, answer?: HttpAnswer) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.delete(cancel);
        if (err) reject(err);
        else resolve(answer as HttpAnswer);
      };
      /** Stops the exchange with `why` (deadline, caller's signal, answer too large); once. */
      const cancel = (why: Error) => {
        if (settled || reason !== undefined) return;
        reason = why;
        if (abort) abort(why); // undici then calls onError(why)
      };
      const timer = setTimeout(() => cancel(new TransportTimeout(options.timeoutMs)), options.timeoutMs);
      inFlight.add(cancel);
      pool.dispatch(
        {
          method: request.method,
          path: request.path,
          headers: request.headers,
          body: request.body ?? null,
        },
        {
          onConnect(a: (reason: Error) => void) {
            if (reason !== undefined) a(reason);
            else abort = a;
          },
          onHeaders(statusCode: number, rawHeaders: Buffer[]) {
            if (statusCode < 200) return true; // informational: the answer is still to come
            status = statusCode;
            headers = util.parseHeaders(rawHeaders) as Record<string, string | string[] | undefined>;
            const declared = Number(headers['content-length']);
            if (Number.isFinite(declared) && declared > maxBytes) cancel(new TransportTooLarge(what, maxBytes));
            return true;
          },
          onData(chunk: Buffer) {
            if (reason !== undefined) return true;
            size += chunk.length;
            if (size > maxBytes) {
              cancel(new TransportTooLarge(what, maxBytes)); // stop reading: the rest is never downloaded
              return true;
            }
            if (request.raw) chunks.push(chunk);
            else if (first === undefined && decoder === undefined) first = chunk;
            else {
              if (decoder === undefined) {
                decoder = new TextDecoder('utf-8');
                parts.push(decoder.decode(first, { stream: true }));
                first = undefined;
              }
              parts.push(decoder.decode(chunk, { stream: true }));
            }
            return true;
          },
          onComplete() {
            if (reason !== undefined) return finish(reason);
            if (request.raw) {
              const bytes = Buffer.concat(chunks, size);
              return finish(undefined, { status, headers, text: bytes.toString('utf8'), bytes });
            }
            if (decoder === undefined) {
              return finish(undefined, {
                status,
                headers,
                text: first === undefined ? '' : wholeDecoder.decode(first),
              });
            }
            parts.push(decoder.decode());
            finish(undefined, { status, headers, text: parts.join('') });
          },
          onError(err: Error) {
            finish(reason ?? err);
          },
        },
      );
    });
  }

  async function sendNow(request: TransportRequest): Promise<HttpAnswer> {
    const outer = options.signal;
    if (outer?.aborted) throw new TransportAborted();
    const what = `${request.method} ${request.path.split('?')[0] ?? ''}`;
    try {
      return await exchange(request, what);
    } catch (err) {
      if (err instanceof TransportTooLarge) throw err;
      if (outer?.aborted) throw new TransportAborted();
      if (err instanceof TransportTimeout) throw new TransportTimeout(options.timeoutMs);
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TransportTimeout(options.timeoutMs);
      }
      throw err;
    }
  }

  return {
    send: (request) => slots(() => sendNow(request)),
    close: async () => {
      if (!pool.closed) await pool.close();
    },
  };
}
