// Pure: fingerprints of the canonical desired and current objects (SPEC §5). A saved plan records
// them per action; `apply --plan` recomputes them and refuses when either moved, so what is
// applied is what was reviewed.
//
// Both sides are put into the SAME canonical shape, so that when the server shows everything and
// nothing differs, the two fingerprints are equal: JSON with keys sorted at every level,
//   { description, environments: sorted by name, [{ name, <environment fields> }], <resource fields>,
//     kind, name, project }
// with the fields the kind's descriptor lists (src/kinds/). Secrets are part of the input (binary
// ones as whitespace-free base64): without them a secret rotated in Git, or on the server, between
// plan and apply would go unnoticed. For the current object a masked or absent secret is null.
// Case-insensitive fields are upper-cased, as the diff compares them. How a write is sent (the
// kind's write options) is not part of the object and left out: the plan records it per action.
//
// A plan file is an artifact anyone with access to the pull request can read, and a plain hash of
// an object that holds a low-entropy secret (a keystore password) lets them confirm a guess. So a
// saved plan's fingerprints are HMACs keyed by a digest of every secret value of the resource (for
// a delete: of what the server showed): the run that applies the plan holds the same secrets and
// derives the same key, while checking a guessed password needs the keystore file beside it, or
// the private key beside a guessed public one. A secret key of low entropy alone stays guessable;
// key material is not low-entropy in practice.
import { createHash, createHmac } from 'node:crypto';
import { descriptorOf, inForm, type FieldSpec } from '../kinds/index.js';
import {
  fieldValue,
  type ApiGeneration,
  type CurrentResource,
  type CurrentSecret,
  type DesiredResource,
} from '../model.js';
import { normaliseBase64, type Secret } from '../secret.js';
import { compareText, plainText } from './diff.js';

/** The key that saved-plan fingerprints are made with; absent: plain SHA-256 (in-memory uses). */
export type FingerprintKey = Buffer;

/** SHA-256 (or, with a key, HMAC-SHA-256) hex of the canonical form of a desired resource. */
export function fingerprintDesired(r: DesiredResource, key?: FingerprintKey): string {
  return digest(canonicalJson(r, desiredValue, descriptorOf(r.kind).formOf(r)), key);
}

/**
 * The same for the server's object (masked/absent secrets as null), over the fields managed in
 * `form`: the form of the manifest it is compared with, or the generation the server speaks.
 */
export function fingerprintCurrent(r: CurrentResource, key?: FingerprintKey, form: ApiGeneration = 'legacy'): string {
  return digest(canonicalJson(r, currentValue, form), key);
}

/** The key for a resource's fingerprints: a digest of its secret values, sorted by field. */
export function fingerprintKey(resource: DesiredResource | CurrentResource): FingerprintKey {
  const kind = descriptorOf(resource.kind);
  const material = createHash('sha256').update('apinizer-gitops plan fingerprint v2');
  for (const env of [...resource.environments].sort((a, b) => compareText(a.name, b.name))) {
    for (const field of kind.environmentFields) {
      if (field.role === 'plain') continue;
      const v = currentValue(field, fieldValue(env, field.name));
      if (v !== null) material.update(`\u0000${env.name}\u0000${field.name}\u0000${v}`);
    }
  }
  return material.digest();
}

type ValueOf = (field: FieldSpec, value: unknown) => string | null;

function desiredValue(field: FieldSpec, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (field.role === 'plain') return field.caseInsensitive ? plainText(value).toUpperCase() : plainText(value);
  const secret = (value as Secret).reveal();
  return field.role === 'binary-secret' ? normaliseBase64(secret) : secret;
}

function currentValue(field: FieldSpec, value: unknown): string | null {
  if ((value as CurrentSecret | undefined) === 'masked') return null;
  return desiredValue(field, value);
}

/** Fields in sorted name order per kind and form: computed once, since plans hash thousands of objects. */
const sortedFields = new WeakMap<object, Map<ApiGeneration, { resource: FieldSpec[]; environment: FieldSpec[] }>>();

function fieldsOf(kind: string, form: ApiGeneration): { resource: FieldSpec[]; environment: FieldSpec[] } {
  const d = descriptorOf(kind);
  let byForm = sortedFields.get(d);
  if (!byForm)
    sortedFields.set(d, (byForm = new Map<ApiGeneration, { resource: FieldSpec[]; environment: FieldSpec[] }>()));
  let f = byForm.get(form);
  if (!f) {
    const sorted = (fields: readonly FieldSpec[]) =>
      fields.filter((x) => inForm(x, form)).sort((a, b) => compareText(a.name, b.name));
    f = { resource: sorted(d.resourceFields), environment: sorted(d.environmentFields) };
    byForm.set(form, f);
  }
  return f;
}

// Written out directly (keys in sorted order) rather than by a generic key-sorting serialiser:
// this is most of a large no-op plan's time.
function canonicalJson(r: DesiredResource | CurrentResource, value: ValueOf, form: ApiGeneration): string {
  const fields = fieldsOf(r.kind, form);
  const envs = [...r.environments]
    .sort((a, b) => compareText(a.name, b.name))
    .map((env) => {
      const members = fields.environment.map((f) => member(f.name, value(f, fieldValue(env, f.name))));
      members.push(member('name', env.name));
      return `{${members.sort().join(',')}}`;
    });
  const members = fields.resource.map((f) => member(f.name, value(f, fieldValue(r, f.name))));
  members.push(
    member('description', r.description ?? ''),
    `"environments":[${envs.join(',')}]`,
    member('kind', r.kind),
    member('name', r.name),
    member('project', r.project),
  );
  // Each member starts with its quoted name, and names are plain words: sorting the members sorts the keys.
  return `{${members.sort().join(',')}}`;
}

function member(name: string, v: string | null): string {
  return `${JSON.stringify(name)}:${JSON.stringify(v)}`;
}

function digest(canonical: string, key: FingerprintKey | undefined): string {
  return (key ? createHmac('sha256', key) : createHash('sha256')).update(canonical, 'utf8').digest('hex');
}
