/**
 * The HTTP transport: one undici keep-alive Pool for the Manager's origin, sized to the
 * concurrency, a per-request timeout, and an optional private CA. It knows nothing about Apinizer:
 * it sends and returns status, headers, text.
 *
 * The timeout is undici's own: connecting, waiting for the headers once the request is sent, and
 * each pause in the body. Time spent queued for a free connection does not count (a burst of
 * calls larger than the pool must not time out while the server is fine), and neither does a
 * large body that keeps flowing (a list of keystores carries their files).
 */
import { readFileSync } from 'node:fs';
import { Pool } from 'undici';
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
}

export interface TransportRequest {
  method: Method;
  /** Path and query, already encoded. */
  path: string;
  headers: Record<string, string>;
  body?: string;
}

export interface Transport {
  /** Sends one request; rejects with TransportTimeout, TransportAborted or the network error. */
  send(request: TransportRequest): Promise<HttpAnswer>;
  /** Closes the pool's connections once pending requests are done. */
  close(): Promise<void>;
}

/** No complete answer arrived within the per-request timeout. */
export class TransportTimeout extends Error {
  readonly code = 'TIMEOUT';
  constructor(readonly timeoutMs: number) {
    super(`no answer within ${timeoutMs} ms`);
  }
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
    if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Error('no PEM certificate (-----BEGIN CERTIFICATE-----) in it');
    return text;
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new Error(`cannot use CA file "${path}": ${e.code ?? e.message}`);
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

  async function send(request: TransportRequest): Promise<HttpAnswer> {
    const outer = options.signal;
    if (outer?.aborted) throw new TransportAborted();
    try {
      const res = await pool.request({
        method: request.method,
        path: request.path,
        headers: request.headers,
        body: request.body ?? null,
        ...(outer ? { signal: outer } : {}),
      });
      const bytes = Buffer.from(await res.body.arrayBuffer());
      return { status: res.statusCode, headers: res.headers, text: bytes.toString('utf8'), bytes };
    } catch (err) {
      if (outer?.aborted) throw new TransportAborted();
      const code = (err as { code?: unknown }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
        throw new TransportTimeout(options.timeoutMs);
      }
      throw err;
    }
  }

  return {
    send,
    close: async () => {
      if (!pool.closed) await pool.close();
    },
  };
}
