import type { BuiltinKind as Kind } from '../model.js';
import { isBase64 } from '../secret.js';
import { bearerToken, type TokenBook } from './auth.js';
import {
  type Answer,
  type ApiFailure,
  type DeploymentResult,
  errorAnswer,
  listAnswer,
  plainAnswer,
  projectsAnswer,
  singleAnswer,
  writeAnswer,
} from './dialect.js';
import type { Settings } from './options.js';
import type { Route } from './routes.js';
import { ENVIRONMENT_LIST_FIELD, type EmulatorStore, type RawObject, stableId } from './store.js';

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
  body: Buffer;
  contentType: string | undefined;
  authorization: string | undefined;
}

export const MASK = '******';
const SECRET_FIELDS = ['privateKey', 'publicKey', 'file'] as const;
const KEYSTORE_TYPES = new Set(['JKS', 'PKCS12']);
const SERVER_FIELDS = new Set(['id', 'projectId']);

const LABEL: Readonly<Record<Kind, string>> = { Key: 'Key', Keystore: 'Keystore' };

function failure(status: number, error: string, description: string, extra?: Record<string, unknown>): ApiFailure {
  return extra ? { status, error, description, extra } : { status, error, description };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The 401 for a request without a valid token, or null when the token is good. */
export function checkAuth(request: ApiRequest, ctx: HandlerContext): ApiFailure | null {
  const token = bearerToken(request.authorization);
  if (token === '') return failure(401, 'invalid_token', 'Full authentication is required: send Authorization: Bearer TOKEN');
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
  switch (route.op) {
    case 'token':
      return issueToken(request, ctx);
    case 'projects':
      return projectsAnswer(
        [...settings.projects.values()].map((p) => ({ id: stableId('project', p.name), name: p.name, description: `${p.name} (emulated project)` })),
      );
    case 'allEnvironments': {
      const names = new Set<string>();
      for (const p of settings.projects.values()) for (const e of p.environments) names.add(e);
      return listAnswer(settings.dialect, [...names].map(environmentObject), true);
    }
    case 'environments': {
      const project = settings.projects.get(route.project);
      if (!project) return unknownProject(route.project);
      return listAnswer(settings.dialect, project.environments.map(environmentObject), true);
    }
    case 'list': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project);
      let items = store.list(route.project, route.kind);
      if (settings.hideFromList.size > 0) items = items.filter((o) => !settings.hideFromList.has(o.name as string));
      if (settings.maskSecrets) items = items.map((o) => maskObject(route.kind, o));
      return listAnswer(settings.dialect, items);
    }
    case 'get': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project);
      const object = store.get(route.project, route.kind, route.name);
      if (!object) return notFound(route.kind, route.project, route.name);
      return singleAnswer(settings.dialect, settings.maskSecrets ? maskObject(route.kind, object) : object);
    }
    case 'create':
    case 'update': {
      const project = settings.projects.get(route.project);
      if (!project) return unknownProject(route.project);
      const parsed = parseJson(request.body);
      if ('status' in parsed) return parsed;
      const checked = checkBody(route.kind, project.name, new Set(project.environments), parsed.value);
      if ('status' in checked) return checked;
      const name = checked.name;
      if (route.op === 'update' && name !== route.name) {
        return failure(400, 'bad_request', `The name in the body (${name}) does not match the name in the path (${route.name}); renaming is not supported`);
      }
      const exists = store.get(route.project, route.kind, name) !== undefined;
      if (route.op === 'create' && exists) {
        return failure(400, 'bad_request', `${LABEL[route.kind]} (name: ${name}) is already exist! Try update operation if want to change its value.`);
      }
      if (route.op === 'update' && !exists) return notFound(route.kind, route.project, name);
      const stored = store.put(route.project, route.kind, checked.object);
      ctx.onWrite();
      return writeAnswer(settings.dialect, deployment(route.kind, stored, settings.failDeploymentTo));
    }
    case 'delete': {
      if (!settings.projects.has(route.project)) return unknownProject(route.project);
      const removed = store.delete(route.project, route.kind, route.name);
      if (!removed) return notFound(route.kind, route.project, route.name);
      ctx.onWrite();
      return writeAnswer(settings.dialect, deployment(route.kind, removed, settings.failDeploymentTo));
    }
    case 'methodNotAllowed':
      return { ...failure(405, 'method_not_allowed', `Method not allowed here; allowed: ${route.allow}`), headers: { allow: route.allow } };
    case 'badEncoding':
      return failure(400, 'invalid_parameter', 'The path is not valid URL encoding');
    case 'notFound':
      return failure(404, 'not_found', 'No such endpoint in the Apinizer Management API');
  }
}

function unknownProject(name: string): ApiFailure {
  return failure(400, 'bad_request', `Project not found for name: (${name}) or user has not privilege to access it!`);
}

function notFound(kind: Kind, project: string, name: string): ApiFailure {
  return failure(404, 'not_found', `${LABEL[kind]} (name: ${name}) in project (${project}) was not found!`);
}

function environmentObject(name: string): Record<string, unknown> {
  return {
    id: stableId('environment', name),
    name,
    description: `${name} environment (emulated)`,
    type: /prod/i.test(name) ? 'PRODUCTION' : 'TEST',
    status: 'DEPLOYED',
    accessUrl: `https://${encodeURIComponent(name)}.gateway.example.test`,
  };
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
      for (const f of SECRET_FIELDS) if (typeof copy[f] === 'string' && copy[f] !== '') copy[f] = MASK;
      return copy;
    }),
  };
}

function deployment(kind: Kind, object: RawObject, failTo: ReadonlySet<string>): DeploymentResult {
  const list = object[ENVIRONMENT_LIST_FIELD[kind]];
  const names = Array.isArray(list) ? list.map((e: unknown) => (isRecord(e) && typeof e.environmentName === 'string' ? e.environmentName : '')) : [];
  const environmentResults = names.map((environmentName) =>
    failTo.has(environmentName)
      ? { environmentName, success: false, message: `Deployment to environment ${environmentName} failed: gateway did not respond (simulated by the emulator)` }
      : { environmentName, success: true, message: 'Deployed successfully' },
  );
  const failed = environmentResults.filter((r) => !r.success).length;
  return failed === 0
    ? { success: true, message: 'Deployment completed successfully', environmentResults }
    : { success: false, message: `Deployment failed in ${failed} of ${environmentResults.length} environments`, environmentResults };
}

function parseJson(body: Buffer): { value: unknown } | ApiFailure {
  if (body.length === 0) return failure(400, 'bad_request', 'The request needs a JSON body');
  try {
    return { value: JSON.parse(body.toString('utf8')) as unknown };
  } catch {
    return failure(400, 'bad_request', 'The request body is not valid JSON');
  }
}

/**
 * Checks a create/update body as the server would and returns the object to store: the client's
 * fields (unknown ones kept, like `alias`) minus the server-only ones the store sets itself.
 */
function checkBody(kind: Kind, project: string, environments: ReadonlySet<string>, body: unknown): { name: string; object: Record<string, unknown> } | ApiFailure {
  if (!isRecord(body)) return failure(400, 'bad_request', 'The request body must be a JSON object');
  const errors: { field: string; message: string }[] = [];
  const label = LABEL[kind];
  const name = body.name;
  if (typeof name !== 'string' || name.trim() === '') errors.push({ field: 'name', message: `${label} name is required` });
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    errors.push({ field: 'description', message: 'description must be a string' });
  }
  if (kind === 'Key' && (typeof body.keyType !== 'string' || body.keyType === '')) {
    errors.push({ field: 'keyType', message: 'keyType is required (e.g. RSA, EC, SECRET_KEY)' });
  }
  const listField = ENVIRONMENT_LIST_FIELD[kind];
  const list = body[listField];
  const entries: Record<string, unknown>[] = [];
  if (!Array.isArray(list)) {
    errors.push({ field: listField, message: `${listField} is required and must be a list` });
  } else {
    const seen = new Set<string>();
    list.forEach((entry: unknown, i) => {
      const at = `${listField}[${i}]`;
      if (!isRecord(entry)) {
        errors.push({ field: at, message: 'must be an object' });
        return;
      }
      const env = entry.environmentName;
      if (typeof env !== 'string' || env === '') {
        errors.push({ field: `${at}.environmentName`, message: 'environmentName is required' });
      } else if (!environments.has(env)) {
        errors.push({
          field: `${at}.environmentName`,
          message: `Environment (name: ${env}) does not exist in project (${project}); its environments are: ${[...environments].join(', ') || 'none'}`,
        });
      } else if (seen.has(env)) {
        errors.push({ field: `${at}.environmentName`, message: `Environment (name: ${env}) is listed twice` });
      } else {
        seen.add(env);
      }
      const base64Field = (field: string, required: boolean) => {
        const v = entry[field];
        if (v === undefined || v === null) {
          if (required) errors.push({ field: `${at}.${field}`, message: `${field} is required` });
        } else if (typeof v !== 'string' || !isBase64(v)) {
          errors.push({ field: `${at}.${field}`, message: `${field} must be base64` });
        }
      };
      if (kind === 'Key') {
        base64Field('publicKey', false);
        base64Field('privateKey', false);
        if ((entry.publicKey ?? null) === null && (entry.privateKey ?? null) === null) {
          errors.push({ field: at, message: 'an environment entry needs a publicKey or a privateKey' });
        }
      } else {
        if (typeof entry.type !== 'string' || !KEYSTORE_TYPES.has(entry.type)) {
          errors.push({ field: `${at}.type`, message: `type must be JKS or PKCS12, got ${JSON.stringify(entry.type ?? null)}` });
        }
        base64Field('file', true);
      }
      const { environmentId: _ignored, ...clean } = entry;
      entries.push(clean);
    });
  }
  if (errors.length > 0) {
    return failure(400, 'validation_failed', errors.map((e) => `${e.field}: ${e.message}`).join('; '), { validation_errors: errors });
  }
  // The documented field order first, then whatever else the client sent (kept, as a server would).
  const object: Record<string, unknown> = { name, description: body.description ?? '' };
  if (kind === 'Key') object.keyType = body.keyType;
  object[listField] = entries;
  for (const [k, v] of Object.entries(body)) if (!SERVER_FIELDS.has(k) && !(k in object)) object[k] = v;
  return { name: name as string, object };
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
