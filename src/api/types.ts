// The API layer's value types: a failed call as an ApiError value, a call's Result, what a write
// answered. Shared by the client, the core's port (src/reconcile/actions.ts) and the fakes.
import type { Result as Outcome } from '../result.js';

/**
 * What went wrong with one API call, as a value. `kind` is what callers branch on; `message` is
 * the server's own text (never containing a token or secret); `hint` says what the user should do.
 */
export type ApiErrorKind =
  | 'already-exists' // create answered "already exist" (400/409, duplicate_name, conflict)
  | 'not-found' // 404, or 400 with a "not found" message (second dialect)
  | 'project-not-found' // the project named in the path does not exist (or the user may not see it)
  | 'unauthorized' // 401
  | 'forbidden' // 403
  | 'rate-limited' // 429 after all retries
  | 'bad-request' // other 400 / validation errors
  | 'server' // 5xx after all retries
  | 'network' // connection refused/reset, DNS, TLS
  | 'timeout' // no answer within the per-request timeout
  | 'protocol' // an answer we cannot read (not JSON, unexpected shape)
  | 'aborted'; // cancelled by the caller (SIGINT/SIGTERM)

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly kind: ApiErrorKind,
    /** HTTP status, or null when no answer arrived. */
    readonly status: number | null,
    /** The server's error code (`bad_request`, `invalid_token`, ...) when it sent one. */
    readonly code: string | null,
    /** The server's message (`error_description` / `resultMessage`), or ours for network errors. */
    message: string,
    /** What the user should do about it, one sentence. */
    readonly hint: string,
    /** `METHOD /apiops/path/` of the failed call, for logs. */
    readonly request: string,
    /** How many attempts were made (retries included). */
    readonly attempts: number = 1,
  ) {
    super(message);
  }
}

/** A call's outcome as a value: failures are collected and reported, not thrown past the caller. */
export type Result<T> = Outcome<T, ApiError>;

/** One environment's entry of a write's `deploymentResult`. */
export interface EnvironmentDeployment {
  environment: string;
  success: boolean;
  message: string;
}

/** What a successful create/update/delete answered. */
export interface WriteResult {
  /** Per-environment deployment results; empty when the server sent none. */
  deployment: EnvironmentDeployment[];
}

// The query parameters of a write: defined with the port (src/reconcile/actions.ts).
export type { WriteQuery } from '../reconcile/actions.js';

// The port the core defines (src/reconcile/actions.ts); the client in this folder implements it.
export type { Pause, ResourceActions } from '../reconcile/actions.js';

/** Reported for every retry the client makes, so apply can adapt its concurrency on 429s. */
export interface RetryEvent {
  request: string;
  attempt: number; // the attempt that failed, 1-based
  status: number | null;
  reason: ApiErrorKind;
  delayMs: number;
}

/** Reported for every HTTP answer the client receives (retried attempts included), so the limiter sees the share of 429s. */
export interface AnswerEvent {
  request: string;
  /** HTTP status, or null when no answer arrived (network error, timeout). */
  status: number | null;
}
