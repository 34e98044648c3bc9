// Pure: the walk of sops.go over a file's documents, for both directions. The documents are plain
// values as the manifest parser reads them (mappings as objects, or as Maps when a key looks like
// an integer and an object would reorder it). Leaves are visited in document order with their path
// of mapping keys (list items share their list's path: sops' AAD names keys only); each is
// encrypted or not by the file's rule (shouldBeEncrypted), and the MAC is SHA-512 over the leaves'
// bytes in that order, every leaf or (mac_only_encrypted) only the encrypted ones, as upper-case
// hex. Comments are not part of the MAC (sops skips them) and the parser drops them.
import { createHash, type Hash } from 'node:crypto';
import { decryptValue, encryptValue, looksEncrypted, macBytes, SopsValueError, type SopsScalar } from './cipher.js';
import type { SopsMetadata } from './metadata.js';

/** sops.go MACOnlyEncryptedInitialization: seeds the hash so the two MAC modes never collide. */
export const MAC_ONLY_ENCRYPTED_INIT = Buffer.from([
  0x8a, 0x3f, 0xd2, 0xad, 0x54, 0xce, 0x66, 0x52, 0x7b, 0x10, 0x34, 0xf3, 0xd1, 0x47, 0xbe, 0x0b, 0x0b, 0x97, 0x5b,
  0x3b, 0xf4, 0x4f, 0x72, 0xc6, 0xfd, 0xad, 0xec, 0x81, 0x76, 0xf2, 0x7d, 0x69,
]);

/** Adds a leaf's bytes to the MAC; text goes in without an intermediate Buffer (values are kilobytes). */
function hashLeaf(hash: Hash, value: SopsScalar): void {
  if ('text' in value) hash.update(value.text, 'utf8');
  else hash.update(macBytes(value));
}

/** A leaf as the walk hands it over: its value, key path, JSON path, and a way to replace it. */
export interface Leaf {
  value: string | number | boolean | bigint;
  /** sops' additional data for the leaf: its mapping keys joined with `:`, and a final `:`. */
  aad: string;
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

/**
 * sops.go shouldBeEncrypted, without the comment rules (those files are refused before the walk),
 * split so the walk can carry it down: each of sops' tests asks whether ANY key of the path matches
 * a suffix or regex, so `mark` says what one key matches (bits), the walk ORs the bits of a path's
 * keys, and `decide` turns them into sops' answer.
 */
export interface EncryptionRule {
  mark(key: string): number;
  decide(bits: number): boolean;
}

const UN_SUFFIX = 1;
const ENC_SUFFIX = 2;
const UN_REGEX = 4;
const ENC_REGEX = 8;

/** The file's rule (sops.go shouldBeEncrypted, in its order of precedence). */
export function encryptionRule(meta: SopsMetadata): EncryptionRule {
  const unSuffix = meta.unencryptedSuffix;
  const encSuffix = meta.encryptedSuffix;
  const unRegex = meta.unencryptedRegex ? compileRule(meta.unencryptedRegex) : undefined;
  const encRegex = meta.encryptedRegex ? compileRule(meta.encryptedRegex) : undefined;
  return {
    mark: (key) =>
      (unSuffix !== '' && key.endsWith(unSuffix) ? UN_SUFFIX : 0) |
      (encSuffix !== '' && key.endsWith(encSuffix) ? ENC_SUFFIX : 0) |
      (unRegex?.test(key) ? UN_REGEX : 0) |
      (encRegex?.test(key) ? ENC_REGEX : 0),
    decide: (bits) => {
      let encrypted = true;
      if (bits & UN_SUFFIX) encrypted = false;
      if (encSuffix !== '') encrypted = (bits & ENC_SUFFIX) !== 0;
      if (bits & UN_REGEX) encrypted = false;
      if (encRegex) encrypted = (bits & ENC_REGEX) !== 0;
      return encrypted;
    },
  };
}

/** A rule under which nothing is encrypted: a plain walk (of sops' own plaintext output). */
export const NOTHING_ENCRYPTED: EncryptionRule = { mark: () => 0, decide: () => false };

const MAX_DEPTH = 64;

/**
 * Calls `visit` for every leaf of a document, in sops' order, skipping the root's `sops` entry.
 * Null values are skipped (sops never encrypts nil).
 */
export function walkLeaves(document: unknown, rule: EncryptionRule, visit: (leaf: Leaf) => void): void {
  if (!isMapping(document)) throw new SopsTreeError('the document is not a mapping; sops encrypts mappings only', []);
  const walk = (
    value: unknown,
    aad: string,
    bits: number,
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
      visit({ value, aad: `${aad}:`, path, encrypted: rule.decide(bits), set });
    } else if (Array.isArray(value)) {
      value.forEach((item, i) => walk(item, aad, bits, [...path, i], (v) => (value[i] = v), depth + 1));
    } else if (value instanceof Map) {
      for (const [key, item] of value) {
        if (typeof key !== 'string')
          throw new SopsTreeError('has a key that is not text; sops supports text keys only', path);
        if (depth === 0 && key === 'sops') continue;
        const next = depth === 0 ? key : `${aad}:${key}`;
        walk(item, next, bits | rule.mark(key), [...path, key], (v) => value.set(key, v), depth + 1);
      }
    } else if (typeof value === 'object') {
      const record = value as Record<string, unknown>;
      for (const key of Object.keys(record)) {
        if (depth === 0 && key === 'sops') continue;
        const next = depth === 0 ? key : `${aad}:${key}`;
        walk(record[key], next, bits | rule.mark(key), [...path, key], (v) => (record[key] = v), depth + 1);
      }
    }
  };
  walk(document, '', 0, [], () => undefined, 0);
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
        if (typeof leaf.value !== 'string' || (leaf.value !== '' && !looksEncrypted(leaf.value)))
          throw new SopsTreeError(
            "holds a plain value where the file's sops rule says encrypted; encrypt it again with sops (sops edit, or sops encrypt -i)",
            leaf.path,
          );
        try {
          value = decryptValue(leaf.value, key, leaf.aad);
        } catch (err) {
          if (err instanceof SopsValueError) throw new SopsTreeError(err.message, leaf.path);
          throw err;
        }
        leaf.set(scalarValue(value));
        leaves.push({ document, path: leaf.path, value });
      } else {
        value = plainScalar(leaf.value);
      }
      if (!meta.macOnlyEncrypted || leaf.encrypted) hashLeaf(hash, value);
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
      if (!meta.macOnlyEncrypted || leaf.encrypted) hashLeaf(hash, value);
      if (leaf.encrypted) leaf.set(encryptValue(value, key, leaf.aad));
    });
  }
  return hash.digest('hex').toUpperCase();
}
