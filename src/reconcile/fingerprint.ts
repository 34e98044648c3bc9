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

/** SHA-256 hex of the canonical form of a desired resource. */
export function fingerprintDesired(r: DesiredResource): string {
  if (r.kind === 'Key') {
    return hash(keyJson(r, sortByName(r.environments).map((e) => keyEnvJson(e.name, desiredSecret(e.publicKey), desiredSecret(e.privateKey)))));
  }
  return hash(keystoreJson(r, sortByName(r.environments).map((e) => keystoreEnvJson(e.name, e.type, desiredSecret(e.file)))));
}

/** SHA-256 hex of the canonical form of the server's object (masked/absent secrets as null). */
export function fingerprintCurrent(r: CurrentResource): string {
  if (r.kind === 'Key') {
    return hash(keyJson(r, sortByName(r.environments).map((e) => keyEnvJson(e.name, currentSecret(e.publicKey), currentSecret(e.privateKey)))));
  }
  return hash(keystoreJson(r, sortByName(r.environments).map((e) => keystoreEnvJson(e.name, e.type ?? '', currentSecret(e.file)))));
}

// The canonical JSON is JSON with object keys in sorted order at every level, written out
// directly (keys listed here already sorted) rather than by a generic key-sorting serialiser:
// plans hash two objects per resource, and this is most of a large no-op plan's time.

function keyJson(r: { kind: string; project: string; name: string; description?: string; keyType: string }, environments: string[]): string {
  return `{"description":${JSON.stringify(r.description ?? '')},"environments":[${environments.join(',')}],"keyType":${JSON.stringify(r.keyType)},${identityJson(r)}}`;
}

function keystoreJson(r: { kind: string; project: string; name: string; description?: string }, environments: string[]): string {
  return `{"description":${JSON.stringify(r.description ?? '')},"environments":[${environments.join(',')}],${identityJson(r)}}`;
}

function identityJson(r: { kind: string; project: string; name: string }): string {
  return `"kind":${JSON.stringify(r.kind)},"name":${JSON.stringify(r.name)},"project":${JSON.stringify(r.project)}`;
}

function keyEnvJson(name: string, publicKey: string | null, privateKey: string | null): string {
  return `{"name":${JSON.stringify(name)},"privateKey":${JSON.stringify(privateKey)},"publicKey":${JSON.stringify(publicKey)}}`;
}

function keystoreEnvJson(name: string, type: string, file: string | null): string {
  return `{"file":${JSON.stringify(file)},"name":${JSON.stringify(name)},"type":${JSON.stringify(type.toUpperCase())}}`;
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

function hash(canonicalJson: string): string {
  return createHash('sha256').update(canonicalJson, 'utf8').digest('hex');
}
