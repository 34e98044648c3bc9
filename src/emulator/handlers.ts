// The emulator's request handlers: one per route, pure over the store and the settings in force,
// answering in the dialect and API generation the options select.
import type { EmulatedKind as Kind } from './kinds.js';
import { bearerToken, type TokenBook } from './auth.js';
import {
  type Answer,
  type ApiFailure,
  type DeploymentResult,
  errorAnswer,
  fileAnswer,
  listAnswer,
  plainAnswer,
  projectsAnswer,
  singleAnswer,
  writeAnswer,
} from './dialect.js';
import { KIND_HANDLERS } from './kinds.js';
import type { Settings } from './options.js';
import type { ObjectRoute, Route } from './routes.js';
import { ENVIRONMENT_LIST_FIELD, type EmulatorStore, type RawObject, stableId } from './store.js';
import { writeZip } from './zip.js';
import { isRecord } from '../text.js';

/** What the handlers need: the settings in force, the store, the token book, and a write counter. */
export interface HandlerContext {
  settings: Settings;
  store: EmulatorStore;
  tokens: TokenBook;
  onWrite(): void;
}

/** The parts of a request the handlers read. */
export interface ApiRequest {
  route: Route;
  /** The query string's parameters (the JWK actions, environmentName). */
  query: URLSearchParams;
  body: Buffer;
  contentType: string | undefined;
  authorization: string | undefined;
}

export const MASK = '******';

function failure(status: number, error: string, description: string, extra?: Record<string, unknown>): ApiFailure {
  return extra ? { status, error, description, extra } : { status, error, description };
}

/** The 401 for a request without a valid token, or null when the token is good. */
export function checkAuth(request: ApiRequest, ctx: HandlerContext): ApiFailure | null {
  const token = bearerToken(request.authorization);
  if (token === '')
    return failure(401, 'invalid_token', 'Full authentication is required: send Authorization: Bearer TOKEN');
  if (token === ctx.settings.token) return null;
  const state = ctx.tokens.check(token);
  if (state === 'ok') return null;
  if (state === 'expired') return failure(401, 'token_expired', 'The access token has expired');
  return failure(401, 'invalid_token', 'Invalid access token');
}

/** Answers an API request that passed faults and authentication. */
export function handleApi(request: ApiRequest, ctx: HandlerContext): Answer {
  const result = dispatch(request, ctx);
  if ('body' in result) return result;
  // Token issuance is OAuth: its errors keep the OAuth shape whatever the API's dialect.
  return errorAnswer(request.route.op === 'token' ? 'documented' : ctx.settings.dialect, result);
}

function dispatch(request: ApiRequest, ctx: HandlerContext): Answer | ApiFailure {
  const { route } = request;
  const { settings, store } = ctx;
  const current = settings.generation === 'current';
  switch (route.op) {
    case 'token':
      return issueToken(request, ctx);
    case 'projects':
      return projectsAnswer(
        [...settings.projects.values()].map((p) => ({
          id: stableId('project', p.name),
          name: p.name,
          description: `${p.name} (emulated project)`,
        })),
      );
    case 'allEnvironments': {
      const names = new Set<string>();
      for (const p of settings.projects.values()) for (const e of p.environments) names.add(e);
      return listAnswer(
        settings.dialect,
        [...names].map((n) => environmentObject(n, current)),
        true,
      );
    }
    case 'environments':
    case 'projectEnvironments': {
      // Each generation serves its own path only: the current reference no longer lists
      // /apiops/environments/{project}, and the product tells the generations apart by whether
      // /apiops/projects/{project}/environments/ answers (a legacy server answers it 404).
      if (current !== (route.op === 'projectEnvironments')) return noEndpoint();
      const project = settings.projects.get(route.project);
      if (!project) return unknownProject(route.project, current);
      return listAnswer(
        settings.dialect,
        project.environments.map((n) => environmentObject(n, current)),
        true,
      );
    }
    case 'list': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project, current);
      const h = KIND_HANDLERS[route.kind];
      let items = store.list(route.project, route.kind);
      if (settings.hideFromList.size > 0) items = items.filter((o) => !settings.hideFromList.has(o.name as string));
      if (current) {
        const view = { list: true, environmentIds: settings.keystoreListEnvironmentIds };
        items = items.map((o) => h.readCurrent(o, view));
      } else if (settings.maskSecrets) {
        items = items.map((o) => maskObject(route.kind, o));
      }
      return listAnswer(settings.dialect, items);
    }
    case 'get': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project, current);
      const object = store.get(route.project, route.kind, route.name);
      if (!object) return notFound(route.kind, route.project, route.name, current);
      if (current) {
        const read = KIND_HANDLERS[route.kind].readCurrent(object, { list: false, environmentIds: false });
        return singleAnswer(settings.dialect, read);
      }
      return singleAnswer(settings.dialect, settings.maskSecrets ? maskObject(route.kind, object) : object);
    }
    case 'create':
    case 'update':
      return current ? writeCurrent(request, route, ctx) : writeLegacy(request, route, ctx);
    case 'delete': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project, current);
      if (current) {
        const bad = checkQuery(request.query, JWK_DELETE_PARAMETERS);
        if (bad) return bad;
      }
      const removed = store.delete(route.project, route.kind, route.name);
      if (!removed) return notFound(route.kind, route.project, route.name, current);
      ctx.onWrite();
      const action = current ? 'undeploy' : 'deploy';
      return writeAnswer(
        settings.dialect,
        deployment(route.kind, removed, settings.failDeploymentTo, action),
        settings.deploymentShape,
      );
    }
    case 'exportFile':
      return current ? exportFile(request, route, ctx) : noEndpoint();
    case 'methodNotAllowed':
      return {
        ...failure(405, 'method_not_allowed', `Method not allowed here; allowed: ${route.allow}`),
        headers: { allow: route.allow },
      };
    case 'badEncoding':
      return failure(400, 'invalid_parameter', 'The path is not valid URL encoding');
    case 'notFound':
      return noEndpoint();
  }
}

/** A create (no name in the path) or an update (the name in the path). */
type WriteRoute = Extract<Route, { op: 'create' | 'update' }>;

function writeLegacy(request: ApiRequest, route: WriteRoute, ctx: HandlerContext): Answer | ApiFailure {
  const { settings, store } = ctx;
  const project = settings.projects.get(route.project);
  if (!project) return unknownProject(route.project, false);
  const parsed = parseJson(request.body);
  if ('status' in parsed) return parsed;
  const h = KIND_HANDLERS[route.kind];
  const checked = h.checkLegacy(parsed.value, { project: project.name, environments: new Set(project.environments) });
  if ('status' in checked) return checked;
  const name = checked.name;
  if (route.op === 'update' && name !== route.name) {
    const text =
      `The name in the body (${name}) does not match the name in the path (${route.name}); ` +
      'renaming is not supported';
    return failure(400, 'bad_request', text);
  }
  const exists = store.get(route.project, route.kind, name) !== undefined;
  if (route.op === 'create' && exists) return alreadyExists(route.kind, name);
  if (route.op === 'update' && !exists) return notFound(route.kind, route.project, name, false);
  const previous = route.op === 'update' ? store.get(route.project, route.kind, name) : undefined;
  const stored = store.put(route.project, route.kind, mergedIfAsked(settings, route.kind, previous, checked.object));
  ctx.onWrite();
  return writeAnswer(
    settings.dialect,
    deployment(route.kind, stored, settings.failDeploymentTo, 'deploy'),
    settings.deploymentShape,
  );
}

function writeCurrent(request: ApiRequest, route: WriteRoute, ctx: HandlerContext): Answer | ApiFailure {
  const { settings, store } = ctx;
  const project = settings.projects.get(route.project);
  if (!project) return unknownProject(route.project, true);
  if (route.op === 'update') {
    const bad = checkQuery(request.query, JWK_UPDATE_PARAMETERS);
    if (bad) return bad;
  }
  const previous = route.op === 'update' ? store.get(route.project, route.kind, route.name) : undefined;
  if (route.op === 'update' && !previous) return notFound(route.kind, route.project, route.name, true);
  const parsed = parseJson(request.body);
  if ('status' in parsed) return parsed;
  const scope = { project: project.name, environments: new Set(project.environments) };
  const checked = KIND_HANDLERS[route.kind].checkCurrent(parsed.value, scope, previous);
  if ('status' in checked) return checked;
  const { name } = checked;
  const renamed = route.op === 'update' && name !== route.name;
  if ((route.op === 'create' || renamed) && store.get(route.project, route.kind, name) !== undefined) {
    return alreadyExists(route.kind, name);
  }
  // A rename ("name can be changed, but must remain unique"): the object moves to its new name.
  if (renamed) store.delete(route.project, route.kind, route.name);
  const stored = store.put(route.project, route.kind, mergedIfAsked(settings, route.kind, previous, checked.object));
  ctx.onWrite();
  return writeAnswer(
    settings.dialect,
    deployment(route.kind, stored, settings.failDeploymentTo, 'deploy'),
    settings.deploymentShape,
  );
}

/**
 * With `mergeEnvironments`, an update keeps the stored environment entries its body leaves out,
 * as a server that merges the list would (Apinizer does not say which it does); the entries the
 * body names replace the stored ones whole.
 */
function mergedIfAsked(settings: Settings, kind: Kind, previous: RawObject | undefined, next: RawObject): RawObject {
  if (!settings.mergeEnvironments || previous === undefined) return next;
  const field = ENVIRONMENT_LIST_FIELD[kind];
  const before: unknown = previous[field];
  const after: unknown = next[field];
  if (!Array.isArray(before) || !Array.isArray(after)) return next;
  const named = new Set((after as unknown[]).map((e) => (isRecord(e) ? e.environmentName : undefined)));
  const kept = (before as unknown[]).filter((e) => isRecord(e) && !named.has(e.environmentName));
  return { ...next, [field]: [...kept, ...(after as unknown[])] };
}

/** The JWK query parameters of the current generation and their allowed values. */
const JWK_UPDATE_PARAMETERS: Readonly<Record<string, readonly string[]>> = {
  jwkUpdateAction: ['NULLIFY', 'UPDATE'],
  updateScope: ['SAME_PROJECT', 'ALL_PROJECTS'],
};
const JWK_DELETE_PARAMETERS: Readonly<Record<string, readonly string[]>> = { jwkDeleteAction: ['NULLIFY', 'DELETE'] };

/** A 400 for a JWK parameter with a value the server does not know (other parameters are ignored). */
function checkQuery(query: URLSearchParams, allowed: Readonly<Record<string, readonly string[]>>): ApiFailure | null {
  for (const [parameter, values] of Object.entries(allowed)) {
    for (const value of query.getAll(parameter)) {
      if (!values.includes(value)) {
        const text = `Invalid ${parameter} (${value})! Supported values: ${values.join(', ')}`;
        return failure(400, 'invalid_parameter', text);
      }
    }
  }
  return null;
}

function exportFile(request: ApiRequest, route: ObjectRoute<'exportFile'>, ctx: HandlerContext): Answer | ApiFailure {
  const { settings, store } = ctx;
  if (settings.refuseExport) {
    const text = `User has not SECRETS + EXPORT_IMPORT permission in project (${route.project})!`;
    return failure(403, 'access_denied', text);
  }
  if (!settings.projects.has(route.project)) return unknownProject(route.project, true);
  const h = KIND_HANDLERS[route.kind];
  const object = store.get(route.project, route.kind, route.name);
  // The Export File pages document these as 400 whatever the kind of problem.
  if (!object) return failure(400, 'bad_request', `${h.label} (name: ${route.name}) is not found!`);
  const files = h.exportFiles(object);
  if (files.length === 0) {
    return failure(400, 'bad_request', `(${route.name}) carries no environment material to export!`);
  }
  const environmentName = request.query.get('environmentName');
  if (environmentName !== null) {
    const file = files.find((f) => f.environmentName === environmentName);
    if (!file) {
      const available = files.map((f) => f.environmentName).join(', ');
      const text = `(${route.name}) has no material for environment (${environmentName})! Available: ${available}`;
      return failure(400, 'bad_request', text);
    }
    return fileAnswer(file.bytes, h.fileContentType, `${route.name}-${environmentName}${file.extension}`);
  }
  const zip = writeZip(files.map((f) => ({ name: `${route.name}-${f.environmentName}${f.extension}`, data: f.bytes })));
  return fileAnswer(zip, 'application/octet-stream', `${route.name}-${h.segment}.zip`);
}

function noEndpoint(): ApiFailure {
  return { ...failure(404, 'not_found', 'No such endpoint in the Apinizer Management API'), framework: true };
}

function alreadyExists(kind: Kind, name: string): ApiFailure {
  const label = KIND_HANDLERS[kind].label;
  const text = `${label} (name: ${name}) is already exist! Try update operation if want to change its value.`;
  return failure(400, 'bad_request', text);
}

function unknownProject(name: string, current: boolean): ApiFailure {
  // Each reference's own wording (Environments pages of the older and the current docs).
  const text = current
    ? `Project (${name}) is not found or user does not have privilege to access it!`
    : `Project not found for name: (${name}) or user has not privilege to access it!`;
  return failure(400, 'bad_request', text);
}

function notFound(kind: Kind, project: string, name: string, current: boolean): ApiFailure {
  const label = KIND_HANDLERS[kind].label;
  // The current pages word a missing object as export-file does.
  if (current) return failure(404, 'not_found', `${label} (name: ${name}) is not found!`);
  return failure(404, 'not_found', `${label} (name: ${name}) in project (${project}) was not found!`);
}

function environmentObject(name: string, current: boolean): Record<string, unknown> {
  const production = /prod/i.test(name);
  const base = {
    id: stableId('environment', name),
    name,
    description: `${name} environment (emulated)`,
  };
  const accessUrl = `https://${encodeURIComponent(name)}.gateway.example.test`;
  if (!current) return { ...base, type: production ? 'PRODUCTION' : 'TEST', status: 'DEPLOYED', accessUrl };
  // The current page's EnvironmentDTO: PRODUCTION | SANDBOX | TEST, PUBLISHED, deployed/redeployRequired null.
  const type = production ? 'PRODUCTION' : /stag|sandbox/i.test(name) ? 'SANDBOX' : 'TEST';
  return { ...base, type, accessUrl, status: 'PUBLISHED', deployed: null, redeployRequired: null };
}

// Masked copies of stored (frozen, immutable) objects, made once per stored object.
const maskedCache = new WeakMap<RawObject, RawObject>();

/** A read copy with the secret fields of every environment entry replaced by "******". */
export function maskObject(kind: Kind, object: RawObject): RawObject {
  let masked = maskedCache.get(object);
  if (masked === undefined) {
    masked = Object.freeze(maskedCopy(kind, object));
    if (Object.isFrozen(object)) maskedCache.set(object, masked);
  }
  return masked;
}

function maskedCopy(kind: Kind, object: RawObject): RawObject {
  const field = ENVIRONMENT_LIST_FIELD[kind];
  const list = object[field];
  if (!Array.isArray(list)) return object;
  return {
    ...object,
    [field]: list.map((entry: unknown) => {
      if (!isRecord(entry)) return entry;
      const copy = { ...entry };
      for (const f of KIND_HANDLERS[kind].maskedFields)
        if (typeof copy[f] === 'string' && copy[f] !== '') copy[f] = MASK;
      return copy;
    }),
  };
}

const DEPLOY_WORDS = {
  deploy: ['Deployment', 'Deployed'],
  undeploy: ['Undeployment', 'Undeployed'],
} as const;

function deployment(
  kind: Kind,
  object: RawObject,
  failTo: ReadonlySet<string>,
  action: 'deploy' | 'undeploy',
): DeploymentResult {
  const [noun, done] = DEPLOY_WORDS[action];
  const list = object[ENVIRONMENT_LIST_FIELD[kind]];
  const names = Array.isArray(list)
    ? list.map((e: unknown) => (isRecord(e) && typeof e.environmentName === 'string' ? e.environmentName : ''))
    : [];
  const environmentResults = names.map((environmentName) =>
    failTo.has(environmentName)
      ? {
          environmentName,
          success: false,
          message:
            `${noun} to environment ${environmentName} failed: ` +
            'gateway did not respond (simulated by the emulator)',
        }
      : { environmentName, success: true, message: `${done} successfully` },
  );
  const failed = environmentResults.filter((r) => !r.success).length;
  return failed === 0
    ? { success: true, message: `${noun} completed successfully`, environmentResults }
    : {
        success: false,
        message: `${noun} failed in ${failed} of ${environmentResults.length} environments`,
        environmentResults,
      };
}

function parseJson(body: Buffer): { value: unknown } | ApiFailure {
  if (body.length === 0) return failure(400, 'bad_request', 'The request needs a JSON body');
  try {
    return { value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return failure(400, 'bad_request', 'The request body is not valid JSON');
  }
}

function issueToken(request: ApiRequest, ctx: HandlerContext): Answer | ApiFailure {
  const text = request.body.toString('utf8');
  let fields: Record<string, unknown>;
  if ((request.contentType ?? '').includes('json')) {
    const parsed = parseJson(request.body);
    if ('status' in parsed) return parsed;
    fields = isRecord(parsed.value) ? parsed.value : {};
  } else {
    fields = Object.fromEntries(new URLSearchParams(text));
  }
  // OAuth clients may send the credentials as HTTP Basic instead of form fields.
  const basic = /^Basic\s+(\S+)$/i.exec(request.authorization ?? '');
  if (basic?.[1] && fields.client_id === undefined) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0) {
      fields.client_id = decodeURIComponent(decoded.slice(0, colon));
      fields.client_secret = decodeURIComponent(decoded.slice(colon + 1));
    }
  }
  if (fields.grant_type !== 'client_credentials') {
    return failure(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
  }
  const user = ctx.settings.users.find((u) => u.username === fields.client_id && u.password === fields.client_secret);
  if (!user) return failure(401, 'unauthorized_client', 'Bad credentials');
  const ttl = ctx.settings.tokenTtlSeconds;
  return plainAnswer(200, { access_token: ctx.tokens.issue(ttl), token_type: 'Bearer', expires_in: Math.ceil(ttl) });
}
