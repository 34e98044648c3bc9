// I/O: find manifest files, read them, read the files that `fromFile` names, and hand everything
// to the pure steps (parse -> validate -> desired). Every problem becomes a diagnostic; nothing a
// user can put on disk makes this throw.
import * as fsp from 'node:fs/promises';
import { closeSync, constants, fstatSync, openSync, readSync, type Dirent, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isAscii } from 'node:buffer';
import pLimit from 'p-limit';
import type { ManifestCache } from './cache.js';
import { sortDiagnostics, hasErrors, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import type { DesiredState, Kind, ResourceId } from '../model.js';
import { descriptorOf } from '../kinds/index.js';
import {
  buildDesiredState,
  fileReferences,
  type FileReference,
  type FileSecret,
  type ManifestSource,
} from './desired.js';
import type { CertificateInfo, MaterialCache } from '../material/index.js';
import { parseManifestText, type ParsedDocument } from './parse.js';
import { isBase64, normaliseBase64 } from '../secret.js';
import { validateDocument, type ValidationResult } from './validate.js';
import { allSecretFieldNames } from '../kinds/index.js';
import { loadAgeIdentities, type AgeIdentities } from '../secrets/age.js';
import type { SopsContext } from '../secrets/sops-manifest.js';
import { mayBeSops } from '../secrets/sops/detect.js';
import { decryptFileSecret } from '../secrets/from-file.js';

/** Strict UTF-8 (a byte sequence that is not UTF-8 throws); stateless, so one serves every file. */
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export interface LoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  /** Largest manifest file read, in bytes; default 1 MiB. */
  maxFileBytes?: number;
  /** Parse results kept across loads (watch): a file whose text did not change is not parsed again. */
  cache?: ManifestCache;
  /** The file system; the real one by default. Tests inject failures the root user cannot cause (EACCES). */
  fs?: LoaderFs;
  /**
   * The material checks (SPEC §2c) run on the resolved secrets; absent: not run
   * (`--skip-material-checks`, or a caller that does not want them).
   */
  material?: MaterialCheckOptions;
  /**
   * How a secret that is not there counts: an error (default: plan, apply, watch) or a warning
   * (validate; SPEC §2, §2d): an unset `fromEnv`, and a SOPS or age file without an identity.
   */
  unsetEnv?: 'error' | 'warning';
}

/** How the material checks run: the instant certificates are judged at and the warning window. */
export interface MaterialCheckOptions {
  now: Date;
  expiryWarnDays: number;
  /**
   * `per-write` (plan, apply, watch; SPEC §2c): an expired (or not yet valid) certificate is not a load error but an
   * entry of `LoadResult.expired`, which the plan judges: an error only for a write that sends it.
   * Default `error` (validate, which cannot know what the server holds).
   */
  expiry?: 'error' | 'per-write';
  /** Analyses reused across loads (watch); default: the process-wide cache. */
  cache?: MaterialCache | false;
}

/** The few file-system calls the loader makes, as a seam (see LoadOptions.fs). */
export interface LoaderFs {
  stat(path: string): Promise<Stats>;
  lstat(path: string): Promise<Stats>;
  realpath(path: string): Promise<string>;
  readdir(path: string): Promise<Dirent[]>;
  open(path: string, flags: number): Promise<fsp.FileHandle>;
}

/** The real file system. */
export const nodeFs: LoaderFs = {
  stat: (p) => fsp.stat(p),
  lstat: (p) => fsp.lstat(p),
  realpath: (p) => fsp.realpath(p),
  readdir: (p) => fsp.readdir(p, { withFileTypes: true }),
  open: (p, flags) => fsp.open(p, flags),
};

export interface LoadResult {
  /** null when any error. */
  state: DesiredState | null;
  /** Sorted by file, line, column; warnings too. */
  diagnostics: Diagnostic[];
  /** Every manifest file found, as diagnostics name them. */
  files: string[];
  /** Non-empty YAML documents read. */
  documents: number;
  /** Documents of a kind this tool manages (Key, Keystore), valid or not. */
  resources: number;
  /** Certificates the material checks found (public facts only); empty when the checks did not run. */
  certificates?: CertificateInfo[];
  /** The absolute paths `fromFile` named (read or not): watch follows them wherever they are. */
  fromFiles?: string[];
  /** With `expiry: 'per-write'`: the expired certificates, for the plan to judge (see ExpiredMaterial). */
  expired?: ExpiredMaterial[];
}

/**
 * An expired certificate in a resolved value, held back from the load's errors so that time alone
 * does not stop unrelated work (SPEC §2c): the plan makes it an error only for a write that sends
 * it, and a warning where the server already holds the same material.
 */
export interface ExpiredMaterial {
  /** The finding as validate reports it (an error at the value's file:line:col). */
  diagnostic: Diagnostic;
  resource: ResourceId;
  environment: string;
  /** The manifest field that holds it (`content`, `file`, `publicKey`, ...). */
  field: string;
}

/** Default largest manifest: far above any hand-written file, small enough to refuse a stray dump. */
export const DEFAULT_MAX_FILE_BYTES = 1024 * 1024;

/** Largest file a `fromFile` may name: keystores are kilobytes; this only stops an accident (a disk image). */
export const MAX_SECRET_FILE_BYTES = 16 * 1024 * 1024;

const MANIFEST_EXTENSION = /\.ya?ml$/i;
const IO_CONCURRENCY = 16;

interface FoundFile {
  /** Absolute (lexical) path. */
  path: string;
  /** Real path of the manifest root that found it. */
  root: string;
  /** The same root as given (lexical): `path` is inside it. */
  base: string;
}

/** Loads, validates and resolves every manifest under `paths` into a DesiredState, or diagnostics saying why not. */
export async function loadManifests(paths: string[], options: LoadOptions): Promise<LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const display = (abs: string) => displayPath(abs, options.cwd);
  const fileProblem = (code: DiagnosticCode, file: string, message: string) =>
    diagnostics.push({ code, severity: 'error', message, file, line: 1, column: 1, path: '' });
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;

  const fs = options.fs ?? nodeFs;

  // 1. Find the files, in argument order, each root's files sorted; a file named twice is read once.
  // Anything that looks like a manifest and cannot be read is an error, never a silent skip: a
  // skipped file's resources would look deleted, and prune would delete them on the server.
  const found: FoundFile[] = [];
  const seen = new Set<string>();
  // Files reached through a symlink: read every time, never taken from the cache as unchanged,
  // since an event names the target (or, for a swapped `..data` link, nothing at all).
  const linked = new Set<string>();
  for (const given of paths) {
    const abs = resolve(options.cwd, given);
    const entry = await inspectPath(fs, abs);
    if (entry.type === 'missing') {
      const message =
        entry.link !== undefined
          ? `is a symbolic link to ${quoteName(entry.link)}, which does not exist; fix the link or the path given on the command line`
          : `no such file or directory: ${given}; check the path given on the command line`;
      fileProblem('path-not-found', display(abs), message);
      continue;
    }
    if (entry.type === 'error') {
      fileProblem('manifest-unreadable', display(abs), entry.message);
      continue;
    }
    if (entry.type === 'other') {
      fileProblem('manifest-unreadable', display(abs), notRegularMessage(entry.what));
      continue;
    }
    let files: string[];
    if (entry.type === 'directory') {
      const walked = await findManifestFiles(fs, abs);
      for (const p of walked.problems) fileProblem('manifest-unreadable', display(p.path), p.message);
      for (const l of walked.links) linked.add(l);
      files = walked.files;
    } else {
      files = [abs];
    }
    let root: string;
    const base = entry.type === 'directory' ? abs : dirname(abs);
    try {
      root = await fs.realpath(base);
    } catch (err) {
      fileProblem('manifest-unreadable', display(abs), `cannot be resolved (${errorCode(err)}); ${FIX_ACCESS}`);
      continue;
    }
    for (const f of files) {
      if (seen.has(f)) continue;
      seen.add(f);
      found.push({ path: f, root, base });
    }
  }

  // 2. Read and parse them; parsing is synchronous and cheap, reading overlaps.
  const limit = pLimit(IO_CONCURRENCY);
  const texts = await Promise.all(
    found.map((f) => {
      const known = linked.has(f.path) ? undefined : options.cache?.unchangedText(f.path);
      return known !== undefined
        ? Promise.resolve({ ok: true as const, text: known })
        : limit(() => readManifest(fs, f.path, maxBytes));
    }),
  );
  // SOPS-encrypted files (SPEC §2d): the data keys are unwrapped here (I/O, once per file); the
  // identities are read once, on first need.
  let identities: Promise<AgeIdentities> | undefined;
  const sopsContext: SopsContext = {
    identities: () => (identities ??= loadAgeIdentities(options.env, options.cwd)),
    env: options.env,
  };
  // The SOPS layer and the material checks are loaded only by runs that need them (start-up).
  const sopsLayer = texts.some((t) => t?.ok && mayBeSops(t.text))
    ? await import('../secrets/sops-manifest.js')
    : undefined;
  const prepared = await Promise.all(
    found.map((f, i) => {
      const t = texts[i];
      return sopsLayer && t?.ok && mayBeSops(t.text)
        ? limit(() => sopsLayer.prepareSopsFile(f.path, display(f.path), t.text, sopsContext))
        : Promise.resolve(undefined);
    }),
  );
  const missingSecret = options.unsetEnv ?? 'error';
  /** Files whose documents hold placeholders instead of their secrets: their material is not checked. */
  const undecrypted = new Set<string>();
  const sources: ManifestSource[] = [];
  let documents = 0;
  let resources = 0;
  found.forEach((f, i) => {
    const file = display(f.path);
    const text = texts[i];
    if (text === undefined) throw new Error(`no read result for ${file}`); // Promise.all keeps one per file
    if (!text.ok) {
      fileProblem(text.code, file, text.message);
      return;
    }
    const validateOptions = options.defaultProject ? { defaultProject: options.defaultProject } : {};
    const dir = folderUnderRoot(f); // once per file: its ten documents share it
    /** Records one validated document: its diagnostics, and its manifest for the desired state. */
    const take = (doc: ParsedDocument, result: ValidationResult, encrypted?: ReadonlySet<string>) => {
      diagnostics.push(...result.diagnostics);
      // A schema error stops the document before desired.ts checks its inline values: check
      // them here, so one run reports every problem of the file (a bad value as well).
      if (result.kind !== null && result.manifest === null)
        diagnostics.push(...inlineBase64Problems(doc, result.kind, result.diagnostics));
      if (result.kind) resources += 1;
      if (result.manifest)
        sources.push({
          document: doc,
          manifest: result.manifest,
          dir,
          root: f.root,
          ...(encrypted ? { encrypted } : {}),
        });
    };
    const sops = prepared[i];
    if (sops && sopsLayer) {
      const opened = sopsLayer.openSopsFile(sops, text.text, allSecretFieldNames(), missingSecret);
      diagnostics.push(...opened.diagnostics);
      if (!opened.decrypted) undecrypted.add(file);
      documents += sops.parsed.documents.length;
      for (const { document: doc, encrypted } of opened.documents)
        take(doc, validateDocument(doc, validateOptions), encrypted);
      return;
    }
    const check = (fast: boolean) => {
      const parsed = parseManifestText(text.text, file, { fast });
      return {
        parsed,
        results: parsed.documents.map((doc) => ({ doc, result: validateDocument(doc, validateOptions) })),
      };
    };
    const checkFile = () => {
      let checked = check(true);
      // A file the fast path read but that has any problem is read again by the full parser, so
      // diagnostics are exactly those of the full path whichever path read it first.
      if (checked.parsed.fast && checked.results.some((r) => r.result.diagnostics.length > 0)) checked = check(false);
      return checked;
    };
    const cacheContext = `${file}\u0000${options.defaultProject ?? ''}`;
    const { parsed, results } = options.cache
      ? options.cache.checked(f.path, cacheContext, text.text, checkFile)
      : checkFile();
    diagnostics.push(...parsed.diagnostics);
    documents += parsed.documents.length;
    for (const { doc, result } of results) take(doc, result);
  });

  options.cache?.retain(found.map((f) => f.path));

  // 3. Read what fromFile names (once per file, however many manifests share it), then build.
  const refs = fileReferences(sources);
  const ageContext = { identities: sopsContext.identities, missing: missingSecret };
  const reads = await Promise.all(
    refs.map((ref) =>
      limit(async () => [ref.key, await decryptFileSecret(await readSecretFile(ref, fs), ageContext)] as const),
    ),
  );
  const built = buildDesiredState({
    manifests: sources,
    env: options.env,
    files: new Map(reads),
    ...(options.unsetEnv ? { unsetEnv: options.unsetEnv } : {}),
    ...(options.defaultProject ? { defaultProject: options.defaultProject } : {}),
  });
  diagnostics.push(...built.diagnostics);
  let certificates: CertificateInfo[] = [];
  const expired: ExpiredMaterial[] = [];
  if (options.material) {
    const { now, expiryWarnDays, cache } = options.material;
    // A file read without its key holds placeholders: there is no material to look into.
    const checked =
      undecrypted.size === 0
        ? built.state
        : { ...built.state, resources: built.state.resources.filter((r) => !undecrypted.has(r.source.file)) };
    const [{ deriveCostlyKeys, inspectMaterial }, { findingToDiagnostic, materialValues }] = await Promise.all([
      import('../material/index.js'),
      import('./material-values.js'),
    ]);
    const values = materialValues(checked);
    // Costly keystore key derivations off the main thread, within a time budget (SPEC §2c).
    await deriveCostlyKeys(values);
    const report = inspectMaterial(values, {
      now,
      expiryWarnDays,
      ...(cache !== undefined ? { cache } : {}),
    });
    const perWrite = options.material.expiry === 'per-write';
    for (const f of report.findings) {
      const diagnostic = findingToDiagnostic(f);
      if (perWrite && f.blocksWrite === true) {
        const { kind, project, name, environment } = f.context;
        const field = f.location.path.slice(f.location.path.lastIndexOf('.') + 1);
        expired.push({ diagnostic, resource: { kind, project, name }, environment, field });
      } else diagnostics.push(diagnostic);
    }
    certificates = report.certificates;
  }
  // Where the load fails anyway, nothing is planned: report the expired certificates with the rest.
  if (hasErrors(diagnostics)) diagnostics.push(...expired.splice(0).map((e) => e.diagnostic));

  const sorted = sortDiagnostics(diagnostics);
  return {
    state: hasErrors(sorted) ? null : built.state,
    diagnostics: sorted,
    files: found.map((f) => display(f.path)),
    documents,
    resources,
    certificates,
    fromFiles: refs.map((r) => r.target),
    ...(options.material?.expiry === 'per-write' ? { expired } : {}),
  };
}

/**
 * invalid-base64 diagnostics for the inline secret values of a document that failed its schema.
 * The fields checked are the kind's binary secrets, whatever the form (a legacy Key's
 * publicKey/privateKey, a current Key's content, a Keystore's file), read from its descriptor.
 */
function inlineBase64Problems(doc: ParsedDocument, kind: Kind, already: readonly Diagnostic[]): Diagnostic[] {
  const out: Diagnostic[] = [];
  const spec = (doc.value as { spec?: unknown }).spec;
  const environments =
    spec !== null && typeof spec === 'object' ? (spec as { environments?: unknown }).environments : undefined;
  if (!Array.isArray(environments)) return out;
  const binary = descriptorOf(kind)
    .environmentFields.filter((f) => f.role === 'binary-secret')
    .map((f) => f.name);
  environments.forEach((env: unknown, i) => {
    if (env === null || typeof env !== 'object') return;
    for (const field of binary) {
      const value = (env as Record<string, unknown>)[field];
      if (typeof value !== 'string' || value.trim() === '' || isBase64(normaliseBase64(value))) continue;
      const path = `spec.environments[${i}].${field}`;
      if (already.some((d) => d.path === path)) continue; // the schema said something about it already
      const pos = doc.locate(['spec', 'environments', i, field]);
      const message = /-----BEGIN/.test(value)
        ? 'is PEM text, not base64; an inline value must be base64-encoded: use { fromFile: PATH } for the PEM file, or base64-encode it'
        : 'is not valid base64 (letters, digits, + and /, padded with = to a multiple of 4); fix the value, or use { fromFile: PATH }';
      const resource = already.find((d) => d.resource !== undefined)?.resource;
      out.push({
        code: 'invalid-base64',
        severity: 'error',
        message,
        file: doc.file,
        line: pos.line,
        column: pos.column,
        path,
        ...(resource ? { resource } : {}),
      });
    }
  });
  return out;
}

/** A path as diagnostics show it: relative to the working directory, absolute when outside it. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? abs : rel;
}

/** What to do about an entry the loader cannot read, the end of every such message. */
const FIX_ACCESS = 'make it readable by this user, or move it out of the manifest folder';

/** What a path is, after following symbolic links; an error (other than "missing") carries its message. */
type PathEntry =
  | { type: 'directory' | 'file' }
  | { type: 'other'; what: string }
  | { type: 'missing'; link?: string }
  | { type: 'error'; message: string };

/** Stats `path` following links, telling a dangling link, a link loop and an unreadable path apart. */
async function inspectPath(fs: LoaderFs, path: string): Promise<PathEntry> {
  let info: Stats;
  try {
    info = await fs.stat(path);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ELOOP')
      return { type: 'error', message: `is a loop of symbolic links (ELOOP); fix or remove the link` };
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // A dangling link exists (lstat works) but leads nowhere: say where it leads.
      const link = await fs.lstat(path).then(
        (l) => (l.isSymbolicLink() ? fsp.readlink(path).catch(() => '(unknown target)') : undefined),
        () => undefined,
      );
      return link !== undefined ? { type: 'missing', link } : { type: 'missing' };
    }
    return { type: 'error', message: `cannot be read (${code}); ${FIX_ACCESS}` };
  }
  if (info.isDirectory()) return { type: 'directory' };
  if (info.isFile()) return { type: 'file' };
  return { type: 'other', what: fileTypeName(info) };
}

/** `a FIFO (named pipe)`, `a socket`, ... for a path that is neither a file nor a folder. */
function fileTypeName(info: Stats): string {
  if (info.isFIFO()) return 'a FIFO (named pipe)';
  if (info.isSocket()) return 'a socket';
  if (info.isCharacterDevice()) return 'a character device';
  if (info.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

function notRegularMessage(what: string): string {
  return `is ${what}, not a regular file, so it cannot be read as a manifest; remove it, or rename it so it does not end in .yaml/.yml`;
}

/**
 * True for a name that may hold manifests: *.yaml / *.yml, or a name without an extension (a
 * folder, typically). A dangling link or unreadable entry with such a name is an error; one named
 * `notes.txt` is not ours and is left alone.
 */
function mayHoldManifests(name: string): boolean {
  return MANIFEST_EXTENSION.test(name) || !name.includes('.');
}

interface WalkResult {
  files: string[];
  /** Entries that may hold manifests but cannot be read: each is an error. */
  problems: { path: string; message: string }[];
  /** Files among `files` reached through a symbolic link (the entry itself is a link). */
  links: string[];
}

/**
 * Every *.yaml / *.yml under `dir`, sorted, skipping dot-entries and node_modules; symlinked
 * folders followed once (a loop ends where a real path repeats). What cannot be read is returned
 * as a problem, never skipped in silence.
 */
async function findManifestFiles(fs: LoaderFs, dir: string): Promise<WalkResult> {
  const files: string[] = [];
  const links: string[] = [];
  const problems: WalkResult['problems'] = [];
  const visited = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    let real: string;
    let entries: Dirent[];
    try {
      real = await fs.realpath(d);
      if (visited.has(real)) return; // a symlink loop, or a folder reached twice
      visited.add(real);
      entries = await fs.readdir(d);
    } catch (err) {
      problems.push({ path: d, message: `is a folder that cannot be read (${errorCode(err)}); ${FIX_ACCESS}` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(d, e.name);
      let entry: PathEntry;
      if (e.isDirectory()) entry = { type: 'directory' };
      else if (e.isFile()) entry = { type: 'file' };
      else entry = await inspectPath(fs, full); // a link (followed), a FIFO, socket or device, or unknown
      if (entry.type === 'directory') {
        await walk(full);
        continue;
      }
      if (entry.type === 'file') {
        if (MANIFEST_EXTENSION.test(e.name)) {
          files.push(full);
          if (e.isSymbolicLink()) links.push(full);
        }
        continue;
      }
      if (!mayHoldManifests(e.name)) continue;
      if (entry.type === 'missing') {
        problems.push({
          path: full,
          message: `is a symbolic link to ${quoteName(entry.link ?? '(unknown target)')}, which does not exist; fix the link or remove it`,
        });
      } else if (entry.type === 'error') {
        problems.push({ path: full, message: entry.message });
      } else if (entry.type === 'other' && MANIFEST_EXTENSION.test(e.name)) {
        problems.push({ path: full, message: notRegularMessage(entry.what) }); // never opened: a FIFO would block
      }
    }
  };
  await walk(dir);
  return { files, problems, links };
}

/** A user-supplied name or link target as messages quote it: JSON-quoted, control characters escaped. */
function quoteName(name: string): string {
  return JSON.stringify(name);
}

type ReadText = { ok: true; text: string } | { ok: false; code: DiagnosticCode; message: string };

/** Reads a manifest as UTF-8 text, refusing files over the limit and files that are not text. */
async function readManifest(fs: LoaderFs, path: string, maxBytes: number): Promise<ReadText> {
  let bytes: Buffer;
  try {
    const r = await readLimited(fs, path, maxBytes);
    if (r.kind === 'too-large') {
      return {
        ok: false,
        code: 'file-too-large',
        message: `is ${formatBytes(r.size)}, over the ${formatBytes(maxBytes)} limit for a manifest; split it into smaller files, or raise the limit with --max-file-size or APINIZER_MAX_FILE_BYTES`,
      };
    }
    if (r.kind === 'not-a-file') return { ok: false, code: 'manifest-unreadable', message: notRegularMessage(r.what) };
    bytes = r.bytes;
  } catch (err) {
    return { ok: false, code: 'manifest-unreadable', message: `cannot be read (${errorCode(err)}); ${FIX_ACCESS}` };
  }
  const utf16 = utf16Encoding(bytes);
  if (utf16 !== null) {
    return {
      ok: false,
      code: 'binary-file',
      message: `is ${utf16} text; save it as UTF-8 (the only encoding manifests may use)`,
    };
  }
  if (bytes.includes(0)) {
    return {
      ok: false,
      code: 'binary-file',
      message:
        'is a binary file (it contains NUL bytes), not YAML text; remove it or rename it so it does not end in .yaml/.yml',
    };
  }
  try {
    // Most manifests are ASCII, which reads as Latin-1 byte for byte (one native copy); anything
    // else goes through the one strict UTF-8 decoder.
    return { ok: true, text: isAscii(bytes) ? bytes.toString('latin1') : UTF8.decode(bytes) };
  } catch (err) {
    return { ok: false, code: 'binary-file', message: `is not UTF-8 text (${(err as Error).name}); save it as UTF-8` };
  }
}

/**
 * `UTF-16LE` / `UTF-16BE` when the bytes are UTF-16 text: by byte-order mark, or (without one) when
 * every other byte of the first ones is NUL, as ASCII text saved as UTF-16 is. Null otherwise.
 */
export function utf16Encoding(bytes: Uint8Array): 'UTF-16LE' | 'UTF-16BE' | null {
  if (bytes.length >= 2 && bytes[0] === 0xff && bytes[1] === 0xfe) return 'UTF-16LE';
  if (bytes.length >= 2 && bytes[0] === 0xfe && bytes[1] === 0xff) return 'UTF-16BE';
  const n = Math.min(bytes.length - (bytes.length % 2), 64);
  if (n < 4) return null;
  let evenNul = 0;
  let oddNul = 0;
  for (let i = 0; i < n; i += 2) {
    if (bytes[i] === 0) evenNul += 1;
    if (bytes[i + 1] === 0) oddNul += 1;
  }
  const pairs = n / 2;
  if (oddNul === pairs && evenNul === 0) return 'UTF-16LE';
  if (evenNul === pairs && oddNul === 0) return 'UTF-16BE';
  return null;
}

type Limited =
  { kind: 'bytes'; bytes: Buffer } | { kind: 'too-large'; size: number } | { kind: 'not-a-file'; what: string };

/** One read that limitedRead asks its driver for; the answer is the count of bytes read. */
interface ReadRequest {
  buffer: Buffer;
  offset: number;
  length: number;
  position: number;
}

/**
 * The checks and the loop of a bounded read, apart from the I/O: the type and size before any
 * read, then reads until the end, and a file that grows while it is read is caught. Each read is
 * yielded to a driver, synchronous (readLimitedSync) or not (readLimited), so both keep the same
 * rules in the same order.
 */
function* limitedRead(info: Stats, maxBytes: number): Generator<ReadRequest, Limited, number> {
  if (!info.isFile()) return { kind: 'not-a-file', what: fileTypeName(info) };
  if (info.size > maxBytes) return { kind: 'too-large', size: info.size };
  const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
  let length = 0;
  for (;;) {
    const bytesRead = yield { buffer, offset: length, length: buffer.length - length, position: length };
    if (bytesRead === 0) break;
    length += bytesRead;
    if (length > maxBytes) return { kind: 'too-large', size: length }; // it grew while we read
    if (length === buffer.length) break;
  }
  return { kind: 'bytes', bytes: buffer.subarray(0, length) };
}

/**
 * Reads at most `maxBytes` of a regular file. Opening with O_NONBLOCK and checking the type before
 * reading means a FIFO or device that replaced a file after it was listed never blocks the run.
 */
async function readLimited(fs: LoaderFs, path: string, maxBytes: number): Promise<Limited> {
  if (fs === nodeFs) return readLimitedSync(path, maxBytes);
  const handle = await fs.open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const steps = limitedRead(await handle.stat(), maxBytes);
    let step = steps.next();
    while (!step.done) {
      const r = step.value;
      step = steps.next((await handle.read(r.buffer, r.offset, r.length, r.position)).bytesRead);
    }
    return step.value;
  } finally {
    await handle.close();
  }
}

/**
 * readLimited on the real file system, with synchronous calls. A manifest is kilobytes on a local
 * disk: four system calls take microseconds, while the promise API sends each through the thread
 * pool and back (a FileHandle, four round trips), which was a fifth of validate's time at 1,000
 * files. The same rules (limitedRead), with O_NONBLOCK so a FIFO never blocks.
 */
function readLimitedSync(path: string, maxBytes: number): Limited {
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const steps = limitedRead(fstatSync(fd), maxBytes);
    let step = steps.next();
    while (!step.done) {
      const r = step.value;
      step = steps.next(readSync(fd, r.buffer, r.offset, r.length, r.position));
    }
    return step.value;
  } finally {
    closeSync(fd);
  }
}

/** Reads one `fromFile` target, enforcing the root (after symlinks), and refusing folders and non-files. */
export async function readSecretFile(ref: FileReference, fs: LoaderFs = nodeFs): Promise<FileSecret> {
  // Check the lexical path first, so that a path outside the root is refused without probing it.
  if (!isInside(ref.target, ref.root)) {
    return {
      ok: false,
      code: 'file-outside-root',
      message: `is outside the manifest root ${ref.root}; keep key files inside the folder given on the command line`,
    };
  }
  let real: string;
  try {
    real = await fs.realpath(ref.target);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return {
        ok: false,
        code: 'file-not-found',
        message: "does not exist; check the path (it is relative to this manifest's folder)",
      };
    }
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${code}); check its permissions` };
  }
  if (!isInside(real, ref.root)) {
    return {
      ok: false,
      code: 'file-outside-root',
      message: `leads through a symlink to ${real}, outside the manifest root ${ref.root}; keep key files inside the folder given on the command line`,
    };
  }
  let info: Stats;
  try {
    info = await fs.stat(real);
  } catch (err) {
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${errorCode(err)}); check its permissions` };
  }
  if (info.isDirectory())
    return { ok: false, code: 'file-is-directory', message: 'is a directory; name the key or keystore file inside it' };
  if (!info.isFile())
    return {
      ok: false,
      code: 'file-unreadable',
      message: 'is not a regular file (a pipe, socket or device); name a regular file',
    };
  try {
    const r = await readLimited(fs, real, MAX_SECRET_FILE_BYTES);
    if (r.kind === 'not-a-file')
      return { ok: false, code: 'file-unreadable', message: `is ${r.what}, not a regular file; name a regular file` };
    if (r.kind === 'too-large') {
      return {
        ok: false,
        code: 'file-unreadable',
        message: `is larger than ${formatBytes(MAX_SECRET_FILE_BYTES)}; a key or keystore file is far smaller: check the path`,
      };
    }
    if (r.bytes.length === 0)
      return { ok: false, code: 'file-unreadable', message: 'is empty; it must hold the key or keystore' };
    return { ok: true, base64: r.bytes.toString('base64') };
  } catch (err) {
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${errorCode(err)}); check its permissions` };
  }
}

/**
 * The manifest's folder, under the real root: `fromFile` paths are relative to it and must stay
 * inside the root, which is a real path. A root given through a symlink (a git-sync checkout
 * `current -> rev-abc`, macOS's `/tmp -> /private/tmp`) would otherwise put every target lexically
 * outside it.
 */
function folderUnderRoot(f: FoundFile): string {
  const rel = relative(f.base, dirname(f.path));
  return rel === '' ? f.root : join(f.root, rel);
}

function isInside(path: string, root: string): boolean {
  const rel = relative(root, path);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : 'I/O error';
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(n % (1024 * 1024) === 0 ? 0 : 1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(n % 1024 === 0 ? 0 : 1)} KiB`;
  return `${n} bytes`;
}
