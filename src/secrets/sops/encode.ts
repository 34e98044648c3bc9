// The other direction, for export (SPEC §2d): plain documents -> a SOPS-encrypted YAML file that sops
// itself opens (`sops edit`, `sops decrypt`), with the data key wrapped for each age recipient. The
// plaintext exists in memory only; the caller writes the returned text. Verified by the decoder of
// this same folder in tests, and by the rules sops applies: a value's AAD is its key path, the MAC
// covers every value and is sealed under `lastmodified`.
import { randomBytes } from 'node:crypto';
import { yamlLibrary } from '../../yaml-lazy.js';
import { loadTypage } from '../age.js';
import { encryptValue } from './cipher.js';
import { macAad, type SopsMetadata } from './metadata.js';
import { encryptTree } from './tree.js';

/** The fields export encrypts (SPEC §2d's recommended rule): identity and descriptions stay readable. */
export const SECRET_FIELDS_REGEX = '^(privateKey|publicKey|content|file|password)$';

/** The version written into the metadata: the sops format this encoder follows. */
export const SOPS_FORMAT_VERSION = '3.9.0';

export interface EncryptOptions {
  /** age recipients (`age1...`), at least one. */
  recipients: readonly string[];
  /** sops' encrypted_regex; default SECRET_FIELDS_REGEX unless another rule is given. */
  encryptedRegex?: string;
  /** One of sops' other rules instead of encrypted_regex (sops allows one rule per file). */
  rule?: { unencryptedSuffix?: string; encryptedSuffix?: string; unencryptedRegex?: string };
  /** sops' mac_only_encrypted: the MAC covers the encrypted values only (plain ones may be edited). */
  macOnlyEncrypted?: boolean;
  /** The time written as `lastmodified`; default now. */
  now?: Date;
}

/** True for a recipient string the encoder accepts: a native X25519 age recipient. */
export function isAgeRecipient(text: string): boolean {
  return /^age1[02-9ac-hj-np-z]{58}$/.test(text);
}

/**
 * Encrypts documents (plain JSON-like values, each a mapping) into SOPS YAML, one document per
 * `---`, the metadata in each as sops writes it. The input is not changed.
 */
export async function encryptSopsYaml(documents: readonly unknown[], options: EncryptOptions): Promise<string> {
  if (options.recipients.length === 0) throw new Error('encryptSopsYaml needs at least one age recipient');
  const key = randomBytes(32);
  const age: { recipient: string; enc: string }[] = [];
  const { Encrypter, armor } = await loadTypage();
  for (const recipient of options.recipients) {
    // One age file per recipient, as sops writes its age key groups.
    const encrypter = new Encrypter();
    encrypter.addRecipient(recipient);
    age.push({ recipient, enc: armor.encode(await encrypter.encrypt(key)) });
  }
  const lastModified = rfc3339(options.now ?? new Date());
  const meta: SopsMetadata = {
    lastModified,
    mac: '',
    macOnlyEncrypted: options.macOnlyEncrypted ?? false,
    unencryptedSuffix: options.rule?.unencryptedSuffix ?? '',
    encryptedSuffix: options.rule?.encryptedSuffix ?? '',
    unencryptedRegex: options.rule?.unencryptedRegex ?? '',
    encryptedRegex: options.rule ? '' : (options.encryptedRegex ?? SECRET_FIELDS_REGEX),
    unencryptedCommentRegex: '',
    encryptedCommentRegex: '',
    version: SOPS_FORMAT_VERSION,
    shamirThreshold: 0,
    keyGroups: [age.map((a) => ({ type: 'age' as const, id: a.recipient, enc: a.enc }))],
  };
  const docs = documents.map((d) => structuredClone(d));
  const mac = encryptTree(docs, meta, key);
  const sealedMac = encryptValue({ type: 'str', text: mac }, key, macAad(lastModified));
  // sops writes the metadata keys sorted by name (stores/metadata.go goToSops).
  const sops: Record<string, unknown> = { age };
  if (meta.encryptedRegex !== '') sops.encrypted_regex = meta.encryptedRegex;
  if (meta.encryptedSuffix !== '') sops.encrypted_suffix = meta.encryptedSuffix;
  sops.lastmodified = lastModified;
  sops.mac = sealedMac;
  if (meta.macOnlyEncrypted) sops.mac_only_encrypted = true;
  if (meta.unencryptedRegex !== '') sops.unencrypted_regex = meta.unencryptedRegex;
  if (meta.unencryptedSuffix !== '') sops.unencrypted_suffix = meta.unencryptedSuffix;
  sops.version = SOPS_FORMAT_VERSION;
  return docs
    .map((doc) =>
      yamlLibrary().stringify(
        // A Map keeps keys that look like array indexes in their place (a plain object would not).
        doc instanceof Map ? new Map([...(doc as Map<string, unknown>), ['sops', sops]]) : { ...(doc as object), sops },
        { lineWidth: 0, blockQuote: 'literal', aliasDuplicateObjects: false },
      ),
    )
    .join('---\n');
}

/** Go's time.RFC3339 for a UTC instant: seconds, no fraction, `Z`. */
function rfc3339(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}
