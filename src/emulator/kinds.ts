// What the emulator knows about each kind it serves, per API generation: path segment, list field,
// body checks, read projection and export-file answer, in one table the handlers look up.
import { createHmac, randomBytes } from 'node:crypto';
import { isBase64 } from '../secret.js';
import type { ApiFailure } from './dialect.js';
import type { RawObject } from './store.js';
import { isRecord } from '../text.js';

/**
 * What the emulator knows about each kind, per API generation, in one table: the path segment,
 * the list field, how a create/update body is checked, how a stored object reads back, and what
 * export-file answers. The handlers look a kind up here and never branch on it, so the store can
 * later take these facts from the product's own kind descriptors.
 *
 * Stored objects always hold the material (legacy `publicKey`/`privateKey`/`file`, current
 * `content`/`file`/`password`): `--data FILE` persists it and export-file serves it. Whether a read
 * shows it is the read projection's business.
 */

/** The kinds the emulator serves (the product's descriptors may add kinds it does not). */
export type EmulatedKind = 'Key' | 'Keystore';
type Kind = EmulatedKind;

/** The two generations of the Management API (legacy: the older reference; current: 2026). */
export type Generation = 'legacy' | 'current';

/** A field-level problem in a request body. */
export interface FieldError {
  field: string;
  message: string;
}

/** Where a body is checked: the project and the environments reachable from it. */
export interface Scope {
  project: string;
  environments: ReadonlySet<string>;
}

/** A body that passed the checks: the object to store under `name`. */
export interface Checked {
  name: string;
  object: Record<string, unknown>;
}

/** How a read shows a current-generation object. */
export interface ReadView {
  /** A list call (the keystore list may carry environment ids, see `environmentIds`). */
  list: boolean;
  /** Keystore lists carry `environmentId` and encrypted-looking `file`/`password` instead of names. */
  environmentIds: boolean;
}

/** One environment's material as export-file serves it. */
export interface ExportedFile {
  environmentName: string;
  bytes: Buffer;
  /** File name extension with the dot: `.pem`, `.p12`, `.jks`. */
  extension: string;
}

/** Everything kind-specific the emulator needs. */
export interface KindHandler {
  kind: Kind;
  /** Path segment under /apiops/projects/{project}/. */
  segment: string;
  /** Used in server messages: `Key (name: x) ...`. */
  label: string;
  /** The field holding the per-environment entries. */
  listField: string;
  /** Checks a legacy create/update body (always complete) and returns the object to store. */
  checkLegacy(body: unknown, scope: Scope): Checked | ApiFailure;
  /** Checks a current body: complete on create, partial on update (merged onto `previous`). */
  checkCurrent(body: unknown, scope: Scope, previous: RawObject | undefined): Checked | ApiFailure;
  /** A current-generation read of a stored object: never any material. */
  readCurrent(object: RawObject, view: ReadView): RawObject;
  /** The material export-file serves, one file per environment entry that has some. */
  exportFiles(object: RawObject): ExportedFile[];
  /** Content-Type of a single exported file. */
  fileContentType: string;
}

export const KEY_TYPES = ['SECRET_KEY', 'PRIVATE_KEY', 'PUBLIC_KEY'] as const;
export const SECRET_KEY_ALGORITHMS = ['AES', 'DES', 'DESede', 'RSA'] as const;
export const KEYSTORE_TYPES = ['JKS', 'PKCS12'] as const;

/** The documented 400 text for a SECRET_KEY without algorithm (Create Key page). */
export const ALGORITHM_REQUIRED = 'algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA';

const SERVER_FIELDS = new Set(['id', 'projectId']);
const NOT_AN_OBJECT: ApiFailure = {
  status: 400,
  error: 'bad_request',
  description: 'The request body must be a JSON object',
};
const PEM = /^\s*-----BEGIN [A-Z0-9 ]+-----/;

function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function validationFailure(errors: FieldError[], withFields: boolean): ApiFailure {
  const text = errors.map((e) => (withFields ? `${e.field}: ${e.message}` : e.message)).join('; ');
  return { status: 400, error: 'validation_failed', description: text, extra: { validation_errors: errors } };
}

/** Checks the common part of an environment entry (its name) and records it in `seen`. */
type Entry = Record<string, unknown>;

function checkEnvironmentName(entry: Entry, at: string, scope: Scope, seen: Set<string>, errors: FieldError[]): void {
  const env = entry.environmentName;
  if (typeof env !== 'string' || env === '') {
    errors.push({ field: `${at}.environmentName`, message: 'environmentName is required' });
  } else if (!scope.environments.has(env)) {
    const known = [...scope.environments].join(', ') || 'none';
    const message = `Environment (name: ${env}) does not exist in project (${scope.project}); its environments are: ${known}`;
    errors.push({ field: `${at}.environmentName`, message });
  } else if (seen.has(env)) {
    errors.push({ field: `${at}.environmentName`, message: `Environment (name: ${env}) is listed twice` });
  } else {
    seen.add(env);
  }
}

/** Walks an environment list, checking names and handing each entry to `entry`; errors if it is not a list. */
function eachEntry(
  list: unknown,
  listField: string,
  scope: Scope,
  errors: FieldError[],
  entry: (e: Record<string, unknown>, at: string) => Record<string, unknown>,
): Record<string, unknown>[] {
  if (!Array.isArray(list)) {
    errors.push({ field: listField, message: `${listField} is required and must be a list` });
    return [];
  }
  const seen = new Set<string>();
  const out: Record<string, unknown>[] = [];
  list.forEach((item: unknown, i) => {
    const at = `${listField}[${i}]`;
    if (!isRecord(item)) {
      errors.push({ field: at, message: 'must be an object' });
      return;
    }
    checkEnvironmentName(item, at, scope, seen, errors);
    out.push(entry(item, at));
  });
  return out;
}

// ---------------------------------------------------------------------------------------------
// Legacy generation: the older reference. Bodies are complete; unknown fields are kept.

function base64Field(entry: Entry, at: string, field: string, required: boolean, errors: FieldError[]): void {
  const v = entry[field];
  if (v === undefined || v === null) {
    if (required) errors.push({ field: `${at}.${field}`, message: `${field} is required` });
  } else if (typeof v !== 'string' || !isBase64(v)) {
    errors.push({ field: `${at}.${field}`, message: `${field} must be base64` });
  }
}

function checkLegacy(
  h: Pick<KindHandler, 'label' | 'listField'>,
  body: unknown,
  scope: Scope,
  topLevel: (body: Record<string, unknown>, errors: FieldError[]) => Record<string, unknown>,
  entryCheck: (entry: Record<string, unknown>, at: string, errors: FieldError[]) => void,
): Checked | ApiFailure {
  if (!isRecord(body)) return NOT_AN_OBJECT;
  const errors: FieldError[] = [];
  const name = body.name;
  if (typeof name !== 'string' || name.trim() === '') {
    errors.push({ field: 'name', message: `${h.label} name is required` });
  }
  if (body.description !== undefined && body.description !== null && typeof body.description !== 'string') {
    errors.push({ field: 'description', message: 'description must be a string' });
  }
  const top = topLevel(body, errors);
  const entries = eachEntry(body[h.listField], h.listField, scope, errors, (entry, at) => {
    entryCheck(entry, at, errors);
    const { environmentId: _ignored, ...clean } = entry;
    return clean;
  });
  if (errors.length > 0) return validationFailure(errors, true);
  // The documented field order first, then whatever else the client sent (kept, as a server would).
  const object: Record<string, unknown> = { name, description: body.description ?? '', ...top, [h.listField]: entries };
  for (const [k, v] of Object.entries(body)) if (!SERVER_FIELDS.has(k) && !(k in object)) object[k] = v;
  return { name: name as string, object };
}

// ---------------------------------------------------------------------------------------------
// Current generation: the 2026 reference. Create bodies are complete; PUT is partial ("only
// provided fields are updated"): an omitted or null field keeps its stored value, and a provided
// environment list replaces the stored list. The Update pages say each entry of a provided list
// needs its material ("content ... Required: Yes"; "file", "password", "keyStoreType ... Yes"),
// and "omit cryptoKeyInfoEnvironmentList to leave the stored key content untouched", so a list is
// the new list, not a patch of the old one. `name` may change (a rename). Only documented fields
// are kept: a legacy field such as `publicKey` or `type` is ignored, as a JSON binder would.

function given(body: Record<string, unknown>, field: string): boolean {
  return body[field] !== undefined && body[field] !== null;
}

function checkCurrent(
  h: Pick<KindHandler, 'label' | 'listField'>,
  body: unknown,
  scope: Scope,
  previous: RawObject | undefined,
  topLevel: (body: Record<string, unknown>, merged: Record<string, unknown>, errors: FieldError[]) => void,
  entryCheck: (entry: Entry, at: string, merged: Entry, errors: FieldError[]) => Entry,
): Checked | ApiFailure {
  if (!isRecord(body)) return NOT_AN_OBJECT;
  const errors: FieldError[] = [];
  const merged: Record<string, unknown> = previous ? { ...previous } : {};
  if (given(body, 'name') || !previous) {
    if (typeof body.name === 'string' && body.name.trim() !== '') merged.name = body.name;
    else errors.push({ field: 'name', message: `${h.label} name is required` });
  }
  if (given(body, 'description')) {
    if (typeof body.description === 'string') merged.description = body.description;
    else errors.push({ field: 'description', message: 'description must be a string' });
  } else if (!previous) {
    merged.description = '';
  }
  topLevel(body, merged, errors);
  if (given(body, h.listField) || !previous) {
    merged[h.listField] = eachEntry(body[h.listField], h.listField, scope, errors, (entry, at) =>
      entryCheck(entry, at, merged, errors),
    );
  }
  if (errors.length > 0) return validationFailure(errors, false);
  const { id: _id, projectId: _projectId, ...fields } = merged;
  // Keep the stored id through a rename: the store keeps an id it is given.
  const object = previous && typeof previous.id === 'string' ? { id: previous.id, ...fields } : fields;
  return { name: merged.name as string, object };
}

function checkAlias(entry: Record<string, unknown>, at: string, errors: FieldError[]): void {
  if (entry.alias !== undefined && entry.alias !== null && typeof entry.alias !== 'string') {
    errors.push({ field: `${at}.alias`, message: `${at}.alias must be a string` });
  }
}

function currentKeyTop(body: Record<string, unknown>, merged: Record<string, unknown>, errors: FieldError[]): void {
  const creating = merged.keyType === undefined;
  if (given(body, 'keyType') || creating) {
    if (!KEY_TYPES.includes(body.keyType as (typeof KEY_TYPES)[number])) {
      const got = JSON.stringify(body.keyType ?? null);
      errors.push({ field: 'keyType', message: `keyType is required: one of ${KEY_TYPES.join(', ')} (got ${got})` });
      return;
    }
    merged.keyType = body.keyType;
  }
  const secret = merged.keyType === 'SECRET_KEY';
  if (given(body, 'algorithm')) {
    if (!SECRET_KEY_ALGORITHMS.includes(body.algorithm as (typeof SECRET_KEY_ALGORITHMS)[number])) {
      const got = JSON.stringify(body.algorithm);
      const message = `Unsupported algorithm ${got}! Supported values: ${SECRET_KEY_ALGORITHMS.join(', ')}`;
      errors.push({ field: 'algorithm', message });
    } else if (!secret) {
      const message = `algorithm applies to SECRET_KEY only; omit it for ${String(merged.keyType)}`;
      errors.push({ field: 'algorithm', message });
    } else {
      merged.algorithm = body.algorithm;
    }
  } else if (secret && !isText(merged.algorithm)) {
    errors.push({ field: 'algorithm', message: ALGORITHM_REQUIRED });
  }
  if (!secret) delete merged.algorithm;
}

function currentKeyEntry(entry: Entry, at: string, merged: Entry, errors: FieldError[]): Entry {
  checkAlias(entry, at, errors);
  const out: Record<string, unknown> = { environmentName: entry.environmentName };
  const content = entry.content;
  if (!isText(content)) {
    errors.push({ field: `${at}.content`, message: `${at}.content is required` });
  } else if (merged.keyType === 'SECRET_KEY') {
    // Stored as is (base64), not PEM-decoded.
    if (isBase64(content)) out.content = content;
    else errors.push({ field: `${at}.content`, message: `${at}.content of a SECRET_KEY must be base64 key bytes` });
  } else if (PEM.test(content)) {
    out.content = content; // raw PEM, accepted for convenience
  } else if (isBase64(content)) {
    const pem = Buffer.from(content, 'base64').toString('utf8');
    // The server decodes base64 back to PEM before storage; what does not decode to a PEM is refused.
    if (PEM.test(pem)) out.content = pem;
    else errors.push({ field: `${at}.content`, message: `${at}.content is base64 but not of a PEM (-----BEGIN ...)` });
  } else {
    errors.push({ field: `${at}.content`, message: `${at}.content is neither base64 nor PEM` });
  }
  if (given(entry, 'alias')) out.alias = entry.alias;
  return out;
}

function currentKeystoreEntry(entry: Entry, at: string, _merged: Entry, errors: FieldError[]): Entry {
  checkAlias(entry, at, errors);
  const out: Record<string, unknown> = { environmentName: entry.environmentName };
  if (!isText(entry.file)) errors.push({ field: `${at}.file`, message: `${at}.file is required` });
  else if (!isBase64(entry.file)) errors.push({ field: `${at}.file`, message: `${at}.file must be base64` });
  else out.file = entry.file;
  // An empty password is a password (a store made with none); only a missing one is refused.
  if (typeof entry.password !== 'string')
    errors.push({ field: `${at}.password`, message: `${at}.password is required` });
  else out.password = entry.password;
  if (!KEYSTORE_TYPES.includes(entry.keyStoreType as (typeof KEYSTORE_TYPES)[number])) {
    const got = JSON.stringify(entry.keyStoreType ?? null);
    errors.push({ field: `${at}.keyStoreType`, message: `${at}.keyStoreType is required: JKS or PKCS12 (got ${got})` });
  } else {
    out.keyStoreType = entry.keyStoreType;
  }
  if (given(entry, 'alias')) out.alias = entry.alias;
  return out;
}

// Reads of stored (frozen, never changed) objects are made once per object and view.
const readCache = new WeakMap<RawObject, Map<string, RawObject>>();

function cachedRead(object: RawObject, viewKey: string, make: () => RawObject): RawObject {
  let views = readCache.get(object);
  if (!views) {
    views = new Map();
    if (Object.isFrozen(object)) readCache.set(object, views);
  }
  let read = views.get(viewKey);
  if (!read) {
    read = Object.freeze(make());
    views.set(viewKey, read);
  }
  return read;
}

function entriesOf(object: RawObject, listField: string): Record<string, unknown>[] {
  const list = object[listField];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

// Stands in for the server's encryption: looks like ciphertext, stable within a run, reveals nothing.
const OPAQUE_KEY = randomBytes(32);
function opaque(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return createHmac('sha256', OPAQUE_KEY).update(value).digest('base64');
}

const KEY: KindHandler = {
  kind: 'Key',
  segment: 'keys',
  label: 'Key',
  listField: 'cryptoKeyInfoEnvironmentList',
  checkLegacy(body, scope) {
    return checkLegacy(
      this,
      body,
      scope,
      (b, errors) => {
        if (!isText(b.keyType)) {
          errors.push({ field: 'keyType', message: 'keyType is required (e.g. RSA, EC, SECRET_KEY)' });
        }
        return { keyType: b.keyType };
      },
      (entry, at, errors) => {
        base64Field(entry, at, 'publicKey', false, errors);
        base64Field(entry, at, 'privateKey', false, errors);
        if ((entry.publicKey ?? null) === null && (entry.privateKey ?? null) === null) {
          errors.push({ field: at, message: 'an environment entry needs a publicKey or a privateKey' });
        }
      },
    );
  },
  checkCurrent(body, scope, previous) {
    return checkCurrent(this, body, scope, previous, currentKeyTop, currentKeyEntry);
  },
  readCurrent(object) {
    return cachedRead(object, 'current', () => ({
      id: object.id,
      name: object.name,
      description: object.description ?? '',
      projectId: object.projectId,
      keyType: object.keyType,
      algorithm: object.keyType === 'SECRET_KEY' ? (object.algorithm ?? null) : null,
      cryptoKeyInfoEnvironmentList: entriesOf(object, this.listField).map((e) => ({
        environmentName: e.environmentName,
        alias: e.alias ?? null,
        source: null,
      })),
    }));
  },
  exportFiles(object) {
    return entriesOf(object, this.listField)
      .filter((e) => typeof e.environmentName === 'string' && isText(e.content))
      .map((e) => ({
        environmentName: e.environmentName as string,
        bytes: Buffer.from(e.content as string, 'utf8'),
        extension: '.pem',
      }));
  },
  fileContentType: 'application/x-pem-file',
};

const KEYSTORE: KindHandler = {
  kind: 'Keystore',
  segment: 'keystores',
  label: 'Keystore',
  listField: 'keyStoreEnvironmentList',
  checkLegacy(body, scope) {
    return checkLegacy(
      this,
      body,
      scope,
      () => ({}),
      (entry, at, errors) => {
        if (!KEYSTORE_TYPES.includes(entry.type as (typeof KEYSTORE_TYPES)[number])) {
          const got = JSON.stringify(entry.type ?? null);
          errors.push({ field: `${at}.type`, message: `type must be JKS or PKCS12, got ${got}` });
        }
        base64Field(entry, at, 'file', true, errors);
      },
    );
  },
  checkCurrent(body, scope, previous) {
    return checkCurrent(this, body, scope, previous, () => undefined, currentKeystoreEntry);
  },
  readCurrent(object, view) {
    const withIds = view.list && view.environmentIds;
    return cachedRead(object, withIds ? 'current-ids' : 'current', () => ({
      id: object.id,
      name: object.name,
      description: object.description ?? '',
      projectId: object.projectId,
      keyStoreEnvironmentList: entriesOf(object, this.listField).map((e) =>
        withIds
          ? // The List Keystores page's shape: ids and encrypted values instead of names.
            {
              environmentId: e.environmentId,
              file: opaque(e.file),
              password: opaque(e.password),
              alias: e.alias ?? null,
              keyStoreType: e.keyStoreType ?? e.type ?? null,
            }
          : {
              environmentName: e.environmentName,
              alias: e.alias ?? null,
              keyStoreType: e.keyStoreType ?? e.type ?? null,
            },
      ),
    }));
  },
  exportFiles(object) {
    return entriesOf(object, this.listField)
      .filter((e) => typeof e.environmentName === 'string' && isText(e.file))
      .map((e) => ({
        environmentName: e.environmentName as string,
        bytes: Buffer.from(e.file as string, 'base64'),
        extension: (e.keyStoreType ?? e.type) === 'PKCS12' ? '.p12' : '.jks',
      }));
  },
  fileContentType: 'application/octet-stream',
};

/** The handler of each kind. */
export const KIND_HANDLERS: Readonly<Record<Kind, KindHandler>> = { Key: KEY, Keystore: KEYSTORE };

/** The kind a path segment names (`keys`, `keystores`), or undefined. */
export function kindOfSegment(segment: string | undefined): Kind | undefined {
  for (const h of Object.values(KIND_HANDLERS)) if (h.segment === segment) return h.kind;
  return undefined;
}
