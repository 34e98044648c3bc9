/**
 * The HTTP transport: one node:http keep-alive agent for the Manager's origin (node:https with an
 * optional private CA), sized to the concurrency, with a per-request timeout. It knows nothing
 * about Apinizer: it sends and returns status, headers, text.
 *
 * node:http, not undici (which this client used first): in a run of a few hundred requests, the
 * usual apply, undici's WebAssembly parser and modules cost about 400 us of CPU per request
 * against 250 us, and about 35 MB more peak RSS; undici is cheaper per request only once warm
 * (35 against 50 us), which pays back after some 5,000 requests. docs/performance.md has the runs.
 *
 * The timeout is an overall deadline per attempt: the connection, the headers and the whole body
 * must arrive within it, so an answer trickling in one byte every half second is cut. The size of
 * an answer is capped too (a 600 MB list must not take gigabytes of memory, nor be fetched four
 * times): past the cap the body is dropped and the call fails for good.
 */
import { isAscii } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as http from 'node:http';
import type { ClientRequest, IncomingMessage, OutgoingHttpHeaders } from 'node:http';
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

/** What a call in flight can be stopped with: the deadline and the caller's signal both use it. */
interface Stoppable {
  stop(reason: Error): void;
}

/**
 * The calls in flight, each in a numbered place that is reused once it is free. Not a Set: one
 * add and delete per request left the deleted calls (and, through their closures, whole
 * exchanges) in the Set's table until it was next rebuilt, long enough for the young generation
 * to promote them: 50 MB of an in-process run of 10,000 requests, against 4 MB without.
 */
class InFlight {
  private readonly calls: (Stoppable | undefined)[] = [];
  private readonly free: number[] = [];

  /** Adds a call; returns its place, for `remove`. */
  add(call: Stoppable): number {
    const at = this.free.pop() ?? this.calls.length;
    this.calls[at] = call;
    return at;
  }

  remove(at: number): void {
    this.calls[at] = undefined;
    this.free.push(at);
  }

  /** Stops every call in flight. */
  stopAll(reason: () => Error): void {
    for (const call of this.calls) call?.stop(reason());
  }
}

/** The connection closed before the whole answer arrived: a network failure, retried like a reset. */
function closedEarly(): Error {
  return Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'ECONNRESET' });
}

/** The node:http transport. */
export function createTransport(options: TransportOptions): Transport {
  const url = new URL(options.origin);
  const secure = url.protocol === 'https:';
  // https (and with it tls) is loaded only for an https:// Manager.
  const lib: typeof http = secure ? (createRequire(import.meta.url)('node:https') as typeof http) : http;
  const agent = new lib.Agent({
    keepAlive: true,
    maxSockets: Math.max(1, options.connections),
    ...(secure && options.ca !== undefined ? { ca: options.ca } : {}),
  });
  // node:http takes an IPv6 address without its brackets.
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = url.port !== '' ? Number(url.port) : secure ? 443 : 80;
  const maxBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
  // Calls wait for a free connection here, before their deadline starts: a burst of calls larger
  // than the pool must not time out while the server is fine. The agent then never queues.
  const slots = createSlots(Math.max(1, options.connections));
  // The caller's signal stops every call in flight: one listener for the whole run.
  const inFlight = new InFlight();
  let active = 0;
  let drained: (() => void) | undefined;
  options.signal?.addEventListener('abort', () => inFlight.stopAll(() => new TransportAborted()), { once: true });

  function sendNow(request: TransportRequest): Promise<HttpAnswer> {
    if (options.signal?.aborted) return Promise.reject(new TransportAborted());
    return new Promise<HttpAnswer>((resolve, reject) => {
      let req: ClientRequest | undefined;
      let settled = false;
      const what = () => `${request.method} ${request.path.split('?')[0] ?? ''}`;
      const call: Stoppable = {
        stop(reason) {
          if (settled) return;
          done(reason);
          req?.destroy(); // the rest of the answer is never read; the connection is not reused
        },
      };
      // One deadline for the whole exchange (connection, headers and whole body).
      const timer = setTimeout(() => call.stop(new TransportTimeout(options.timeoutMs)), options.timeoutMs);
      const place = inFlight.add(call);
      active += 1;
      function done(err: Error | null, answer?: HttpAnswer): void {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        inFlight.remove(place);
        active -= 1;
        if (active === 0) drained?.();
        if (answer !== undefined) resolve(answer);
        else reject(err ?? new Error('no answer'));
      }
      const headers: OutgoingHttpHeaders =
        request.body === undefined
          ? request.headers
          : { ...request.headers, 'content-length': Buffer.byteLength(request.body) };
      try {
        req = lib.request({ agent, host, port, method: request.method, path: request.path, headers });
      } catch (err) {
        // A header value node:http refuses (a line break in a token): permanent, named by its code.
        done(err as Error);
        return;
      }
      req.on('error', done);
      req.on('response', (res: IncomingMessage) => {
        const declared = Number(res.headers['content-length']);
        if (Number.isFinite(declared) && declared > maxBytes) {
          call.stop(new TransportTooLarge(what(), maxBytes));
          return;
        }
        const status = res.statusCode ?? 0;
        // A sink (a list read element by element, list-stream.ts) takes the chunks as they arrive;
        // what it throws fails the exchange like a broken answer would.
        let sink: BodySink | undefined;
        try {
          sink = request.sink?.(status);
        } catch (err) {
          call.stop(err as Error);
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          // Past the cap: stop reading, the rest is never downloaded.
          if (size > maxBytes) call.stop(new TransportTooLarge(what(), maxBytes));
          else if (settled) return;
          else if (sink) {
            try {
              sink.write(chunk);
            } catch (err) {
              call.stop(err as Error);
            }
          } else chunks.push(chunk);
        });
        res.on('end', () => {
          if (settled) return;
          if (sink) {
            let ended: ReturnType<BodySink['end']>;
            try {
              ended = sink.end();
            } catch (err) {
              done(err as Error);
              return;
            }
            const { text, chars, notJson } = ended;
            done(null, { status, headers: res.headers, text, streamed: { chars, notJson } });
            return;
          }
          const bytes = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
          if (request.raw) done(null, { status, headers: res.headers, text: bytes.toString('utf8'), bytes });
          else done(null, { status, headers: res.headers, text: decodeBody(bytes) });
        });
        res.on('error', done);
        res.on('close', () => {
          if (!settled) done(closedEarly()); // after 'end' there is nothing to do
        });
      });
      req.end(request.body);
    });
  }

  return {
    send: (request) => slots(() => sendNow(request)),
    close: async () => {
      // Once the calls in flight are done; idle keep-alive connections never hold the process.
      if (active > 0) await new Promise<void>((resolve) => (drained = resolve));
      agent.destroy();
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
