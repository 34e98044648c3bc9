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
import { SENSITIVE } from '../secret.js';
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
import { type Transport, TransportAborted, TransportTimeout, createTransport, readCaFile } from './http.js';
import { fromApiObject, toApiBody } from './mapping.js';
import { DEFAULT_RETRY_POLICY, type Method, type RetryPolicy, backoffDelay, isRetryable } from './retry.js';
import { apiBase, isLoopbackHost } from './url.js';
import { ApiError, type AnswerEvent, type ResourceActions, type Result, type RetryEvent, type UpdateOptions, type WriteResult } from './types.js';

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
  /** Told about every attempt's answer (retries included): the adaptive limiter's input. */
  onAnswer?: (e: AnswerEvent) => void;
  /** Aborting stops pending requests and backoff waits; calls resolve with kind `aborted`. */
  signal?: AbortSignal;
  /** Backoff tuning (base, cap); attempts come from `attempts`. */
  backoff?: Partial<Omit<RetryPolicy, 'attempts'>>;
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

function enc(segment: string): string {
  return encodeURIComponent(segment);
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
  const transport: Transport = createTransport({ origin, connections: concurrency, timeoutMs, ...(ca !== undefined ? { ca } : {}), ...(signal ? { signal } : {}) });
  const authMode = 'token' in options.auth ? 'token' : 'password';

  // Values that must never reach a message: replaced wherever a server might echo them back.
  // Grouped by length, so that a message is searched once per distinct length (the token, each
  // key size: a handful) rather than once per secret: an apply of thousands of resources
  // remembers thousands of keys, and scrubbing every answer against each of them made apply
  // quadratic (bench: 56 % of the CPU of a 10,000-resource apply). `heads` (first 8 characters)
  // lets the one pass over a long text skip almost every window after an 8-character look-up.
  const secrets = new Map<number, { all: Set<string>; heads: Set<string> }>();
  const HEAD = 8;
  const remember = (value: string) => {
    if (value.length < 4) return;
    let same = secrets.get(value.length);
    if (!same) secrets.set(value.length, (same = { all: new Set(), heads: new Set() }));
    same.all.add(value);
    same.heads.add(value.slice(0, HEAD));
  };
  const scrub = (text: string): string => {
    let out = text;
    // Longest first, so a secret that contains a shorter one is replaced whole.
    for (const [length, { all, heads }] of [...secrets].sort((a, b) => b[0] - a[0])) {
      if (length > out.length) continue;
      if (all.size <= 8) {
        for (const s of all) if (out.includes(s)) out = out.split(s).join(SENSITIVE);
        continue;
      }
      let result = '';
      let from = 0;
      const head = Math.min(HEAD, length);
      for (let i = 0; i + length <= out.length; ) {
        if (heads.has(out.slice(i, i + head)) && all.has(out.slice(i, i + length))) {
          result += out.slice(from, i) + SENSITIVE;
          i += length;
          from = i;
        } else {
          i += 1;
        }
      }
      out = result + out.slice(from);
    }
    return out;
  };

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
    return { call, method, request: `${method} ${path}`, auth: authMode, server, timeoutMs, ...extra };
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
        options.onAnswer?.({ request: ctx.request, status: answer.status });
        const reading = readAnswer(answer, clock.now(), scrub);
        if (reading.ok) return { ok: true, value: reading.body };
        failure = reading.failure;
      } catch (err) {
        logger.debug({ method: ctx.method, path: call.template, status: null, ms: Math.round(performance.now() - started), attempt: sent }, 'api request failed');
        options.onAnswer?.({ request: ctx.request, status: null });
        if (err instanceof TransportAborted || signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
        failure =
          err instanceof TransportTimeout
            ? { kind: 'timeout', status: null, code: null, message: `no answer within ${Math.round(timeoutMs / 100) / 10} s` }
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
          failure = { ...failure, message: `${failure.message} (the server asked to wait ${Math.round(failure.retryAfterMs / 1000)} s)` };
          return { ok: false, error: toApiError(failure, ctx, sent) };
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
    if (!result.ok) return result;
    const issued = readTokenAnswer(result.value);
    if (!issued) {
      const failure: Failure = { kind: 'protocol', status: 200, code: null, message: 'the token answer has no access_token' };
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
      (r): Result<WriteResult> => (r.ok ? { ok: true, value: { deployment: readDeployment(r.value, scrub) } } : r),
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
