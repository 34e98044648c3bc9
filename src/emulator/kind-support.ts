// What every kind the emulator serves shares: the handler interface, the checks of create and
// update bodies in both generations (environment names, base64 fields, partial current updates),
// read caching and the stand-in for the server's encryption. One module per kind (kinds/) fills in
// the rest; the registry is kinds.ts.
import { createHmac, randomBytes } from 'node:crypto';
import { isBase64 } from '../secret.js';
import type { ApiFailure } from './dialect.js';
import type { RawObject } from './store.js';
import { isRecord } from '../text.js';
import type { EmulatedKind } from './kinds.js';

// Stored objects always hold the material (legacy `publicKey`/`privateKey`/`file`, current
// `content`/`file`/`password`): `--data FILE` persists it and export-file serves it. Whether a read
// shows it is the read projection's business.

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
  kind: EmulatedKind;
  /** Path segment under /apiops/projects/{project}/. */
  segment: string;
  /** Used in server messages: `Key (name: x) ...`. */
  label: string;
  /** The field holding the per-environment entries. */
  listField: string;
  /** The entry fields a legacy server that masks secrets (`maskSecrets`) shows as `******`. */
  maskedFields: readonly string[];
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

const SERVER_FIELDS = new Set(['id', 'projectId']);
const NOT_AN_OBJECT: ApiFailure = {
  status: 400,
  error: 'bad_request',
  description: 'The request body must be a JSON object',
};

export function isText(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

export function validationFailure(errors: FieldError[], withFields: boolean): ApiFailure {
  const text = errors.map((e) => (withFields ? `${e.field}: ${e.message}` : e.message)).join('; ');
  return { status: 400, error: 'validation_failed', description: text, extra: { validation_errors: errors } };
}

/** Checks the common part of an environment entry (its name) and records it in `seen`. */
export type Entry = Record<string, unknown>;

export function checkEnvironmentName(
  entry: Entry,
  at: string,
  scope: Scope,
  seen: Set<string>,
  errors: FieldError[],
): void {
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
export function eachEntry(
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

export function base64Field(entry: Entry, at: string, field: string, required: boolean, errors: FieldError[]): void {
  const v = entry[field];
  if (v === undefined || v === null) {
    if (required) errors.push({ field: `${at}.${field}`, message: `${field} is required` });
  } else if (typeof v !== 'string' || !isBase64(v)) {
    errors.push({ field: `${at}.${field}`, message: `${field} must be base64` });
  }
}

export function checkLegacy(
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

export function given(body: Record<string, unknown>, field: string): boolean {
  return body[field] !== undefined && body[field] !== null;
}

export function checkCurrent(
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

export function checkAlias(entry: Record<string, unknown>, at: string, errors: FieldError[]): void {
  if (entry.alias !== undefined && entry.alias !== null && typeof entry.alias !== 'string') {
    errors.push({ field: `${at}.alias`, message: `${at}.alias must be a string` });
  }
}

// Reads of stored (frozen, never changed) objects are made once per object and view.
const readCache = new WeakMap<RawObject, Map<string, RawObject>>();

export function cachedRead(object: RawObject, viewKey: string, make: () => RawObject): RawObject {
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

export function entriesOf(object: RawObject, listField: string): Record<string, unknown>[] {
  const list = object[listField];
  return Array.isArray(list) ? list.filter(isRecord) : [];
}

// Stands in for the server's encryption: looks like ciphertext, stable within a run, reveals nothing.
export const OPAQUE_KEY = randomBytes(32);
export function opaque(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  return createHmac('sha256', OPAQUE_KEY).update(value).digest('base64');
}
