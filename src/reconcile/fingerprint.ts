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
import { normaliseBase64, Secret } from '../secret.js';
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
      if (v !== null) material.update(`\u0000${env.name}\u0000${field.name}\u0000`).update(v);
    }
  }
  return material.digest();
}

type ValueOf = (field: FieldSpec, value: unknown) => string | null;

function desiredValue(field: FieldSpec, value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (field.role === 'plain') return field.caseInsensitive ? plainText(value).toUpperCase() : plainText(value);
  const secret = value as Secret;
  if (field.role !== 'binary-secret') return secret.reveal();
  return isBareBase64(secret) ? secret.reveal() : normaliseBase64(secret.reveal());
}

/** Secrets whose text is base64's characters only: no whitespace to remove, nothing to escape in JSON. */
const bareBase64 = new WeakSet<Secret>();
const BARE_BASE64 = /^[A-Za-z0-9+/=]*$/;

/** True when the secret's text is base64's characters only (remembered per Secret: plans share them). */
function isBareBase64(secret: Secret): boolean {
  if (bareBase64.has(secret)) return true;
  if (!BARE_BASE64.test(secret.reveal())) return false;
  bareBase64.add(secret);
  return true;
}

/**
 * Writes `value`'s JSON into `out`: a binary secret of base64's characters only as its text between
 * quotes, which is what JSON.stringify gives for it, without copying kilobytes.
 */
function writeValue(out: string[], field: FieldSpec, value: unknown, valueOf: ValueOf): void {
  if (field.role === 'binary-secret' && value instanceof Secret && isBareBase64(value)) {
    out.push('"', value.reveal(), '"');
    return;
  }
  out.push(JSON.stringify(valueOf(field, value)));
}

function currentValue(field: FieldSpec, value: unknown): string | null {
  if ((value as CurrentSecret | undefined) === 'masked') return null;
  return desiredValue(field, value);
}

/** A member of a canonical object: its name, and the field it holds (none: name, kind ...). */
interface Member {
  name: string;
  /** `"name":`, written once. */
  key: string;
  field?: FieldSpec;
}

/**
 * The members of a kind's canonical object and of its environments in key order, per form:
 * computed once, since plans hash thousands of objects. Names are plain words, so sorting them
 * sorts the members the way sorting the written `"name":value` texts would.
 */
const layouts = new WeakMap<object, Map<ApiGeneration, { resource: Member[]; environment: Member[] }>>();

function layoutOf(kind: string, form: ApiGeneration): { resource: Member[]; environment: Member[] } {
  const d = descriptorOf(kind);
  let byForm = layouts.get(d);
  if (!byForm) layouts.set(d, (byForm = new Map<ApiGeneration, { resource: Member[]; environment: Member[] }>()));
  let layout = byForm.get(form);
  if (!layout) {
    const members = (fields: readonly FieldSpec[], fixed: readonly string[]): Member[] =>
      [
        ...fields.filter((f) => inForm(f, form)).map((field) => ({ name: field.name, field })),
        ...fixed.map((name) => ({ name })),
      ]
        .sort((a, b) => compareText(a.name, b.name))
        .map((m) => ({ ...m, key: `${JSON.stringify(m.name)}:` }));
    layout = {
      resource: members(d.resourceFields, ['description', 'environments', 'kind', 'name', 'project']),
      environment: members(d.environmentFields, ['name']),
    };
    byForm.set(form, layout);
  }
  return layout;
}

// Written out directly, members in key order, into one array joined once: this is most of the
// time of a large plan saved as JSON (sorting the written members compared, and so copied, texts
// of kilobytes each).
function canonicalJson(r: DesiredResource | CurrentResource, value: ValueOf, form: ApiGeneration): string {
  const layout = layoutOf(r.kind, form);
  const out: string[] = [];
  const fixed: Record<string, string> = {
    description: r.description ?? '',
    kind: r.kind,
    name: r.name,
    project: r.project,
  };
  layout.resource.forEach((m, i) => {
    out.push(i === 0 ? `{${m.key}` : `,${m.key}`);
    if (m.field) writeValue(out, m.field, fieldValue(r, m.name), value);
    else if (m.name !== 'environments') out.push(JSON.stringify(fixed[m.name]));
    else {
      out.push('[');
      [...r.environments]
        .sort((a, b) => compareText(a.name, b.name))
        .forEach((env, k) => {
          layout.environment.forEach((e, j) => {
            out.push(j > 0 ? `,${e.key}` : k > 0 ? `,{${e.key}` : `{${e.key}`);
            if (e.field) writeValue(out, e.field, fieldValue(env, e.name), value);
            else out.push(JSON.stringify(env.name));
          });
          out.push('}');
        });
      out.push(']');
    }
  });
  out.push('}');
  return out.join('');
}

function digest(canonical: string, key: FingerprintKey | undefined): string {
  return (key ? createHmac('sha256', key) : createHash('sha256')).update(canonical, 'utf8').digest('hex');
}
