// Which failures are retried and how long to wait: the retry policy, exponential backoff with full
// jitter, and Retry-After. Pure, so the schedule is tested without a clock or a server.
import type { ApiError } from './types.js';

/** How transient failures are retried: attempts, and exponential backoff with full jitter. */
export interface RetryPolicy {
  /** Attempts per call, the first included (SPEC §5: default 4). */
  attempts: number;
  /** Backoff of the first retry before jitter. */
  baseMs: number;
  /** The backoff never grows past this (before jitter). */
  capMs: number;
  /**
   * A server that asks for a longer pause than this (Retry-After / retry_after) is not retried:
   * waiting an hour inside a CI job helps nobody, and waiting less would ignore the server.
   */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 4, baseMs: 200, capMs: 10_000, maxRetryAfterMs: 60_000 };

/** HTTP methods the client sends. */
export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/**
 * Network error codes that mean "the request may not have happened, or the answer was lost":
 * worth another try. Certificate failures, unknown hosts and our own misuse are not: they fail
 * the same way every time, and retrying only hides the message for a while.
 */
const PERMANENT_NETWORK_CODES = new Set([
  'ENOTFOUND',
  // node:http refusing a request it was given (a header value, a path): the same every time.
  'ERR_INVALID_CHAR',
  'ERR_HTTP_INVALID_HEADER_VALUE',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_UNESCAPED_CHARACTERS',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_DESTROYED',
  'UND_ERR_CLOSED',
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_RETURN_VALUE',
  'ERR_INVALID_URL',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
]);

/** True when a network error code is one that another attempt may cure. */
export function isTransientNetworkCode(code: string | null | undefined): boolean {
  if (!code) return true; // an unnamed socket failure: assume the connection broke
  return !PERMANENT_NETWORK_CODES.has(code);
}

/** HTTP statuses that mean "the server could not answer this time" (SPEC §5). */
const TRANSIENT_STATUSES = new Set([429, 500, 502, 503, 504]);

/**
 * Whether a failed attempt should be tried again (SPEC §5): network errors, timeouts, 429, 500,
 * 502, 503 and 504, for every method. Repeating a write is safe because the caller closes each
 * case: a POST whose first attempt was saved meets "already exist" and switches to a PUT, a PUT
 * is idempotent, and a DELETE whose first attempt was saved meets a 404 that counts as done.
 * `method` stays in the signature so a future non-idempotent call can opt out in one place.
 */
export function isRetryable(_method: Method, error: Pick<ApiError, 'kind' | 'status' | 'code'>): boolean {
  switch (error.kind) {
    case 'network':
      return isTransientNetworkCode(error.code);
    case 'timeout':
    case 'rate-limited':
      return true;
    case 'server':
      return error.status !== null && TRANSIENT_STATUSES.has(error.status);
    default:
      return false;
  }
}

/**
 * Whether a call that failed after all its attempts failed transiently (the same rules as
 * `isRetryable`): the one kind of failure that a later, separate try may still cure. Apply gives
 * such resources one more round at the end of the run, and planning one more read.
 */
export function isTransientFailure(error: { kind: string; status: number | null; code?: string | null }): boolean {
  return isRetryable('GET', { kind: error.kind as ApiError['kind'], status: error.status, code: error.code ?? null });
}

/**
 * The pause before retry number `retry` (1 = the first retry): full jitter,
 * `random() * min(cap, base * 2^(retry-1))`, but never less than what the server asked for.
 */
export function backoffDelay(retry: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** Math.max(0, retry - 1));
  const r = Math.min(Math.max(random(), 0), 1);
  const jittered = Math.floor(r * ceiling);
  return retryAfterMs !== undefined ? Math.max(jittered, retryAfterMs) : jittered;
}

/**
 * A `Retry-After` header in milliseconds: delta-seconds or an HTTP-date (relative to `nowMs`).
 * Undefined when absent or unreadable; a date in the past is 0.
 */
export function parseRetryAfterHeader(value: string | string[] | undefined, nowMs: number): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (trimmed === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** The documented `retry_after` body field (seconds, number or numeric string) in milliseconds. */
export function parseRetryAfterBody(body: unknown): number | undefined {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return undefined;
  const raw = (body as Record<string, unknown>).retry_after ?? (body as Record<string, unknown>).retryAfter;
  const n = typeof raw === 'number' ? raw : typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : NaN;
  if (!Number.isFinite(n) || n < 0) return undefined;
  return Math.round(n * 1000);
}
