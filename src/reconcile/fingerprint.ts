// Pure: SHA-256 fingerprints of the canonical desired and current objects (SPEC §5). A saved plan
// records them per action; `apply --plan` recomputes them and refuses when either moved, so what
// is applied is what was reviewed.
//
// Both sides are put into the SAME canonical shape, so that when the server shows everything and
// nothing differs, the two fingerprints are equal:
//   { kind, project, name, description, keyType (Key only),
//     environments: sorted by name, [{ name, publicKey, privateKey } | { name, type, file }] }
// Secrets are part of the hashed input (whitespace-free base64): without them a secret rotated in
// Git, or on the server, between plan and apply would go unnoticed. Only the hash of the whole
// object is ever output, never a per-secret hash, which could be matched against a guessed value.
// For the current object a masked or absent secret is null. Keystore types are upper-cased, as the
// diff compares them case-insensitively. `updateReferencedJwks` is left out: it is how an update is
// sent, not part of the object the server holds.
import { createHash } from 'node:crypto';
import type { CurrentResource, CurrentSecret, DesiredResource } from '../model.js';
import { normaliseBase64 } from '../secret.js';
import type { Secret } from '../secret.js';
import { compareText } from './diff.js';

type Canonical = null | string | number | boolean | Canonical[] | { [key: string]: Canonical };

/** SHA-256 hex of the canonical form of a desired resource. */
export function fingerprintDesired(r: DesiredResource): string {
  return hash(canonicalDesired(r));
}

/** SHA-256 hex of the canonical form of the server's object (masked/absent secrets as null). */
export function fingerprintCurrent(r: CurrentResource): string {
  return hash(canonicalCurrent(r));
}

function canonicalDesired(r: DesiredResource): Canonical {
  const head = { kind: r.kind, project: r.project, name: r.name, description: r.description ?? '' };
  if (r.kind === 'Key') {
    return {
      ...head,
      keyType: r.keyType,
      environments: sortByName(r.environments).map((e) => ({
        name: e.name,
        publicKey: desiredSecret(e.publicKey),
        privateKey: desiredSecret(e.privateKey),
      })),
    };
  }
  return {
    ...head,
    environments: sortByName(r.environments).map((e) => ({
      name: e.name,
      type: e.type.toUpperCase(),
      file: desiredSecret(e.file),
    })),
  };
}

function canonicalCurrent(r: CurrentResource): Canonical {
  const head = { kind: r.kind, project: r.project, name: r.name, description: r.description ?? '' };
  if (r.kind === 'Key') {
    return {
      ...head,
      keyType: r.keyType,
      environments: sortByName(r.environments).map((e) => ({
        name: e.name,
        publicKey: currentSecret(e.publicKey),
        privateKey: currentSecret(e.privateKey),
      })),
    };
  }
  return {
    ...head,
    environments: sortByName(r.environments).map((e) => ({
      name: e.name,
      type: (e.type ?? '').toUpperCase(),
      file: currentSecret(e.file),
    })),
  };
}

function desiredSecret(s: Secret | undefined): string | null {
  return s === undefined ? null : normaliseBase64(s.reveal());
}

function currentSecret(s: CurrentSecret | undefined): string | null {
  return s === undefined || s === 'masked' ? null : normaliseBase64(s.reveal());
}

function sortByName<E extends { name: string }>(envs: readonly E[]): E[] {
  return [...envs].sort((a, b) => compareText(a.name, b.name));
}

/** JSON with object keys sorted at every level, so the hash does not depend on construction order. */
function canonicalJson(value: Canonical): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort(compareText);
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] ?? null)}`).join(',')}}`;
}

function hash(value: Canonical): string {
  return createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');
}
