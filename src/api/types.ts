import type { ApiGeneration, CurrentResource, DesiredResource, Kind, ResourceId } from '../model.js';

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
export type Result<T> = { ok: true; value: T } | { ok: false; error: ApiError };

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

/**
 * The query parameters of a write besides the object (SPEC §5), as the kind's descriptor chose them
 * for the plan (src/kinds/): the client sends them as given and knows nothing of what they mean.
 */
export type WriteQuery = Readonly<Record<string, string>>;

/**
 * The calls the reconciler makes, one implementation over HTTP (src/api/client.ts). Apply, watch
 * and export depend on this interface only, so pure logic can be tested with an in-memory fake.
 * Every method resolves (never rejects) with a Result.
 */
export interface ResourceActions {
  /** All resources of one kind in a project. A project the server does not know: `not-found`. */
  list(project: string, kind: Kind): Promise<Result<CurrentResource[]>>;
  /** One resource, or null when the server says it does not exist (404, or 400 "not found"). */
  get(id: ResourceId): Promise<Result<CurrentResource | null>>;
  /** POST the complete object. "Already exist" comes back as error kind `already-exists`. */
  create(resource: DesiredResource): Promise<Result<WriteResult>>;
  /** PUT the complete object. A missing object comes back as error kind `not-found`. */
  update(resource: DesiredResource, query?: WriteQuery): Promise<Result<WriteResult>>;
  /** DELETE. A missing object comes back as error kind `not-found` (the caller counts it as done). */
  delete(id: ResourceId, query?: WriteQuery): Promise<Result<WriteResult>>;
  /** Names of the environments reachable from a project. Unknown project: `not-found`. */
  environments(project: string): Promise<Result<string[]>>;
  /**
   * The API generation the server speaks for a project (SPEC §2b), found once per project by the
   * environments probe, or fixed by configuration.
   */
  generation(project: string): Promise<Result<ApiGeneration>>;
  /**
   * The raw material of one environment of an object through the current generation's
   * export-file endpoint: a PEM, a secret key, or keystore bytes. Refused: `unauthorized` /
   * `forbidden`; no such endpoint, object or material: `not-found`.
   */
  exportMaterial(id: ResourceId, environment: string): Promise<Result<Buffer>>;
}

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
