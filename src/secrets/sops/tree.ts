// Pure: the walk of sops.go over a file's documents, for both directions. The documents are plain
// values as the manifest parser reads them (mappings as objects, or as Maps when a key looks like
// an integer and an object would reorder it). Leaves are visited in document order with their path
// of mapping keys (list items share their list's path: sops' AAD names keys only); each is
// encrypted or not by the file's rule (shouldBeEncrypted), and the MAC is SHA-512 over the leaves'
// bytes in that order, every leaf or (mac_only_encrypted) only the encrypted ones, as upper-case
// hex. Comments are not part of the MAC (sops skips them) and the parser drops them.
import { createHash } from 'node:crypto';
import { decryptValue, encryptValue, macBytes, SopsValueError, type SopsScalar } from './cipher.js';
import type { SopsMetadata } from './metadata.js';

/** sops.go MACOnlyEncryptedInitialization: seeds the hash so the two MAC modes never collide. */
export const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b,
  0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/** A leaf as the walk hands it over: its value, key path, JSON path, and a way to replace it. */
export interface Leaf {
  value: string | number | boolean | bigint;
  /** Mapping keys from the document root (list indexes are not part of a sops path). */
  keys: string[];
  /** The JSON path of the leaf in the document (with list indexes), for diagnostics. */
  path: (string | number)[];
  encrypted: boolean;
  /** Replaces the leaf in its parent. */
  set(value: unknown): void;
}

/** A problem found while walking, at a leaf's JSON path; never holds a plaintext. */
export class SopsTreeError extends Error {
  constructor(
    message: string,
    readonly path: (string | number)[],
  ) {
    super(message);
  }
}

/** Compiles a sops rule's regular expression (Go RE2 syntax; a leading `(?i)` becomes the i flag). */
function compileRule(source: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(source);
  try {
    return new RegExp(m ? source.slice(m[0].length) : source, m?.[1] ?? '');
  } catch {
    throw new SopsTreeError(`its rule's regular expression ${JSON.stringify(source)} cannot be read`, []);
  }
}

/** sops.go shouldBeEncrypted, without the comment rules (those files are refused before the walk). */
export function encryptionRule(meta: SopsMetadata): (keys: readonly string[]) => boolean {
  const unSuffix = meta.unencryptedSuffix;
  const encSuffix = meta.encryptedSuffix;
  const unRegex = meta.unencryptedRegex ? compileRule(meta.unencryptedRegex) : undefined;
  const encRegex = meta.encryptedRegex ? compileRule(meta.encryptedRegex) : undefined;
  return (keys) => {
    let encrypted = true;
    if (unSuffix !== '' && keys.some((k) => k.endsWith(unSuffix))) encrypted = false;
    if (encSuffix !== '') encrypted = keys.some((k) => k.endsWith(encSuffix));
    if (unRegex && keys.some((k) => unRegex.test(k))) encrypted = false;
    if (encRegex) encrypted = keys.some((k) => encRegex.test(k));
    return encrypted;
  };
}

const MAX_DEPTH = 64;

/**
 * Calls `visit` for every leaf of a document, in sops' order, skipping the root's `sops` entry.
 * Null values are skipped (sops never encrypts nil).
 */
export function walkLeaves(
  document: unknown,
  isEncrypted: (keys: readonly string[]) => boolean,
  visit: (leaf: Leaf) => void,
): void {
  if (!isMapping(document)) throw new SopsTreeError('the document is not a mapping; sops encrypts mappings only', []);
  const walk = (
    value: unknown,
    keys: string[],
    path: (string | number)[],
    set: (v: unknown) => void,
    depth: number,
  ): void => {
    if (depth > MAX_DEPTH) throw new SopsTreeError('is nested too deeply', path);
    if (value === null || value === undefined) return;
    if (
      typeof value === 'string' ||
      typeof value === 'number' ||
      typeof value === 'boolean' ||
      typeof value === 'bigint'
    ) {
      visit({ value, keys, path, encrypted: isEncrypted(keys), set });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, keys, [...path, i], (v) => (value[i] = v), depth + 1));
    } else if (value instanceof Map) {
      for (const [key, item] of value) {
        if (typeof key !== 'string')
          throw new SopsTreeError('has a key that is not text; sops supports text keys only', path);
        if (depth === 0 && key === 'sops') continue;
        walk(item, [...keys, key], [...path, key], (v) => value.set(key, v), depth + 1);
      }
    } else if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (depth === 0 && key === 'sops') continue;
        walk(record[key], [...keys, key], [...path, key], (v) => (record[key] = v), depth + 1);
      }
    }
  };
  walk(document, [], [], () => undefined, 0);
}

function isMapping(v: unknown): boolean {
  return v instanceof Map || (v !== null && typeof v === 'object' && !Array.isArray(v));
}

/** A plain (not encrypted) leaf as the Go value sops' stores read it as. */
export function plainScalar(value: string | number | boolean | bigint): SopsScalar {
  if (typeof value === 'boolean') return { type: 'bool', value };
  if (typeof value === 'bigint') return { type: 'int', value };
  // Go formats an int with Itoa and a float64 with FormatFloat('f', -1): for every number a
  // float64 holds exactly, both give the same text, so the int/float split needs no tracking.
  if (typeof value === 'number') return { type: 'float', value };
  return { type: 'str', text: value };
}

/** The JavaScript value a decrypted leaf stands for in the manifest. */
export function scalarValue(value: SopsScalar): string | number | boolean {
  switch (value.type) {
    case 'int':
      return Number(value.value);
    case 'float':
    case 'bool':
      return value.value;
    default:
      return value.text;
  }
}

/** One decrypted leaf: where it is and its plaintext. */
export interface DecryptedLeaf {
  document: number;
  path: (string | number)[];
  value: SopsScalar;
}

/**
 * Decrypts every encrypted leaf of the documents in place (each replaced by its plain value) and
 * returns the MAC computed over the tree (sops.go Tree.Decrypt) and the leaves decrypted.
 */
export function decryptTree(
  documents: readonly unknown[],
  meta: SopsMetadata,
  key: Uint8Array,
): { mac: string; leaves: DecryptedLeaf[] } {
  const hash = createHash('sha512');
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const rule = encryptionRule(meta);
  const leaves: DecryptedLeaf[] = [];
  documents.forEach((doc, document) => {
    walkLeaves(doc, rule, (leaf) => {
      let value: SopsScalar;
      if (leaf.encrypted) {
        if (typeof leaf.value !== 'string')
          throw new SopsTreeError(
            "holds a plain value where the file's sops rule says encrypted; encrypt it again with sops (sops edit, or sops encrypt -i)",
            leaf.path,
          );
        try {
          value = decryptValue(leaf.value, key, `${leaf.keys.join(':')}:`);
        } catch (err) {
          if (err instanceof SopsValueError) throw new SopsTreeError(err.message, leaf.path);
          throw err;
        }
        leaf.set(scalarValue(value));
        leaves.push({ document, path: leaf.path, value });
      } else {
        value = plainScalar(leaf.value);
      }
      if (!meta.macOnlyEncrypted || leaf.encrypted) hash.update(macBytes(value));
    });
  });
  return { mac: hash.digest('hex').toUpperCase(), leaves };
}

/**
 * Encrypts every leaf the rule selects, in place, and returns the MAC of the plaintext tree
 * (sops.go Tree.Encrypt); the caller seals the MAC with `encryptValue` under `macAad`.
 */
export function encryptTree(documents: readonly unknown[], meta: SopsMetadata, key: Uint8Array): string {
  const hash = createHash('sha512');
  if (meta.macOnlyEncrypted) hash.update(MAC_ONLY_ENCRYPTED_INIT);
  const rule = encryptionRule(meta);
  for (const doc of documents) {
    walkLeaves(doc, rule, (leaf) => {
      const value = plainScalar(leaf.value);
      if (!meta.macOnlyEncrypted || leaf.encrypted) hash.update(macBytes(value));
      if (leaf.encrypted) leaf.set(encryptValue(value, key, `${leaf.keys.join(':')}:`));
    });
  }
  return hash.digest('hex').toUpperCase();
}
