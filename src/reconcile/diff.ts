// Pure: the semantic comparison of one desired resource with what the server holds (SPEC §4).
// The rule that shapes everything here: a difference the server can never make go away (a masked
// or omitted secret, a reordered list, re-wrapped base64, a lower-cased enum) must never be
// reported as a change, or every run would update everything forever.
import type {
  CurrentKeyEnvironment,
  CurrentKeystoreEnvironment,
  CurrentResource,
  CurrentSecret,
  DesiredResource,
  KeyEnvironment,
  KeystoreEnvironment,
} from '../model.js';
import { SENSITIVE } from '../secret.js';
import type { Secret } from '../secret.js';
import type { FieldChange } from './types.js';

/** The field-level result of comparing one resource. */
export interface ResourceDiff {
  /** Real differences; empty means nothing to do (apart from unknown fields). */
  changes: FieldChange[];
  /** Secret fields the server did not show, so equality cannot be decided; never a change. */
  unknownFields: string[];
}

type AnyEnv = KeyEnvironment | KeystoreEnvironment | CurrentKeyEnvironment | CurrentKeystoreEnvironment;

/** The secret fields of an environment entry, in the order changes are listed. */
const SECRET_FIELDS = ['publicKey', 'privateKey', 'file'] as const;
type SecretField = (typeof SECRET_FIELDS)[number];

function envType(env: AnyEnv): string | undefined {
  return 'type' in env ? env.type : undefined;
}

/** A secret field of either side (desired: Secret; current: Secret or 'masked'). */
function envField(env: AnyEnv, field: SecretField): CurrentSecret | undefined {
  return (env as unknown as Partial<Record<SecretField, CurrentSecret>>)[field];
}

/**
 * Compares a desired resource with the server's object (either may be missing: a create lists
 * every desired field, a delete every current one). Sensitive fields carry no values.
 */
export function diffResource(
  desired: DesiredResource | undefined,
  current: CurrentResource | undefined,
): ResourceDiff {
  const changes: FieldChange[] = [];
  const unknownFields: string[] = [];
  if (desired === undefined && current === undefined) return { changes, unknownFields };

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

  // keyType is compared exactly: the schema only accepts upper-case tokens and the server keeps
  // them as sent, so a case difference is a real difference the user should see.
  const dType = desired?.kind === 'Key' ? desired.keyType : undefined;
  const cType = current?.kind === 'Key' ? current.keyType : undefined;
  if ((dType !== undefined || cType !== undefined) && dType !== cType) {
    changes.push(plain('keyType', cType, dType));
  }

  const dEnvs = byName(desired?.environments ?? []);
  const cEnvs = byName(current?.environments ?? []);
  const names = [...new Set([...dEnvs.keys(), ...cEnvs.keys()])].sort(compareText);
  for (const env of names) {
    const d = dEnvs.get(env);
    const c = cEnvs.get(env);
    const path = `environments.${env}`;
    if (d === undefined || c === undefined) {
      // An environment on one side only is one change, its fields summarised (secrets as
      // placeholders), rather than one change per field: that is what the user decides about.
      changes.push(plain(path, c && summariseEnvironment(c), d && summariseEnvironment(d)));
      continue;
    }
    const dt = envType(d);
    const ct = envType(c);
    // Keystore type is compared case-insensitively: JKS/PKCS12 are names of formats, not user
    // text, and servers have been seen echoing them in another case (`pkcs12`). Treating that as
    // a change would update the keystore on every run without ever converging.
    if ((dt !== undefined || ct !== undefined) && (dt ?? '').toUpperCase() !== (ct ?? '').toUpperCase()) {
      changes.push(plain(`${path}.type`, ct, dt));
    }
    for (const field of SECRET_FIELDS) {
      const verdict = compareSecret(envField(d, field) as Secret | undefined, envField(c, field));
      if (verdict === 'changed') changes.push({ path: `${path}.${field}`, sensitive: true });
      else if (verdict === 'unknown') unknownFields.push(`${path}.${field}`);
    }
  }
  return { changes, unknownFields };
}

/**
 * One secret field. `Secret.equals` ignores whitespace, so re-wrapped base64 is equal. A server
 * that masks (`******`) or omits secrets in reads cannot tell us the value: when the manifest has
 * one, the field is unknown, not changed. When the manifest has none and the server shows a
 * masked one, that is unknown too (it may be a placeholder for nothing); only a real value the
 * manifest no longer has is a change (a removal).
 */
function compareSecret(desired: Secret | undefined, current: CurrentSecret | undefined): 'same' | 'changed' | 'unknown' {
  if (current === 'masked') return 'unknown';
  if (desired === undefined) return current === undefined ? 'same' : 'changed';
  if (current === undefined) return 'unknown';
  return desired.equals(current) ? 'same' : 'changed';
}

/** A non-sensitive change; undefined before/after mean "absent on that side". */
function plain(path: string, before: string | undefined, after: string | undefined): FieldChange {
  const change: FieldChange = { path, sensitive: false };
  if (before !== undefined) change.before = before;
  if (after !== undefined) change.after = after;
  return change;
}

/** `{ type: PKCS12, file: (sensitive value) }`: what an added or removed environment holds, no secret in it. */
export function summariseEnvironment(env: AnyEnv): string {
  const parts: string[] = [];
  const type = envType(env);
  if (type !== undefined) parts.push(`type: ${type}`);
  for (const field of SECRET_FIELDS) {
    if (envField(env, field) !== undefined) parts.push(`${field}: ${SENSITIVE}`);
  }
  return parts.length === 0 ? '{}' : `{ ${parts.join(', ')} }`;
}

/** Environments by name; when a server repeats a name, the first entry wins. */
function byName<E extends { name: string }>(envs: readonly E[]): Map<string, E> {
  const map = new Map<string, E>();
  for (const e of envs) if (!map.has(e.name)) map.set(e.name, e);
  return map;
}

/** Code-point order, independent of the machine's locale, so output is the same everywhere. */
export function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
