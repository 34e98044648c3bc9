// I/O: the data key of a SOPS file. Natively from an age recipient's stanza with the identities
// found (secrets/age.ts); for a file wrapped only for PGP, KMS or Vault, the `sops` binary decrypts
// the file when it is on PATH (binary.ts). Every outcome is a value; messages name public facts only
// (recipients, key types, variables), never a key.
import { AgeError, decryptAge, type AgeIdentities } from '../age.js';
import { keyTypes, type SopsMetadata } from './metadata.js';

/** A data key, or why there is none. */
export type DataKeyOutcome =
  | { ok: true; key: Uint8Array }
  | { ok: false; reason: 'no-identity' | 'no-match' | 'unsupported' | 'invalid'; message: string };

/** sops' data keys are 32 bytes (AES-256). */
const DATA_KEY_BYTES = 32;

/**
 * Data keys already unwrapped in this process, by wrapped key and identities: watch reloads a file
 * that `sops edit` changed, and sops keeps the data key (and so its wrapped form) across edits. Held
 * in memory only, for as long as the process runs.
 */
const unwrapped = new Map<string, Uint8Array>();
const MAX_CACHED = 4096;

/** The age recipients of a file (public keys), for messages. */
export function ageRecipients(meta: SopsMetadata): string[] {
  return meta.keyGroups.flat().flatMap((k) => (k.type === 'age' ? [k.id] : []));
}

/** Unwraps the file's data key with the age identities. */
export async function unwrapDataKey(meta: SopsMetadata, identities: AgeIdentities): Promise<DataKeyOutcome> {
  const types = keyTypes(meta);
  if (meta.keyGroups.length > 1)
    return {
      ok: false,
      reason: 'unsupported',
      message: `its data key is split over ${meta.keyGroups.length} key groups (Shamir), which only the sops binary can join`,
    };
  const ages = (meta.keyGroups[0] ?? []).filter((k) => k.type === 'age');
  if (ages.length === 0)
    return {
      ok: false,
      reason: 'unsupported',
      message: `its data key is wrapped only for ${types.length > 0 ? types.join(', ') : 'no key at all'}, not for an age recipient`,
    };
  if (identities.keys.length === 0) return { ok: false, reason: 'no-identity', message: 'no age identity was found' };
  let invalid: string | undefined;
  for (const k of ages) {
    const cacheKey = `${identities.keys.join('\n')}\u0000${k.enc}`;
    const known = unwrapped.get(cacheKey);
    if (known) return { ok: true, key: known };
    try {
      const key = await decryptAge(Buffer.from(k.enc, 'latin1'), identities);
      if (key.length !== DATA_KEY_BYTES) {
        invalid = `the data key wrapped for ${k.id} is ${key.length} bytes, not ${DATA_KEY_BYTES}`;
        continue;
      }
      if (unwrapped.size >= MAX_CACHED) unwrapped.clear();
      unwrapped.set(cacheKey, key);
      return { ok: true, key };
    } catch (err) {
      if (!(err instanceof AgeError)) throw err;
      if (err.reason === 'invalid') invalid = `the data key wrapped for ${k.id} ${err.message}`;
    }
  }
  if (invalid) return { ok: false, reason: 'invalid', message: invalid };
  return { ok: false, reason: 'no-match', message: 'none of the age identities found matches its recipients' };
}
