// Pure: a parsed manifest file that carries SOPS metadata -> the same documents decrypted in place.
// The documents come from the manifest parser (parse.ts), so every check it makes (syntax, tags,
// merge keys, alias bombs) applies to encrypted files too, and `locate()` still points into the
// encrypted text: every diagnostic keeps the line and column of the file on disk. The data key is
// unwrapped elsewhere (I/O); here it decrypts each value, checks each value's AAD and the MAC, and
// removes the `sops` entry from every document, as sops' stores do.
import type { ParsedDocument } from '../../manifest/parse.js';
import { parseDocuments } from '../../manifest/parse.js';
import { yamlLibrary } from '../../yaml-lazy.js';
import { decryptValue, SopsValueError } from './cipher.js';
import { hasSopsMetadata, macAad, readSopsMetadata, SopsMetadataError, type SopsMetadata } from './metadata.js';
import {
  decryptTree,
  encryptionRule,
  NOTHING_ENCRYPTED,
  SopsTreeError,
  walkLeaves,
  type EncryptionRule,
} from './tree.js';

export { mayBeSops } from './detect.js';

/** The SOPS metadata of a file's documents: null when the file is not a SOPS file. */
export function sopsMetadataOf(documents: readonly ParsedDocument[]): SopsMetadata | null {
  const first = documents[0];
  if (!first || !hasSopsMetadata(first.value)) return null;
  return readSopsMetadata((first.value as { sops: unknown }).sops);
}

/** Why a SOPS file cannot be used, at a JSON path of one of its documents (empty path: the file). */
export interface SopsProblem {
  kind: 'metadata' | 'tampered';
  message: string;
  document: ParsedDocument;
  path: (string | number)[];
}

/** What decrypting a SOPS file gives: its documents in plain, and which paths were encrypted. */
export interface DecryptedFile {
  documents: ParsedDocument[];
  /** Per document (by position in `documents`), the formatted JSON paths whose value was encrypted. */
  encrypted: Set<string>[];
}

/**
 * Decrypts the documents with the data key; verifies each value's AAD and the file's MAC exactly
 * as sops does. Returns the documents or the first problem. The values of the documents given are
 * decrypted in place (they come fresh from the parser; copying thousands of them is measurable).
 */
export function decryptSopsDocuments(
  source: string,
  documents: readonly ParsedDocument[],
  meta: SopsMetadata,
  key: Uint8Array,
): DecryptedFile | SopsProblem {
  const first = documents[0];
  if (!first) throw new Error('decryptSopsDocuments needs the documents of a SOPS file');
  if (meta.encryptedCommentRegex !== '' || meta.unencryptedCommentRegex !== '')
    return {
      kind: 'metadata',
      message:
        'uses encrypted_comment_regex or unencrypted_comment_regex, which this tool does not read; encrypt it with encrypted_regex instead (see docs/secrets.md)',
      document: first,
      path: ['sops'],
    };
  // Mappings become Maps only where a key looks like an array index (see orderedValues).
  const ordered = documents.some((d) => hasIndexKey(d.value));
  const values = ordered ? orderedValues(source, documents) : documents.map((d) => d.value);
  let result: ReturnType<typeof decryptTree>;
  try {
    result = decryptTree(values, meta, key);
  } catch (err) {
    if (err instanceof SopsTreeError) {
      const document = documents[findDocument(values, err)] ?? first;
      return { kind: 'tampered', message: err.message, document, path: err.path };
    }
    throw err;
  }
  let fileMac: string;
  try {
    const sealed = decryptValue(meta.mac, key, macAad(meta.lastModified));
    fileMac = sealed.type === 'str' ? sealed.text : '';
  } catch (err) {
    if (!(err instanceof SopsValueError)) throw err;
    return {
      kind: 'tampered',
      message: `its MAC cannot be decrypted (${err.message}); the sops metadata was changed by hand: restore the file from Git, or encrypt it again with sops`,
      document: first,
      path: ['sops', 'mac'],
    };
  }
  if (fileMac !== result.mac)
    return {
      kind: 'tampered',
      message:
        "its MAC does not match its values: the file was changed without sops (a value edited, added, removed or moved); restore it from Git, or make the change with 'sops edit'",
      document: first,
      path: ['sops', 'mac'],
    };
  const encrypted = values.map(() => new Set<string>());
  for (const leaf of result.leaves) encrypted[leaf.document]?.add(formatLeafPath(leaf.path));
  return {
    documents: documents.map((doc, i) => ({
      ...doc,
      value: withoutSops(ordered ? plainObjects(values[i]) : values[i]),
    })),
    encrypted,
  };
}

/**
 * The documents as the walk needs them: deep copies, with each mapping as a Map when a key looks
 * like an array index (a plain object would put such keys first, out of sops' order).
 */
function orderedValues(source: string, documents: readonly ParsedDocument[]): unknown[] {
  const { isMap, LineCounter } = yamlLibrary();
  const parsed = parseDocuments(source, new LineCounter());
  return documents.map((d) => {
    const doc = parsed[d.index];
    return doc && isMap(doc.contents) ? (doc.toJS({ mapAsMap: true }) as unknown) : structuredClone(d.value);
  });
}

function hasIndexKey(value: unknown): boolean {
  if (Array.isArray(value)) return value.some(hasIndexKey);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => /^(?:0|[1-9]\d*)$/.test(k) || hasIndexKey(v));
}

/** Maps back to plain objects: manifests are plain JSON-like data. */
function plainObjects(value: unknown): unknown {
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), plainObjects(v)]));
  if (Array.isArray(value)) return value.map(plainObjects);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainObjects(v)]));
  return value;
}

function withoutSops(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  const { sops: _dropped, ...rest } = value as Record<string, unknown>;
  return rest;
}

function findDocument(values: readonly unknown[], err: SopsTreeError): number {
  // The walk goes document by document; find the one that holds the failing path.
  for (let i = 0; i < values.length; i += 1) if (hasPath(values[i], err.path)) return i;
  return 0;
}

function hasPath(value: unknown, path: readonly (string | number)[]): boolean {
  let node = value;
  for (const seg of path) {
    if (node instanceof Map) node = node.get(seg);
    else if (node !== null && typeof node === 'object') node = (node as Record<string | number, unknown>)[seg];
    else return false;
    if (node === undefined) return false;
  }
  return true;
}

/** `spec.environments[0].privateKey`, as diagnostics write paths. */
export function formatLeafPath(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}

/** What validate sees of an encrypted file without its key: how each document stands. */
export interface UndecryptedDocument {
  document: ParsedDocument;
  /** True when only secret fields are encrypted: the plain parts can be checked. */
  checkable: boolean;
}

/**
 * The documents of a SOPS file that cannot be decrypted here, each encrypted leaf replaced by a
 * placeholder so the plain parts can be checked (SPEC §2d). A document with an encrypted value
 * outside `secretFields` (sops' default layout encrypts everything) is not checkable.
 */
export function placeholderDocuments(
  documents: readonly ParsedDocument[],
  meta: SopsMetadata,
  secretFields: ReadonlySet<string>,
  placeholder: string,
): UndecryptedDocument[] {
  let rule: EncryptionRule;
  try {
    rule = encryptionRule(meta);
  } catch {
    return documents.map((document) => ({ document, checkable: false }));
  }
  return documents.map((doc) => {
    const value = withoutSops(structuredClone(doc.value));
    let checkable = true;
    // A secret field's whole value stands in as present, whatever is encrypted inside it (a
    // `{ fromEnv: NAME }` under an encrypted privateKey has its name encrypted too).
    const secrets = new Map<string, (string | number)[]>();
    try {
      walkLeaves(value, rule, (leaf) => {
        if (!leaf.encrypted) return;
        let at = -1;
        leaf.path.forEach((seg, i) => {
          if (typeof seg === 'string' && secretFields.has(seg)) at = i;
        });
        if (at < 0) checkable = false;
        else {
          const path = leaf.path.slice(0, at + 1);
          secrets.set(formatLeafPath(path), path);
        }
      });
    } catch {
      checkable = false;
    }
    for (const path of secrets.values()) setAt(value, path, placeholder);
    return { document: { ...doc, value }, checkable };
  });
}

function setAt(root: unknown, path: readonly (string | number)[], v: unknown): void {
  let node = root as Record<string | number, unknown>;
  for (const seg of path.slice(0, -1)) node = node[seg] as Record<string | number, unknown>;
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = v;
}

/**
 * The documents filled in from the plaintext the `sops` binary printed (it verified the MAC): each
 * encrypted leaf takes the value at the same place of the plaintext, in sops' walk order, so the
 * positions stay those of the encrypted file. A plaintext of another shape is refused.
 */
export function fillFromPlaintext(
  documents: readonly ParsedDocument[],
  meta: SopsMetadata,
  plaintext: readonly unknown[],
): DecryptedFile | SopsProblem {
  const first = documents[0];
  if (!first) throw new Error('fillFromPlaintext needs the documents of a SOPS file');
  const rule = encryptionRule(meta);
  const encrypted = documents.map(() => new Set<string>());
  const out: ParsedDocument[] = [];
  for (let i = 0; i < documents.length; i += 1) {
    const doc = documents[i] as ParsedDocument;
    const value = structuredClone(doc.value);
    const plainLeaves: { path: string; value: unknown }[] = [];
    try {
      walkLeaves(plaintext[i], NOTHING_ENCRYPTED, (leaf) =>
        plainLeaves.push({ path: formatLeafPath(leaf.path), value: leaf.value }),
      );
      let next = 0;
      walkLeaves(value, rule, (leaf) => {
        const plain = plainLeaves.find((p, j) => j >= next && p.path === formatLeafPath(leaf.path));
        if (!plain) throw new SopsTreeError('has no counterpart in what sops decrypted', leaf.path);
        next = plainLeaves.indexOf(plain) + 1;
        if (!leaf.encrypted) return;
        leaf.set(plain.value);
        encrypted[i]?.add(formatLeafPath(leaf.path));
      });
    } catch (err) {
      if (!(err instanceof SopsTreeError)) throw err;
      return {
        kind: 'tampered',
        message: `sops decrypted it to another shape: ${err.message}`,
        document: doc,
        path: err.path,
      };
    }
    out.push({ ...doc, value: withoutSops(value) });
  }
  return { documents: out, encrypted };
}

export { SopsMetadataError };
