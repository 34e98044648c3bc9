/**
 * The Apinizer Management API client: the only code that speaks HTTP to Apinizer. Every call
 * resolves to a Result (never rejects); transient failures are retried here, so callers see one
 * outcome per call and learn about retries through `onRetry`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { UsageError } from '../cli/command.js';
import { silentLogger } from '../log.js';
import type { DesiredResource, Kind, ResourceId } from '../model.js';
import {
  type AuthSettings,
  type IssuedToken,
  type TokenSource,
  exchangedTokenSource,
  fixedTokenSource,
  readTokenAnswer,
  tokenRequestBody,
} from './auth.js';
import { type Failure, MAX_MESSAGE_CHARS, isProjectNotFound, readAnswer, readDeployment, readList, readNames, readSingle } from './dialect.js';
import { type CallContext, type CallName, networkFailure, toApiError } from './errors.js';
import { type Transport, TransportAborted, TransportTimeout, TransportTooLarge, createTransport, maxAnswerBytesFrom, readCaFile } from './http.js';
import { createRedactor } from './redact.js';
import { fromApiObject, toApiBody } from './mapping.js';
import { DEFAULT_RETRY_POLICY, type Method, type RetryPolicy, backoffDelay, isRetryable } from './retry.js';
import { apiBase, isHeaderSafe, isLoopbackHost, pathSegment } from './url.js';
import { ApiError, type ResourceActions, type Result, type RetryEvent, type UpdateOptions, type WriteResult } from './types.js';

export type { AuthSettings } from './auth.js';

export interface ClientOptions {
  /** Manager URL without /apiops (a trailing `/apiops` or slash is tolerated). */
  server: string;
  auth: AuthSettings;
  /** Calls the caller runs at once; the connection pool is at least this big. Default 4. */
  concurrency?: number;
  /** Per-request timeout. Default 30000. */
  timeoutMs?: number;
  /** Attempts per call for transient failures, the first included. Default 4. */
  attempts?: number;
  allowInsecureHttp?: boolean;
  /** PEM bundle of a private CA, trusted in addition to the system's. */
  caFile?: string;
  clock?: Clock;
  random?: () => number;
  logger?: Logger;
  onRetry?: (e: RetryEvent) => void;
  /** Aborting stops pending requests and backoff waits; calls resolve with kind `aborted`. */
  signal?: AbortSignal;
  /** Backoff tuning (base, cap); attempts come from `attempts`. */
  backoff?: Partial<Omit<RetryPolicy, 'attempts'>>;
  /** Largest answer body read; default APINIZER_MAX_ANSWER_MB, else 256 MiB. */
  maxAnswerBytes?: number;
}

/** The HTTP implementation of ResourceActions, plus the calls only the CLI needs. */
export interface ApiClient extends ResourceActions {
  /** Names of the projects the user can see. */
  listProjects(): Promise<Result<string[]>>;
  /** Closes the connection pool. */
  close(): Promise<void>;
}

const SEGMENT: Record<Kind, string> = { Key: 'keys', Keystore: 'keystores' };

export { apiBase, isLoopbackHost };

/** One path segment, always encoded; `.` and `..` too, so that no proxy resolves them away. */
function enc(segment: string): string {
  return pathSegment(segment);
}

/** Creates the client. Throws UsageError for a bad URL, plain http to a remote host, or an unreadable CA file. */
export function createApiClient(options: ClientOptions): ApiClient {
  const { url, origin, basePath } = apiBase(options.server);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && options.allowInsecureHttp !== true) {
    throw new UsageError(
      `refusing plain http:// to ${url.hostname}: the token would cross the network unencrypted. Use https://, or pass --allow-insecure-http if you accept that`,
    );
  }
  let ca: string | undefined;
  if (options.caFile !== undefined) {
    try {
      ca = readCaFile(options.caFile);
    } catch (err) {
      throw new UsageError(`--ca-file: ${(err as Error).message}`);
    }
  }
  const concurrency = Math.max(1, Math.floor(options.concurrency ?? 4));
  const timeoutMs = Math.max(1, options.timeoutMs ?? 30_000);
  const policy: RetryPolicy = { ...DEFAULT_RETRY_POLICY, ...options.backoff, attempts: Math.max(1, Math.floor(options.attempts ?? 4)) };
  const clock = options.clock ?? systemClock;
  const random = options.random ?? Math.random;
  const logger = options.logger ?? silentLogger();
  const signal = options.signal;
  const server = `${url.origin}${basePath.replace(/\/apiops$/, '')}`;
  const transport: Transport = createTransport({
    origin,
    connections: concurrency,
    timeoutMs,
    maxAnswerBytes: options.maxAnswerBytes ?? maxAnswerBytesFrom(process.env),
    ...(ca !== undefined ? { ca } : {}),
    ...(signal ? { signal } : {}),
  });
  const authMode = 'token' in options.auth ? 'token' : 'password';

  // Values that must never reach a message, in any form or fragment a server might echo back
  // (redact.ts); indexed so that scrubbing does not grow with the number of secrets.
  const redactor = createRedactor();
  const remember = (value: string) => redactor.remember(value);
  const scrub = (text: string) => redactor.scrub(text);

  let tokens: TokenSource;
  if ('token' in options.auth) {
    remember(options.auth.token);
    tokens = fixedTokenSource(options.auth.token);
  } else {
    const { username, password } = options.auth;
    remember(password);
    tokens = exchangedTokenSource(() => issueToken(username, password), clock);
  }

  interface Call {
    ctx: CallContext;
    /** Path with placeholders, for logs: `/apiops/projects/{project}/keys/`. */
    template: string;
    path: string;
    body?: string;
    contentType?: string;
    authenticated: boolean;
  }

  function context(call: CallName, method: Method, path: string, extra: Partial<CallContext> = {}): CallContext {
    return { call, method, request: `${method} ${path}`, auth: authMode, server, timeoutMs, maxRetryAfterMs: policy.maxRetryAfterMs, ...extra };
  }

  function abortedError(ctx: CallContext, attempts: number): ApiError {
    return toApiError({ kind: 'aborted', status: null, code: null, message: 'interrupted before the call finished' }, ctx, attempts);
  }

  /** One call with its retries, token renewal and logging; the JSON body of the success. */
  async function perform(call: Call): Promise<Result<unknown>> {
    const { ctx } = call;
    let attempt = 1; // attempt number for transient failures (renewal resends do not count)
    let sent = 0;
    let renewed = false;
    for (;;) {
      if (signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
      const headers: Record<string, string> = { accept: 'application/json', 'user-agent': 'apinizer-gitops' };
      if (call.contentType !== undefined) headers['content-type'] = call.contentType;
      let used: string | undefined;
      if (call.authenticated) {
        const t = await tokens.token();
        if (!t.ok) return t;
        used = t.value;
        remember(used);
        headers.authorization = `Bearer ${used}`;
      }
      sent++;
      const started = performance.now();
      let failure: Failure;
      try {
        const answer = await transport.send({ method: ctx.method, path: call.path, headers, ...(call.body !== undefined ? { body: call.body } : {}) });
        logger.debug({ method: ctx.method, path: call.template, status: answer.status, ms: Math.round(performance.now() - started), attempt: sent }, 'api request');
        const reading = readAnswer(answer, clock.now(), scrub);
        if (reading.ok) return { ok: true, value: reading.body };
        failure = reading.failure;
      } catch (err) {
        logger.debug({ method: ctx.method, path: call.template, status: null, ms: Math.round(performance.now() - started), attempt: sent }, 'api request failed');
        if (err instanceof TransportAborted || signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
        failure =
          err instanceof TransportTimeout
            ? { kind: 'timeout', status: null, code: null, message: err.message }
            : err instanceof TransportTooLarge
              ? { kind: 'protocol', status: null, code: err.code, message: err.message } // permanent: never retried
              : networkFailure(err);
      }
      // Network error texts come from Node and undici, not the server; scrubbed all the same.
      failure = { ...failure, message: scrub(failure.message).slice(0, MAX_MESSAGE_CHARS) };

      if (failure.kind === 'unauthorized' && used !== undefined && tokens.renewable && !renewed) {
        // A token issued for username/password may have expired or been revoked: one fresh try.
        renewed = true;
        tokens.invalidate(used);
        logger.info({ request: ctx.request }, 'token refused; fetching a new one');
        continue;
      }
      if (attempt < policy.attempts && isRetryable(ctx.method, failure)) {
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) {
          return { ok: false, error: toApiError(failure, ctx, sent) }; // the hint says how long it asked for
        }
        const delayMs = backoffDelay(attempt, policy, random, failure.retryAfterMs);
        const event: RetryEvent = { request: ctx.request, attempt, status: failure.status, reason: failure.kind, delayMs };
        logger.warn(event, 'retrying after a transient failure');
        options.onRetry?.(event);
        try {
          await clock.sleep(delayMs, signal);
        } catch {
          return { ok: false, error: abortedError(ctx, sent) };
        }
        attempt++;
        continue;
      }
      return { ok: false, error: toApiError(failure, ctx, sent) };
    }
  }

  async function issueToken(username: string, password: string): Promise<Result<IssuedToken>> {
    const path = `${basePath}/auth/token`;
    const ctx = context('token', 'POST', path);
    const result = await perform({
      ctx,
      template: path,
      path,
      body: tokenRequestBody(username, password),
      contentType: 'application/x-www-form-urlencoded',
      authenticated: false,
    });
    if (!result.ok) {
      // Whichever call needed the token reports this error: its message says it was the token request.
      const e = result.error;
      const message = `the token request (${ctx.request}) failed: ${e.message}`;
      return { ok: false, error: new ApiError(e.kind, e.status, e.code, message, e.hint, e.request, e.attempts) };
    }
    const issued = readTokenAnswer(result.value);
    if (!issued) {
      const failure: Failure = { kind: 'protocol', status: 200, code: null, message: 'the token request failed: its answer has no access_token' };
      return { ok: false, error: toApiError(failure, ctx, 1) };
    }
    if (!isHeaderSafe(issued.token)) {
      const failure: Failure = { kind: 'protocol', status: 200, code: null, message: 'the token request failed: its access_token has characters an HTTP header cannot carry' };
      return { ok: false, error: toApiError(failure, ctx, 1) };
    }
    remember(issued.token);
    return { ok: true, value: issued };
  }

  function shapeError(ctx: CallContext, expected: string): ApiError {
    return toApiError({ kind: 'protocol', status: 200, code: null, message: `unexpected answer: expected ${expected}` }, ctx, 1);
  }

  function resourcePath(id: { kind: Kind; project: string; name?: string }): { path: string; template: string } {
    const base = `${basePath}/projects/${enc(id.project)}/${SEGMENT[id.kind]}/`;
    const template = `${basePath}/projects/{project}/${SEGMENT[id.kind]}/`;
    return id.name === undefined ? { path: base, template } : { path: `${base}${enc(id.name)}/`, template: `${template}{name}/` };
  }

  function write(call: CallName, method: Method, id: ResourceId, path: string, template: string, body?: DesiredResource): Promise<Result<WriteResult>> {
    const ctx = context(call, method, path, { kind: id.kind, project: id.project, name: id.name });
    const json = body !== undefined ? JSON.stringify(toApiBody(body)) : undefined;
    // The revealed secrets of this body are scrubbed from any message that might echo them.
    if (body !== undefined) for (const e of body.environments) for (const s of 'file' in e ? [e.file] : [e.publicKey, e.privateKey]) if (s) remember(s.reveal());
    return perform({ ctx, template, path, authenticated: true, ...(json !== undefined ? { body: json, contentType: 'application/json' } : {}) }).then(
      (r): Result<WriteResult> => {
        if (!r.ok) return r;
        // The API answers every write with a JSON object carrying its deploymentResult. Anything
        // else (204, an empty body, null, a list) cannot be read as success: the change may or
        // may not have been made, and counting it as done would hide that.
        if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) {
          const got = r.value === null ? 'an empty answer (or null)' : Array.isArray(r.value) ? 'a list' : `a ${typeof r.value}`;
          const failure: Failure = {
            kind: 'protocol',
            status: null,
            code: 'WRITE_ANSWER_NOT_OBJECT',
            message: `the server answered the ${call} with ${got}, not the JSON object with a deploymentResult the API documents; the change may or may not have been made (run plan to see)`,
          };
          return { ok: false, error: toApiError(failure, ctx, 1) };
        }
        return { ok: true, value: { deployment: readDeployment(r.value, scrub) } };
      },
    );
  }

  const client: ApiClient = {
    async list(project, kind) {
      const { path, template } = resourcePath({ kind, project });
      const ctx = context('list', 'GET', path, { kind, project });
      const r = await perform({ ctx, template, path, authenticated: true });
      if (!r.ok) return r;
      const items = readList(r.value);
      if (items === undefined) return { ok: false, error: shapeError(ctx, 'a list (resultList)') };
      const resources = items.map((item) => fromApiObject(kind, project, item)).filter((x) => x !== null);
      if (items.length > 0 && resources.length < items.length) {
        logger.warn({ request: ctx.request, skipped: items.length - resources.length }, 'skipped list entries without a name');
      }
      return { ok: true, value: resources };
    },

    async get(id) {
      const { path, template } = resourcePath(id);
      const ctx = context('get', 'GET', path, { kind: id.kind, project: id.project, name: id.name });
      const r = await perform({ ctx, template, path, authenticated: true });
      if (!r.ok) {
        // A missing project is not a missing object: only the object's absence is a null.
        if (r.error.kind === 'not-found' && !isProjectNotFound(r.error.message)) return { ok: true, value: null };
        return r;
      }
      const raw = readSingle(r.value, id.name);
      if (raw === undefined) return { ok: false, error: shapeError(ctx, `one ${id.kind.toLowerCase()} (resultList: [object])`) };
      if (raw === null) return { ok: true, value: null };
      const resource = fromApiObject(id.kind, id.project, raw);
      if (resource === null) return { ok: false, error: shapeError(ctx, `a ${id.kind.toLowerCase()} with a name`) };
      return { ok: true, value: resource };
    },

    create(resource) {
      const { path, template } = resourcePath({ kind: resource.kind, project: resource.project });
      return write('create', 'POST', resource, path, template, resource);
    },

    update(resource, updateOptions?: UpdateOptions) {
      const { path, template } = resourcePath(resource);
      const scope = updateOptions?.updateReferencedJwks ?? resource.updateReferencedJwks;
      const query = scope !== undefined ? `?updateReferencedJwks=true&updateScope=${enc(scope)}` : '';
      return write('update', 'PUT', resource, `${path}${query}`, `${template}${query}`, resource);
    },

    delete(id) {
      const { path, template } = resourcePath(id);
      return write('delete', 'DELETE', id, path, template);
    },

    async environments(project) {
      // No trailing slash here: that is how the docs spell this one path.
      const path = `${basePath}/environments/${enc(project)}`;
      const ctx = context('environments', 'GET', path, { project });
      const r = await perform({ ctx, template: `${basePath}/environments/{project}`, path, authenticated: true });
      if (!r.ok) return r;
      const items = readList(r.value);
      if (items === undefined) return { ok: false, error: shapeError(ctx, 'a list of environments') };
      return { ok: true, value: readNames(items) };
    },

    async listProjects() {
      const path = `${basePath}/projects/`;
      const ctx = context('projects', 'GET', path);
      const r = await perform({ ctx, template: path, path, authenticated: true });
      if (!r.ok) return r;
      const items = readList(r.value);
      if (items === undefined) return { ok: false, error: shapeError(ctx, 'a list of projects') };
      return { ok: true, value: readNames(items) };
    },

    close: () => transport.close(),
  };
  return client;
}
