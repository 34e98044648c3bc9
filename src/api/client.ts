/**
 * The Apinizer Management API client: the only code that speaks HTTP to Apinizer. Every call
 * resolves to a Result (never rejects); transient failures are retried here, so callers see one
 * outcome per call and learn about retries through `onRetry`. Three parts: the call loop with its
 * retries and token renewal (call.ts), the generation probe (generation.ts), and here the
 * resource routes (list, get, create, update, delete, export-file) built on them.
 */
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
import type { AuthSettings } from './auth.js';
import { createCaller } from './call.js';
import { type Failure, LIST_FIELDS, deploymentFromFailure, readDeployment, readList, readSingle } from './dialect.js';
import { type CallName, toApiError } from './errors.js';
import { createGenerationProbe } from './generation.js';
import { type Transport, createTransport, maxAnswerBytesFrom, readCaFile } from './http.js';
import { type ListSplitter, createListSplitter } from './list-stream.js';
import { fromApiObject, toApiBody } from './mapping.js';
import { DEFAULT_RETRY_POLICY, type Method, type RetryPolicy } from './retry.js';
import { apiBase, isLoopbackHost, pathSegment } from './url.js';
import {
  type AnswerEvent,
  type Pause,
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

/** The entries of one list (a split array of the answer) as read: resources, names to read one by one, entries without a name. */
interface ListRead {
  resources: CurrentResource[];
  byId: string[];
  skipped: number;
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

  const caller = createCaller({
    transport,
    auth: options.auth,
    basePath,
    server,
    timeoutMs,
    policy,
    clock,
    random: options.random ?? Math.random,
    logger,
    signal,
    onRetry: options.onRetry,
    onAnswer: options.onAnswer,
  });
  const { perform, context, shapeError, readNameList, remember, scrub } = caller;
  const { generationOf, environments } = createGenerationProbe(caller, basePath, options.apiGeneration);

  function resourcePath(id: { kind: Kind; project: string; name?: string }): { path: string; template: string } {
    const segment = descriptorOf(id.kind).segment;
    const base = `${basePath}/projects/${enc(id.project)}/${segment}/`;
    const template = `${basePath}/projects/{project}/${segment}/`;
    return id.name === undefined
      ? { path: base, template }
      : { path: `${base}${enc(id.name)}/`, template: `${template}{name}/` };
  }

  // The secret fields of each kind, and the values already remembered: a tree shares its
  // material over many resources, and the whitespace-free copy of a key is a regular-expression
  // pass over kilobytes, once per value rather than once per write.
  const secretFields = new Map<Kind, { name: string; binary: boolean }[]>();
  const remembered = { text: new Set<string>(), binary: new Set<string>() };

  /** Remembers every secret of a body about to be sent, so no answer can echo one back. */
  function rememberSecrets(resource: DesiredResource): void {
    let fields = secretFields.get(resource.kind);
    if (fields === undefined) {
      fields = descriptorOf(resource.kind)
        .environmentFields.filter((f) => f.role !== 'plain')
        .map((f) => ({ name: f.name, binary: f.role === 'binary-secret' }));
      secretFields.set(resource.kind, fields);
    }
    for (const env of resource.environments) {
      for (const f of fields) {
        const s = fieldValue(env, f.name) as Secret | undefined;
        if (s === undefined) continue;
        const value = s.reveal();
        const seen = f.binary ? remembered.binary : remembered.text;
        if (seen.has(value)) continue;
        seen.add(value);
        remember(value);
        if (f.binary) remember(value.replace(/\s+/g, ''));
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
    pause?: Pause,
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
      ...(pause !== undefined ? { pause } : {}),
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

  async function getOne(id: ResourceId, pause?: Pause): Promise<Result<CurrentResource | null>> {
    const { path, template } = resourcePath(id);
    const ctx = context('get', 'GET', path, { kind: id.kind, project: id.project, name: id.name });
    const r = await perform({ ctx, template, path, authenticated: true, ...(pause !== undefined ? { pause } : {}) });
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
  }

  function createOne(resource: DesiredResource, pause?: Pause): Promise<Result<WriteResult>> {
    const { path, template } = resourcePath({ kind: resource.kind, project: resource.project });
    return write('create', 'POST', resource, path, template, resource, pause);
  }

  // The write options are the plan's (the kind's descriptor chose them, and a saved plan showed
  // them to the reviewer): sent exactly as given, in the order given.
  function updateOne(
    resource: DesiredResource,
    writeQuery: WriteQuery = {},
    pause?: Pause,
  ): Promise<Result<WriteResult>> {
    const { path, template } = resourcePath(resource);
    const query = queryString(writeQuery);
    return write('update', 'PUT', resource, `${path}${query}`, `${template}${query}`, resource, pause);
  }

  function deleteOne(id: ResourceId, writeQuery: WriteQuery = {}, pause?: Pause): Promise<Result<WriteResult>> {
    const { path, template } = resourcePath(id);
    const query = queryString(writeQuery);
    return write('delete', 'DELETE', id, `${path}${query}`, `${template}${query}`, undefined, pause);
  }

  const client: ApiClient = {
    async list(project, kind, options = {}) {
      const { path, template } = resourcePath({ kind, project });
      const ctx = context('list', 'GET', path, { kind, project });
      // The list's path is the same in both generations; only reading its entries needs the
      // generation. So the list goes out with the probe, not one round trip after it, and the
      // entries that arrive before the probe's answer wait for it (the probe is small: few do).
      const generation = generationOf(project);
      let generationKnown: ApiGeneration | undefined;
      const waiting: [ListRead, unknown][] = [];
      void generation.then((g) => {
        if (!g.ok) return;
        generationKnown = g.value;
        for (const [into, item] of waiting.splice(0)) convert(into, item, g.value);
      });
      // What one attempt read of each split array; an entry is turned into a resource as soon as
      // it is parsed, so the answer's text and parsed tree are never held whole (list-stream.ts).
      let splitter: ListSplitter | undefined;
      let reads: ListRead[] = [];
      const fresh = (): ListRead => ({ resources: [], byId: [], skipped: 0 });
      // Material the caller holds is recognised in the answer's bytes, never decoded (list-stream.ts).
      const held = options.held;
      const known = held && {
        match: (b: Buffer, start: number, end: number) => held.findBytes(b, start, end)?.reveal(),
      };
      const convert = (into: ListRead, item: unknown, g: ApiGeneration) => {
        const resource = fromApiObject(kind, project, item, g, options.held);
        if (resource === null) into.skipped += 1;
        // Some servers list environments by id only; the single GET names them (Apinizer's advice).
        else if (hasEnvironmentIdsOnly(item)) into.byId.push(resource.name);
        else into.resources.push(resource);
      };
      const take = (into: ListRead, item: unknown) => {
        if (generationKnown === undefined) waiting.push([into, item]);
        else convert(into, item, generationKnown);
      };
      const sink = (status: number) => {
        if (status < 200 || status >= 300) return undefined;
        const attempt: ListRead[] = (reads = []);
        splitter = createListSplitter(
          LIST_FIELDS,
          {
            open: (id) => (attempt[id] = fresh()),
            element: (id, value) => take(attempt[id] ?? (attempt[id] = fresh()), value),
          },
          { known },
        );
        return splitter;
      };
      const [g, r] = await Promise.all([generation, perform({ ctx, template, path, authenticated: true, sink })]);
      if (!g.ok) return g;
      generationKnown = g.value;
      for (const [into, item] of waiting.splice(0)) convert(into, item, g.value);
      if (!r.ok) return r;
      const items = readList(r.value);
      if (items === undefined) return { ok: false, error: shapeError(ctx, 'a list (resultList)') };
      const id = splitter?.splitOf(items);
      let got = id === undefined ? undefined : reads[id];
      reads = [];
      if (got === undefined) {
        // A list the splitter did not take apart (a key it does not know, spelled with escapes).
        got = fresh();
        for (const item of items) take(got, item);
      }
      const { resources, byId, skipped } = got;
      // All at once (the connection pool bounds them), not one round trip after another.
      const singles = await Promise.all(byId.map((name) => client.get({ kind, project, name })));
      for (const one of singles) {
        if (!one.ok) return one;
        if (one.value !== null) resources.push(one.value);
      }
      if (skipped > 0) logger.warn({ request: ctx.request, skipped }, 'skipped list entries without a name');
      return { ok: true, value: resources };
    },

    get: (id) => getOne(id),

    create: (resource) => createOne(resource),
    update: (resource, writeQuery) => updateOne(resource, writeQuery),
    delete: (id, writeQuery) => deleteOne(id, writeQuery),

    pausing(pause) {
      return {
        ...client,
        get: (id) => getOne(id, pause),
        create: (resource) => createOne(resource, pause),
        update: (resource, writeQuery) => updateOne(resource, writeQuery, pause),
        delete: (id, writeQuery) => deleteOne(id, writeQuery, pause),
      };
    },

    environments,

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
