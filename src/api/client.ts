/**
 * The Apinizer Management API client: the only code that speaks HTTP to Apinizer. Every call
 * resolves to a Result (never rejects); transient failures are retried here, so callers see one
 * outcome per call and learn about retries through `onRetry`.
 */
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { systemClock, type Clock } from '../clock.js';
import { UsageError } from '../errors.js';
import { silentLogger } from '../log.js';
import { descriptorOf } from '../kinds/index.js';
import {
  fieldValue,
  type ApiGeneration,
  type CurrentResource,
  type DesiredResource,
  type Kind,
  type ResourceId,
} from '../model.js';
import type { Secret } from '../secret.js';
import {
  type AuthSettings,
  type IssuedToken,
  type TokenSource,
  exchangedTokenSource,
  fixedTokenSource,
  readTokenAnswer,
  tokenRequestBody,
} from './auth.js';
import {
  type Failure,
  MAX_MESSAGE_CHARS,
  deploymentFromFailure,
  readAnswer,
  readDeployment,
  readList,
  readNames,
  readSingle,
} from './dialect.js';
import { type CallContext, type CallName, networkFailure, toApiError } from './errors.js';
import {
  type Transport,
  TransportAborted,
  TransportTimeout,
  TransportTooLarge,
  createTransport,
  maxAnswerBytesFrom,
  readCaFile,
} from './http.js';
import { createRedactor } from './redact.js';
import { fromApiObject, toApiBody } from './mapping.js';
import { DEFAULT_RETRY_POLICY, type Method, type RetryPolicy, backoffDelay, isRetryable } from './retry.js';
import { apiBase, isHeaderSafe, isLoopbackHost, pathSegment } from './url.js';
import {
  ApiError,
  type AnswerEvent,
  type ResourceActions,
  type Result,
  type RetryEvent,
  type WriteQuery,
  type WriteResult,
} from './types.js';

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
  /** The API generation to speak, skipping the probe (`--api-generation`); found per project when absent. */
  apiGeneration?: ApiGeneration;
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

export { apiBase, isLoopbackHost };

/** One path segment, always encoded; `.` and `..` too, so that no proxy resolves them away. */
function enc(segment: string): string {
  return pathSegment(segment);
}

/** `?a=1&b=2` from the write options (values encoded), or '' when there are none. */
function queryString(query: WriteQuery): string {
  const parts = Object.entries(query).map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`);
  return parts.length > 0 ? `?${parts.join('&')}` : '';
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
  const policy: RetryPolicy = {
    ...DEFAULT_RETRY_POLICY,
    ...options.backoff,
    attempts: Math.max(1, Math.floor(options.attempts ?? 4)),
  };
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
    /** The answer is a file (export-file), not JSON: a 2xx gives its bytes. */
    raw?: boolean;
  }

  function context(call: CallName, method: Method, path: string, extra: Partial<CallContext> = {}): CallContext {
    return {
      call,
      method,
      request: `${method} ${path}`,
      auth: authMode,
      server,
      timeoutMs,
      maxRetryAfterMs: policy.maxRetryAfterMs,
      ...extra,
    };
  }

  function abortedError(ctx: CallContext, attempts: number): ApiError {
    return toApiError(
      { kind: 'aborted', status: null, code: null, message: 'interrupted before the call finished' },
      ctx,
      attempts,
    );
  }

  /** One call with its retries, token renewal and logging; the JSON body of the success. */
  async function perform(call: Call): Promise<Result<unknown>> {
    const { ctx } = call;
    let attempt = 1; // attempt number for transient failures (renewal resends do not count)
    let sent = 0;
    let renewed = false;
    for (;;) {
      if (signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
      const headers: Record<string, string> = {
        accept: call.raw ? '*/*' : 'application/json',
        'user-agent': 'apinizer-gitops',
      };
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
        const answer = await transport.send({
          method: ctx.method,
          path: call.path,
          headers,
          ...(call.body !== undefined ? { body: call.body } : {}),
          ...(call.raw ? { raw: true } : {}),
        });
        logger.debug(
          {
            method: ctx.method,
            path: call.template,
            status: answer.status,
            ms: Math.round(performance.now() - started),
            attempt: sent,
          },
          'api request',
        );
        options.onAnswer?.({ request: ctx.request, status: answer.status });
        if (call.raw && answer.status >= 200 && answer.status < 300) {
          return { ok: true, value: answer.bytes ?? Buffer.from(answer.text, 'utf8') };
        }
        const reading = readAnswer(answer, clock.now(), scrub);
        if (reading.ok) return { ok: true, value: reading.body };
        failure = reading.failure;
      } catch (err) {
        logger.debug(
          {
            method: ctx.method,
            path: call.template,
            status: null,
            ms: Math.round(performance.now() - started),
            attempt: sent,
          },
          'api request failed',
        );
        options.onAnswer?.({ request: ctx.request, status: null });
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
        const event: RetryEvent = {
          request: ctx.request,
          attempt,
          status: failure.status,
          reason: failure.kind,
          delayMs,
        };
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
      const failure: Failure = {
        kind: 'protocol',
        status: 200,
        code: null,
        message: 'the token request failed: its answer has no access_token',
      };
      return { ok: false, error: toApiError(failure, ctx, 1) };
    }
    if (!isHeaderSafe(issued.token)) {
      const failure: Failure = {
        kind: 'protocol',
        status: 200,
        code: null,
        message: 'the token request failed: its access_token has characters an HTTP header cannot carry',
      };
      return { ok: false, error: toApiError(failure, ctx, 1) };
    }
    remember(issued.token);
    return { ok: true, value: issued };
  }

  function shapeError(ctx: CallContext, expected: string): ApiError {
    return toApiError(
      { kind: 'protocol', status: 200, code: null, message: `unexpected answer: expected ${expected}` },
      ctx,
      1,
    );
  }

  function resourcePath(id: { kind: Kind; project: string; name?: string }): { path: string; template: string } {
    const segment = descriptorOf(id.kind).segment;
    const base = `${basePath}/projects/${enc(id.project)}/${segment}/`;
    const template = `${basePath}/projects/{project}/${segment}/`;
    return id.name === undefined
      ? { path: base, template }
      : { path: `${base}${enc(id.name)}/`, template: `${template}{name}/` };
  }

  /** Remembers every secret of a body about to be sent, so no answer can echo one back. */
  function rememberSecrets(resource: DesiredResource): void {
    const fields = descriptorOf(resource.kind).environmentFields.filter((f) => f.role !== 'plain');
    for (const env of resource.environments) {
      for (const f of fields) {
        const s = fieldValue(env, f.name) as Secret | undefined;
        if (s === undefined) continue;
        remember(s.reveal());
        if (f.role === 'binary-secret') remember(s.reveal().replace(/\s+/g, ''));
      }
    }
  }

  async function write(
    call: CallName,
    method: Method,
    id: ResourceId,
    path: string,
    template: string,
    body?: DesiredResource,
  ): Promise<Result<WriteResult>> {
    const ctx = context(call, method, path, { kind: id.kind, project: id.project, name: id.name });
    let json: string | undefined;
    if (body !== undefined) {
      const g = await generationOf(id.project);
      if (!g.ok) return g;
      json = JSON.stringify(toApiBody(body, g.value));
      // The revealed secrets of this body are scrubbed from any message that might echo them.
      rememberSecrets(body);
    }
    return perform({
      ctx,
      template,
      path,
      authenticated: true,
      ...(json !== undefined ? { body: json, contentType: 'application/json' } : {}),
    }).then((r): Result<WriteResult> => {
      const written = body?.environments.map((e) => e.name) ?? [];
      if (!r.ok) {
        // The third deployment shape: a 2xx whose body only says the deployment failed.
        const deployment = deploymentFromFailure(r.error, written);
        return deployment ? { ok: true, value: { deployment } } : r;
      }
      // The API answers every write with a JSON object carrying its deploymentResult. Anything
      // else (204, an empty body, null, a list) cannot be read as success: the change may or
      // may not have been made, and counting it as done would hide that.
      if (r.value === null || typeof r.value !== 'object' || Array.isArray(r.value)) {
        const got =
          r.value === null ? 'an empty answer (or null)' : Array.isArray(r.value) ? 'a list' : `a ${typeof r.value}`;
        const failure: Failure = {
          kind: 'protocol',
          status: null,
          code: 'WRITE_ANSWER_NOT_OBJECT',
          message: `the server answered the ${call} with ${got}, not the JSON object with a deploymentResult the API documents; the change may or may not have been made (run plan to see)`,
        };
        return { ok: false, error: toApiError(failure, ctx, 1) };
      }
      return { ok: true, value: { deployment: readDeployment(r.value, scrub, written) } };
    });
  }

  /** GET of a list of names (environments, projects). */
  async function readNameList(
    call: CallName,
    path: string,
    template: string,
    project?: string,
  ): Promise<Result<string[]>> {
    const ctx = context(call, 'GET', path, project !== undefined ? { project } : {});
    const r = await perform({ ctx, template, path, authenticated: true });
    if (!r.ok) return r;
    const items = readList(r.value);
    if (items === undefined) return { ok: false, error: shapeError(ctx, `a list of ${call}`) };
    return { ok: true, value: readNames(items) };
  }

  // The generation a project is served by (SPEC §2b): `GET /projects/{p}/environments/` answering
  // means current, a 404 there (the route, not the project) means legacy. The probe's answer is
  // the environments list on a current server, kept for the first environments() call so that a
  // plan makes one environments call per project there.
  const probes = new Map<string, Promise<Result<{ generation: ApiGeneration; environments?: Result<string[]> }>>>();
  const currentEnvironmentsPath = (project: string) => ({
    path: `${basePath}/projects/${enc(project)}/environments/`,
    template: `${basePath}/projects/{project}/environments/`,
  });

  function probe(project: string): Promise<Result<{ generation: ApiGeneration; environments?: Result<string[]> }>> {
    let p = probes.get(project);
    if (!p) {
      p = (async () => {
        if (options.apiGeneration !== undefined)
          return { ok: true as const, value: { generation: options.apiGeneration } };
        const { path, template } = currentEnvironmentsPath(project);
        const r = await readNameList('environments', path, template, project);
        if (r.ok) return { ok: true as const, value: { generation: 'current' as const, environments: r } };
        // A current server that does not know the project still has the route: it says so.
        if (r.error.kind === 'project-not-found')
          return { ok: true as const, value: { generation: 'current' as const, environments: r } };
        // No such route: a 404 (JSON or an HTML error page), a 405, or a 400 that is not about the
        // project (installations answering in the status dialect report unknown paths so).
        const e = r.error;
        if (
          e.kind === 'not-found' ||
          e.status === 404 ||
          e.status === 405 ||
          (e.kind === 'bad-request' && e.status === 400)
        ) {
          return { ok: true as const, value: { generation: 'legacy' as const } };
        }
        return r;
      })();
      probes.set(project, p);
      // A failed probe (network, auth) is not remembered: the next call asks again.
      void p.then((r) => {
        if (!r.ok) probes.delete(project);
      });
    }
    return p;
  }

  async function generationOf(project: string): Promise<Result<ApiGeneration>> {
    const r = await probe(project);
    return r.ok ? { ok: true, value: r.value.generation } : r;
  }

  /** True when a list entry names its environments only by id (a keystore list on some current servers). */
  function hasEnvironmentIdsOnly(raw: unknown): boolean {
    if (raw === null || typeof raw !== 'object') return false;
    return Object.values(raw as Record<string, unknown>).some(
      (v) =>
        Array.isArray(v) &&
        v.some(
          (e) =>
            e !== null && typeof e === 'object' && 'environmentId' in e && !('environmentName' in e) && !('name' in e),
        ),
    );
  }

  const client: ApiClient = {
    async list(project, kind) {
      const g = await generationOf(project);
      if (!g.ok) return g;
      const { path, template } = resourcePath({ kind, project });
      const ctx = context('list', 'GET', path, { kind, project });
      const r = await perform({ ctx, template, path, authenticated: true });
      if (!r.ok) return r;
      const items = readList(r.value);
      if (items === undefined) return { ok: false, error: shapeError(ctx, 'a list (resultList)') };
      const resources: CurrentResource[] = [];
      const byId: string[] = [];
      let skipped = 0;
      for (const item of items) {
        const resource = fromApiObject(kind, project, item, g.value);
        if (resource === null) skipped += 1;
        // Some servers list environments by id only; the single GET names them (Apinizer's advice).
        else if (hasEnvironmentIdsOnly(item)) byId.push(resource.name);
        else resources.push(resource);
      }
      // All at once (the connection pool bounds them), not one round trip after another.
      const singles = await Promise.all(byId.map((name) => client.get({ kind, project, name })));
      for (const one of singles) {
        if (!one.ok) return one;
        if (one.value !== null) resources.push(one.value);
      }
      if (skipped > 0) logger.warn({ request: ctx.request, skipped }, 'skipped list entries without a name');
      return { ok: true, value: resources };
    },

    async get(id) {
      const { path, template } = resourcePath(id);
      const ctx = context('get', 'GET', path, { kind: id.kind, project: id.project, name: id.name });
      const r = await perform({ ctx, template, path, authenticated: true });
      if (!r.ok) {
        // A missing project is not a missing object: only the object's absence is a null.
        if (r.error.kind === 'not-found') return { ok: true, value: null };
        return r;
      }
      const raw = readSingle(r.value, id.name);
      if (raw === undefined)
        return { ok: false, error: shapeError(ctx, `one ${id.kind.toLowerCase()} (resultList: [object])`) };
      if (raw === null) return { ok: true, value: null };
      const g = await generationOf(id.project);
      if (!g.ok) return g;
      const resource = fromApiObject(id.kind, id.project, raw, g.value);
      if (resource === null) return { ok: false, error: shapeError(ctx, `a ${id.kind.toLowerCase()} with a name`) };
      return { ok: true, value: resource };
    },

    create(resource) {
      const { path, template } = resourcePath({ kind: resource.kind, project: resource.project });
      return write('create', 'POST', resource, path, template, resource);
    },

    // The write options are the plan's (the kind's descriptor chose them, and a saved plan showed
    // them to the reviewer): sent exactly as given, in the order given.
    update(resource, writeQuery = {}) {
      const { path, template } = resourcePath(resource);
      const query = queryString(writeQuery);
      return write('update', 'PUT', resource, `${path}${query}`, `${template}${query}`, resource);
    },

    delete(id, writeQuery = {}) {
      const { path, template } = resourcePath(id);
      const query = queryString(writeQuery);
      return write('delete', 'DELETE', id, `${path}${query}`, `${template}${query}`);
    },

    async environments(project) {
      const p = await probe(project);
      if (!p.ok) return p;
      if (p.value.environments) {
        const answer = p.value.environments;
        // Used once: a long-running watch must see environments added later.
        probes.set(project, Promise.resolve({ ok: true, value: { generation: p.value.generation } }));
        return answer;
      }
      if (p.value.generation === 'current') {
        const { path, template } = currentEnvironmentsPath(project);
        return readNameList('environments', path, template, project);
      }
      // No trailing slash here: that is how the legacy docs spell this one path.
      const legacy = await readNameList(
        'environments',
        `${basePath}/environments/${enc(project)}`,
        `${basePath}/environments/{project}`,
        project,
      );
      // Both generations' environments routes answered 404 for the route (a missing project is a
      // 400 or says "project"): the URL leads to something else than a Manager's API, e.g. a
      // wrong path before /apiops. Saying "project not found" would send the user the wrong way.
      if (
        !legacy.ok &&
        legacy.error.kind === 'not-found' &&
        legacy.error.status === 404 &&
        options.apiGeneration === undefined
      ) {
        const e = legacy.error;
        return {
          ok: false,
          error: new ApiError(
            'protocol',
            404,
            e.code,
            `this URL does not look like an Apinizer Manager: ${basePath}/projects/{project}/environments/ and ` +
              `${basePath}/environments/{project} both answered 404 (${e.message})`,
            "check --server / APINIZER_URL: it is the Manager's address (where its web UI is), without /apiops",
            e.request,
            e.attempts,
          ),
        };
      }
      return legacy;
    },

    generation: generationOf,

    async exportMaterial(id, environment) {
      const { path, template } = resourcePath(id);
      const query = `export-file/?environmentName=${enc(environment)}`;
      const ctx = context('export', 'GET', `${path}${query}`, { kind: id.kind, project: id.project, name: id.name });
      const r = await perform({
        ctx,
        template: `${template}export-file/`,
        path: `${path}${query}`,
        authenticated: true,
        raw: true,
      });
      if (!r.ok) return r;
      const bytes = r.value as Buffer;
      // Material read back is as secret as material sent.
      remember(bytes.toString('utf8'));
      remember(bytes.toString('base64'));
      return { ok: true, value: bytes };
    },

    listProjects() {
      const path = `${basePath}/projects/`;
      return readNameList('projects', path, path);
    },

    close: () => transport.close(),
  };
  return client;
}
