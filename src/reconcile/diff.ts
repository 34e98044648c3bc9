// Pure: the semantic comparison of one desired resource with what the server holds (SPEC §4).
// The rule that shapes everything here: a difference the server can never make go away (a masked
// or omitted secret, a reordered list, re-wrapped base64, a lower-cased enum) must never be
// reported as a change, or every run would update everything forever. What the fields are and how
// each compares is the kind descriptor's (src/kinds/); nothing here names a kind.
import { descriptorOf, inForm, type FieldSpec } from '../kinds/index.js';
import {
  fieldValue,
  type ApiGeneration,
  type CurrentResource,
  type CurrentSecret,
  type DesiredResource,
} from '../model.js';
import { SENSITIVE, type Secret } from '../secret.js';
import type { FieldChange } from './types.js';

/** The field-level result of comparing one resource. */
export interface ResourceDiff {
  /** Real differences; empty means nothing to do (apart from unknown fields). */
  changes: FieldChange[];
  /** Secret fields the server did not show, so equality cannot be decided; never a change. */
  unknownFields: string[];
}

/** The outcome of comparing one field. */
export type FieldVerdict = 'same' | 'changed' | 'unknown';

/**
 * Compares one field of a desired and a current holder (a resource or an environment entry).
 * Plain values: exact, or ignoring case where the field says so; a field the manifest may leave
 * unset is the same when it does. Secrets: see compareSecret.
 */
export function compareField(field: FieldSpec, desired: object | undefined, current: object | undefined): FieldVerdict {
  const d = desired ? fieldValue(desired, field.name) : undefined;
  const c = current ? fieldValue(current, field.name) : undefined;
  if (field.role === 'plain') {
    if (d === undefined && field.unmanagedWhenUnset) return 'same';
    const dt = d === undefined || d === null ? '' : plainText(d);
    const ct = c === undefined || c === null ? '' : plainText(c);
    return (field.caseInsensitive ? dt.toUpperCase() === ct.toUpperCase() : dt === ct) ? 'same' : 'changed';
  }
  return compareSecret(field, d as Secret | undefined, c as CurrentSecret | undefined);
}

/**
 * One secret field. Binary secrets ignore whitespace (re-wrapped base64 is equal) or use the
 * field's own equality; text secrets compare exactly. A server that masks (`******`) or omits
 * secrets in reads cannot tell us the value: when the manifest has one, the field is unknown, not
 * changed. When the manifest has none and the server shows a masked one, that is unknown too (it
 * may be a placeholder for nothing); only a real value the manifest no longer has is a change.
 */
function compareSecret(
  field: FieldSpec,
  desired: Secret | undefined,
  current: CurrentSecret | undefined,
): FieldVerdict {
  if (current === 'masked') return 'unknown';
  if (desired === undefined) return current === undefined ? 'same' : 'changed';
  if (current === undefined) return 'unknown';
  return secretsEqual(field, desired, current) ? 'same' : 'changed';
}

/** The one equality of two secret values of a field. */
export function secretsEqual(field: FieldSpec, a: Secret, b: Secret): boolean {
  if (a === b) return true; // a listed value read as the manifest's own Secret (ListOptions.held)
  if (field.role === 'text-secret') return a.reveal() === b.reveal();
  return field.equals ? field.equals(a, b) : a.equals(b);
}

/** The form whose fields are compared: the manifest's, or for a delete the generation the server speaks. */
function formFor(desired: DesiredResource | undefined, generation: ApiGeneration): ApiGeneration {
  return desired ? descriptorOf(desired.kind).formOf(desired) : generation;
}

/**
 * Compares a desired resource with the server's object (either may be missing: a create lists
 * every desired field, a delete every current one). Sensitive fields carry no values.
 */
export function diffResource(
  desired: DesiredResource | undefined,
  current: CurrentResource | undefined,
  generation: ApiGeneration = 'legacy',
): ResourceDiff {
  const changes: FieldChange[] = [];
  const unknownFields: string[] = [];
  const either = desired ?? current;
  if (either === undefined) return { changes, unknownFields };
  const kind = descriptorOf(either.kind);
  const form = formFor(desired, generation);

  // A missing description and an empty one are the same thing (the API drops empty strings).
  const dDesc = desired ? (desired.description ?? '') : undefined;
  const cDesc = current ? (current.description ?? '') : undefined;
  if (desired === undefined || current === undefined) {
    // Create or delete: list the description only when there is one to show.
    const value = dDesc ?? cDesc ?? '';
    if (value !== '') changes.push(plain('description', cDesc, dDesc));
  } else if (dDesc !== cDesc) {
    changes.push(plain('description', cDesc, dDesc));
  }

  for (const field of kind.resourceFields) {
    if (!inForm(field, form)) continue;
    const d = desired ? fieldValue(desired, field.name) : undefined;
    const c = current ? fieldValue(current, field.name) : undefined;
    if (d === undefined && c === undefined) continue;
    if (desired && current && compareField(field, desired, current) === 'same') continue;
    changes.push(plain(field.name, shown(c), shown(d)));
  }

  const environment = (env: string, d: { name: string } | undefined, c: { name: string } | undefined) => {
    if (d === undefined || c === undefined) {
      // An environment on one side only is one change, its fields summarised (secrets as
      // placeholders), rather than one change per field: that is what the user decides about.
      changes.push(
        plain(
          `environments.${env}`,
          c && summariseEnvironment(either.kind, c, form),
          d && summariseEnvironment(either.kind, d, form),
        ),
      );
      return;
    }
    for (const field of kind.environmentFields) {
      if (!inForm(field, form)) continue;
      const verdict = compareField(field, d, c);
      if (verdict === 'same') continue;
      const at = `environments.${env}.${field.name}`;
      if (verdict === 'unknown') unknownFields.push(at);
      else if (field.role === 'plain')
        changes.push(plain(at, shown(fieldValue(c, field.name)), shown(fieldValue(d, field.name))));
      else changes.push({ path: at, sensitive: true });
    }
  };
  const dEnvs = desired?.environments ?? [];
  const cEnvs = current?.environments ?? [];
  // Usually both sides name the same environments in the same (sorted) order: no pairing needed.
  if (sameNamesInOrder(dEnvs, cEnvs)) dEnvs.forEach((d, i) => environment(d.name, d, cEnvs[i]));
  else for (const [env, d, c] of pairEnvironments(dEnvs, cEnvs)) environment(env, d, c);
  return { changes, unknownFields };
}

function shown(v: unknown): string | undefined {
  return v === undefined || v === null ? undefined : plainText(v);
}

/** A non-sensitive change; undefined before/after mean "absent on that side". */
function plain(path: string, before: string | undefined, after: string | undefined): FieldChange {
  const change: FieldChange = { path, sensitive: false };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  return change;
}

/** `{ type: PKCS12, file: (sensitive value) }`: what an added or removed environment holds, no secret in it. */
export function summariseEnvironment(kind: string, env: object, form: ApiGeneration = 'legacy'): string {
  const parts: string[] = [];
  for (const field of descriptorOf(kind).environmentFields) {
    if (!inForm(field, form)) continue;
    const v = fieldValue(env, field.name);
    if (v === undefined) continue;
    parts.push(`${field.name}: ${field.role === 'plain' ? plainText(v) : SENSITIVE}`);
  }
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

/** True when both lists name the same environments, in strictly ascending name order (so no repeats). */
function sameNamesInOrder(a: readonly { name: string }[], b: readonly { name: string }[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) {
    const name = (a[i] as { name: string }).name;
    if (name !== (b[i] as { name: string }).name) return false;
    if (i > 0 && compareText((a[i - 1] as { name: string }).name, name) >= 0) return false;
  }
  return true;
}

/**
 * The environments of both sides by name, in name order: [name, desired entry, current entry],
 * either entry missing when only one side has it; when a side repeats a name, its first entry
 * wins. Lists hold a handful of environments: scans, not maps, for the 10,000 resources of a plan.
 */
function pairEnvironments<E extends { name: string }>(
  desired: readonly E[],
  current: readonly E[],
): [string, E | undefined, E | undefined][] {
  const pairs: [string, E | undefined, E | undefined][] = [];
  const find = (name: string) => pairs.find((p) => p[0] === name);
  for (const d of desired) if (find(d.name) === undefined) pairs.push([d.name, d, undefined]);
  for (const c of current) {
    const pair = find(c.name);
    if (pair === undefined) pairs.push([c.name, undefined, c]);
    else if (pair[2] === undefined) pair[2] = c;
  }
  return pairs.length < 2 ? pairs : pairs.sort((a, b) => compareText(a[0], b[0]));
}

/**
 * True when two desired resources hold the same object (every field the diff compares, with the
 * diff's own equality, environments in the same order): how watch tells an edit from a save.
 * The kind's write-option fields (src/kinds/) and the source location are how it is sent, not what.
 */
export function sameDesired(a: DesiredResource, b: DesiredResource): boolean {
  if (
    a.kind !== b.kind ||
    a.project !== b.project ||
    a.name !== b.name ||
    (a.description ?? '') !== (b.description ?? '')
  ) {
    return false;
  }
  const kind = descriptorOf(a.kind);
  if (kind.resourceFields.some((f) => !sameValue(f, a, b))) return false;
  if (a.environments.length !== b.environments.length) return false;
  return a.environments.every((e, i) => {
    const f = b.environments[i];
    return f !== undefined && e.name === f.name && kind.environmentFields.every((field) => sameValue(field, e, f));
  });
}

/** Two desired values of one field: both absent, or equal by the field's equality. */
function sameValue(field: FieldSpec, a: object, b: object): boolean {
  const x = fieldValue(a, field.name);
  const y = fieldValue(b, field.name);
  if (x === undefined || y === undefined) return x === y;
  if (field.role === 'plain')
    return field.caseInsensitive ? plainText(x).toUpperCase() === plainText(y).toUpperCase() : x === y;
  return secretsEqual(field, x as Secret, y as Secret);
}

/** A plain field's value as text (the schemas give strings; anything else is shown as JSON). */
export function plainText(v: unknown): string {
  return typeof v === 'string' ? v : v === undefined || v === null ? '' : JSON.stringify(v);
}

/** Code-point order, independent of the machine's locale, so output is the same everywhere. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
