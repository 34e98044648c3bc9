// A SOPS-encrypted manifest file, between the loader and the format layer (SPEC §2d). `prepareSopsFile`
// does the I/O (identities, the data key, or the `sops` binary for PGP/KMS/Vault); `openSopsFile`
// is pure: the file's documents decrypted in place (positions of the encrypted text kept), or,
// without a usable key, the plain parts with each encrypted secret standing in as present, and one
// diagnostic for the file. Nothing decrypted leaves memory.
import type { Diagnostic, Severity } from '../diagnostics.js';
import { parseManifestText, type ParsedDocument, type ParseResult } from '../manifest/parse.js';
import { IDENTITY_PLACES, type AgeIdentities } from './age.js';
import { decryptWithSopsBinary } from './sops/binary.js';
import {
  decryptSopsDocuments,
  fillFromPlaintext,
  mayBeSops,
  placeholderDocuments,
  sopsMetadataOf,
  type DecryptedFile,
  type SopsProblem,
} from './sops/decode.js';
import { ageRecipients, unwrapDataKey, type DataKeyOutcome } from './sops/keys.js';
import { keyTypes, SopsMetadataError, type SopsMetadata } from './sops/metadata.js';

/** What the I/O step found for one SOPS file. */
export interface PreparedSopsFile {
  parsed: ParseResult;
  meta: SopsMetadata;
  key: DataKeyOutcome | { ok: true; plaintext: unknown[] } | { ok: false; reason: 'sops-failed'; message: string };
}

/** A file that looked like SOPS but whose metadata cannot be read: an error for the file. */
export interface BrokenSopsFile {
  parsed: ParseResult;
  problem: string;
}

/** What the loader passes in: the identities (read once per run, on first need) and the environment. */
export interface SopsContext {
  identities: () => Promise<AgeIdentities>;
  env: NodeJS.ProcessEnv;
}

/**
 * Reads the SOPS metadata of a manifest file and gets its data key; undefined when the file is
 * not SOPS-encrypted (most files: a quick look at the text decides without parsing).
 */
export async function prepareSopsFile(
  path: string,
  file: string,
  text: string,
  context: SopsContext,
): Promise<PreparedSopsFile | BrokenSopsFile | undefined> {
  if (!mayBeSops(text)) return undefined;
  const parsed = parseManifestText(text, file, { fast: true });
  if (parsed.diagnostics.length > 0) return undefined; // the plain path reports the syntax
  let meta: SopsMetadata | null;
  try {
    meta = sopsMetadataOf(parsed.documents);
  } catch (err) {
    if (err instanceof SopsMetadataError) return { parsed, problem: err.message };
    throw err;
  }
  if (!meta) return undefined;
  const identities = await context.identities();
  let key = await unwrapDataKey(meta, identities);
  if (key.ok) return { parsed, meta, key };
  if (identities.problems.length > 0) key = { ...key, message: `${key.message} (${identities.problems.join('; ')})` };
  // Only sops can unwrap PGP, KMS and Vault keys: let it try when it is here.
  const others = keyTypes(meta).some((t) => t !== 'age');
  if (key.reason !== 'unsupported' && !others) return { parsed, meta, key };
  const run = await decryptWithSopsBinary(path, context.env);
  if (run.ok) {
    const plain = parseManifestText(run.text, file, { fast: false });
    if (plain.diagnostics.length > 0)
      return { parsed, meta, key: { ok: false, reason: 'sops-failed', message: 'sops printed text that is not YAML' } };
    return { parsed, meta, key: { ok: true, plaintext: plain.documents.map((d) => d.value) } };
  }
  if (run.missing) return { parsed, meta, key };
  return { parsed, meta, key: { ok: false, reason: 'sops-failed', message: run.message } };
}

/** One document of an opened SOPS file, and the formatted paths whose value was encrypted. */
export interface OpenedDocument {
  document: ParsedDocument;
  encrypted: ReadonlySet<string>;
}

/** A SOPS file opened: its documents to validate, diagnostics about the file, and whether it was decrypted. */
export interface OpenedSopsFile {
  documents: OpenedDocument[];
  diagnostics: Diagnostic[];
  /** False when the documents hold placeholders: their material is not there to check. */
  decrypted: boolean;
}

/** A value that stands for an encrypted secret when there is no key: valid base64 and non-empty text. */
const PLACEHOLDER = 'AAAA';

/**
 * Opens a prepared file. `missingKey` says how a file that cannot be decrypted counts: a warning
 * (validate checks the plain parts) or an error (plan, apply and watch need the values).
 */
export function openSopsFile(
  prepared: PreparedSopsFile | BrokenSopsFile,
  text: string,
  secretFields: ReadonlySet<string>,
  missingKey: Severity,
): OpenedSopsFile {
  const firstDoc = prepared.parsed.documents[0];
  const fileDiagnostic = (code: Diagnostic['code'], severity: Severity, message: string, at: (string | number)[]) => {
    const pos = firstDoc ? firstDoc.locate(at) : { line: 1, column: 1 };
    const file = firstDoc?.file ?? '';
    return { code, severity, message, file, line: pos.line, column: pos.column, path: '' } satisfies Diagnostic;
  };
  if ('problem' in prepared)
    return {
      documents: [],
      diagnostics: [
        fileDiagnostic(
          'sops-invalid',
          'error',
          `is SOPS-encrypted, but its sops metadata cannot be read: ${prepared.problem}; restore the file from Git or encrypt it again with sops`,
          ['sops'],
        ),
      ],
      decrypted: false,
    };
  const { meta, key } = prepared;
  if (key.ok) {
    const opened: DecryptedFile | SopsProblem =
      'plaintext' in key
        ? fillFromPlaintext(prepared.parsed.documents, meta, key.plaintext)
        : decryptSopsDocuments(text, prepared.parsed.documents, meta, key.key);
    if ('documents' in opened)
      return {
        documents: opened.documents.map((document, i) => ({ document, encrypted: opened.encrypted[i] ?? new Set() })),
        diagnostics: [],
        decrypted: true,
      };
    const pos = opened.document.locate(opened.path, 'node');
    const where = opened.path.length > 0 && opened.path[0] !== 'sops' ? `its value at ${formatPath(opened.path)} ` : '';
    return {
      documents: [],
      diagnostics: [
        {
          code: opened.kind === 'tampered' ? 'sops-tampered' : 'sops-invalid',
          severity: 'error',
          message: `is SOPS-encrypted and ${where}was refused: ${opened.message}`,
          file: opened.document.file,
          line: pos.line,
          column: pos.column,
          path: '',
        },
      ],
      decrypted: false,
    };
  }
  // No key: say why, once for the file; in validate, check what is in plain.
  const severity: Severity = key.reason === 'invalid' || key.reason === 'sops-failed' ? 'error' : missingKey;
  const diagnostics = [fileDiagnostic('encrypted-no-identity', severity, noKeyMessage(meta, key, severity), ['sops'])];
  if (severity === 'error') return { documents: [], diagnostics, decrypted: false };
  const documents: OpenedDocument[] = [];
  for (const { document, checkable } of placeholderDocuments(
    prepared.parsed.documents,
    meta,
    secretFields,
    PLACEHOLDER,
  )) {
    if (!checkable) continue; // encrypted whole: nothing to check but that it is there
    const encrypted = new Set<string>();
    markEncrypted(document.value, secretFields, [], encrypted);
    documents.push({ document, encrypted });
  }
  return { documents, diagnostics, decrypted: false };
}

function markEncrypted(value: unknown, fields: ReadonlySet<string>, path: (string | number)[], out: Set<string>) {
  if (Array.isArray(value)) value.forEach((v, i) => markEncrypted(v, fields, [...path, i], out));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) {
      if (fields.has(k) && v === PLACEHOLDER) out.add(formatPath([...path, k]));
      else markEncrypted(v, fields, [...path, k], out);
    }
}

/** The message for a file without a usable key: the recipients (public), the places looked in, what to do. */
function noKeyMessage(meta: SopsMetadata, key: { reason: string; message: string }, severity: Severity): string {
  const recipients = ageRecipients(meta);
  const types = keyTypes(meta).filter((t) => t !== 'age');
  const forWhom = [
    ...(recipients.length > 0 ? [`age recipients ${recipients.join(', ')}`] : []),
    ...(types.length > 0 ? [`${types.join(', ')} keys`] : []),
  ].join(' and ');
  const then =
    severity === 'warning'
      ? 'validate checked its plain parts only and skipped its material checks; plan, apply and watch need it decrypted'
      : 'nothing was sent to the API';
  if (key.reason === 'unsupported')
    return `is SOPS-encrypted for ${forWhom || 'no key'}: ${key.message}, and the sops binary is not on PATH; install sops (it decrypts PGP, KMS and Vault keys), or add an age recipient with 'sops updatekeys' and give its identity in ${IDENTITY_PLACES}; ${then}`;
  if (key.reason === 'sops-failed' || key.reason === 'invalid')
    return `is SOPS-encrypted for ${forWhom}, and its data key could not be unwrapped: ${key.message}; ${then}`;
  return `is SOPS-encrypted for ${forWhom}; ${key.message}: set ${IDENTITY_PLACES}; ${then}`;
}

function formatPath(path: readonly (string | number)[]): string {
  return path.map((s, i) => (typeof s === 'number' ? `[${s}]` : i === 0 ? s : `.${s}`)).join('');
}
