// Pure: the `sops` mapping of an encrypted file, read the way sops' stores/stores.go reads it: the
import { isRecord } from '../../text.js';
// MAC and its timestamp, which values are encrypted (one of the suffix or regex rules, else the
// default `_unencrypted` suffix), and the key groups that hold the wrapped data key.

/** One master key that wraps the data key: its type, its public description, and the wrapped key. */
export interface MasterKey {
  type: MasterKeyType;
  /** Public: an age recipient, a PGP fingerprint, a KMS ARN, a Vault path... never secret. */
  id: string;
  /** The wrapped data key (for age: an armored age file). */
  enc: string;
}

export type MasterKeyType = 'age' | 'pgp' | 'kms' | 'gcp_kms' | 'azure_kv' | 'hc_vault' | 'hckms';

/** Metadata of a SOPS file, as sops holds it after ToInternal. */
export interface SopsMetadata {
  lastModified: string;
  mac: string;
  macOnlyEncrypted: boolean;
  unencryptedSuffix: string;
  encryptedSuffix: string;
  unencryptedRegex: string;
  encryptedRegex: string;
  unencryptedCommentRegex: string;
  encryptedCommentRegex: string;
  version: string;
  shamirThreshold: number;
  keyGroups: MasterKey[][];
}

/** sops' default rule when a file names none (sops.DefaultUnencryptedSuffix). */
export const DEFAULT_UNENCRYPTED_SUFFIX = '_unencrypted';

/** The fields each key type names itself by in metadata (stores/stores.go). */
const KEY_ID_FIELD: Record<MasterKeyType, (k: Record<string, unknown>) => string> = {
  age: (k) => str(k.recipient),
  pgp: (k) => str(k.fp),
  kms: (k) => str(k.arn),
  gcp_kms: (k) => str(k.resource_id),
  azure_kv: (k) => `${str(k.vault_url)}/keys/${str(k.name)}/${str(k.version)}`,
  hc_vault: (k) => `${str(k.vault_address)}/v1/${str(k.engine_path)}/keys/${str(k.key_name)}`,
  hckms: (k) => str(k.key_id),
};
const KEY_TYPES = Object.keys(KEY_ID_FIELD) as MasterKeyType[];

/** Why metadata cannot be used; the message says what is wrong in it. */
export class SopsMetadataError extends Error {}

/**
 * True when a document's value carries SOPS metadata: a top-level `sops` mapping with `mac` and
 * `lastmodified` (SPEC §2d). A manifest of ours never has a `sops` field, so nothing is mistaken.
 */
export function hasSopsMetadata(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const sops = value.sops;
  return isRecord(sops) && 'mac' in sops && 'lastmodified' in sops;
}

/** Reads the metadata mapping; throws SopsMetadataError naming what is wrong. */
export function readSopsMetadata(value: unknown): SopsMetadata {
  if (!isRecord(value)) throw new SopsMetadataError('the sops entry is not a mapping');
  const groups: MasterKey[][] = [];
  if (Array.isArray(value.key_groups) && value.key_groups.length > 0) {
    for (const g of value.key_groups) {
      if (!isRecord(g)) throw new SopsMetadataError('sops.key_groups holds an entry that is not a mapping');
      groups.push(keysOf(g));
    }
  } else {
    groups.push(keysOf(value));
  }
  const rules = {
    unencryptedSuffix: str(value.unencrypted_suffix),
    encryptedSuffix: str(value.encrypted_suffix),
    unencryptedRegex: str(value.unencrypted_regex),
    encryptedRegex: str(value.encrypted_regex),
    unencryptedCommentRegex: str(value.unencrypted_comment_regex),
    encryptedCommentRegex: str(value.encrypted_comment_regex),
  };
  const count = Object.values(rules).filter((r) => r !== '').length;
  if (count > 1)
    throw new SopsMetadataError(
      'names more than one of encrypted_suffix, unencrypted_suffix, encrypted_regex, unencrypted_regex and the comment regexes; sops allows one',
    );
  if (count === 0) rules.unencryptedSuffix = DEFAULT_UNENCRYPTED_SUFFIX;
  const lastModified = str(value.lastmodified);
  if (!RFC3339.test(lastModified))
    throw new SopsMetadataError('sops.lastmodified is not an RFC 3339 time such as 2024-01-31T12:00:00Z');
  const mac = value.mac;
  if (typeof mac !== 'string') throw new SopsMetadataError('sops.mac is missing or not text');
  const macOnly = value.mac_only_encrypted;
  return {
    ...rules,
    lastModified,
    mac,
    macOnlyEncrypted: macOnly === true || macOnly === 'true',
    version: str(value.version),
    shamirThreshold: typeof value.shamir_threshold === 'number' ? value.shamir_threshold : 0,
    keyGroups: groups,
  };
}

function keysOf(group: Record<string, unknown>): MasterKey[] {
  const keys: MasterKey[] = [];
  for (const type of KEY_TYPES) {
    const list = group[type];
    if (list === undefined || list === null) continue;
    if (!Array.isArray(list)) throw new SopsMetadataError(`sops.${type} is not a list`);
    for (const k of list) {
      if (!isRecord(k)) throw new SopsMetadataError(`sops.${type} holds an entry that is not a mapping`);
      keys.push({ type, id: KEY_ID_FIELD[type](k), enc: str(k.enc) });
    }
  }
  return keys;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:[Zz]|[+-]\d{2}:\d{2})$/;

/**
 * The MAC's additional data: the timestamp as Go's `Format(time.RFC3339)` writes the parsed
 * `lastmodified`: fractions of a second dropped, a zero offset written `Z`.
 */
export function macAad(lastModified: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})[Tt](\d{2}:\d{2}:\d{2})(?:\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/.exec(lastModified);
  if (!m) return lastModified;
  const zone = m[3] === 'z' || m[3] === 'Z' || m[3] === '+00:00' || m[3] === '-00:00' ? 'Z' : (m[3] ?? 'Z');
  return `${m[1]}T${m[2]}${zone}`;
}

/** Every key type the file's data key is wrapped for, for messages ("age, pgp"). */
export function keyTypes(meta: SopsMetadata): MasterKeyType[] {
  return [...new Set(meta.keyGroups.flat().map((k) => k.type))];
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '';
}
