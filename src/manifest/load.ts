// I/O: find manifest files, read them, read the files that `fromFile` names, and hand everything
// to the pure steps (parse -> validate -> desired). Every problem becomes a diagnostic; nothing a
// user can put on disk makes this throw.
import { open, readdir, realpath, stat } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import pLimit from 'p-limit';
import type { ManifestCache } from './cache.js';
import { sortDiagnostics, hasErrors, type Diagnostic, type DiagnosticCode } from '../diagnostics.js';
import type { DesiredState } from '../model.js';
import { buildDesiredState, fileReferences, type FileReference, type FileSecret, type ManifestSource } from './desired.js';
import { inspectMaterial, type CertificateInfo, type MaterialCache } from '../material/index.js';
import { findingToDiagnostic, materialValues } from './material-values.js';
import { parseManifestText } from './parse.js';
import { validateDocument } from './validate.js';

export interface LoadOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  /** Largest manifest file read, in bytes; default 1 MiB. */
  maxFileBytes?: number;
  /** Parse results kept across loads (watch): a file whose text did not change is not parsed again. */
  cache?: ManifestCache;
  /**
   * The material checks (SPEC §2c) run on the resolved secrets; absent: not run
   * (`--skip-material-checks`, or a caller that does not want them).
   */
  material?: MaterialCheckOptions;
  /** How an unset `fromEnv` counts: an error (default: plan, apply, watch) or a warning (validate; SPEC §2). */
  unsetEnv?: 'error' | 'warning';
}

/** How the material checks run: the instant certificates are judged at and the warning window. */
export interface MaterialCheckOptions {
  now: Date;
  expiryWarnDays: number;
  /** Analyses reused across loads (watch); default: the process-wide cache. */
  cache?: MaterialCache | false;
}

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
}

/** Loads, validates and resolves every manifest under `paths` into a DesiredState, or diagnostics saying why not. */
export async function loadManifests(paths: string[], options: LoadOptions): Promise<LoadResult> {
  const diagnostics: Diagnostic[] = [];
  const display = (abs: string) => displayPath(abs, options.cwd);
  const fileProblem = (code: DiagnosticCode, file: string, message: string) =>
    diagnostics.push({ code, severity: 'error', message, file, line: 1, column: 1, path: '' });
  const maxBytes = options.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;

  // 1. Find the files, in argument order, each root's files sorted; a file named twice is read once.
  const found: FoundFile[] = [];
  const seen = new Set<string>();
  for (const given of paths) {
    const abs = resolve(options.cwd, given);
    let info: Stats;
    try {
      info = await stat(abs);
    } catch {
      fileProblem('path-not-found', display(abs), `no such file or directory: ${given}; check the path given on the command line`);
      continue;
    }
    const files = info.isDirectory() ? await findManifestFiles(abs) : [abs];
    const root = await realpath(info.isDirectory() ? abs : dirname(abs)).catch(() => abs);
    for (const f of files) {
      if (seen.has(f)) continue;
      seen.add(f);
      found.push({ path: f, root });
    }
  }

  // 2. Read and parse them; parsing is synchronous and cheap, reading overlaps.
  const limit = pLimit(IO_CONCURRENCY);
  const texts = await Promise.all(
    found.map((f) => {
      const known = options.cache?.unchangedText(f.path);
      return known !== undefined ? Promise.resolve({ ok: true as const, text: known }) : limit(() => readManifest(f.path, maxBytes));
    }),
  );
  const sources: ManifestSource[] = [];
  let documents = 0;
  let resources = 0;
  found.forEach((f, i) => {
    const file = display(f.path);
    const text = texts[i];
    if (!text || !text.ok) {
      if (text) fileProblem(text.code, file, text.message);
      return;
    }
    const validateOptions = options.defaultProject ? { defaultProject: options.defaultProject } : {};
    const check = (fast: boolean) => {
      const parsed = parseManifestText(text.text, file, { fast });
      return { parsed, results: parsed.documents.map((doc) => ({ doc, result: validateDocument(doc, validateOptions) })) };
    };
    const checkFile = () => {
      let checked = check(true);
      // A file the fast path read but that has any problem is read again by the full parser, so
      // diagnostics are exactly those of the full path whichever path read it first.
      if (checked.parsed.fast && checked.results.some((r) => r.result.diagnostics.length > 0)) checked = check(false);
      return checked;
    };
    const cacheContext = `${file}\u0000${options.defaultProject ?? ''}`;
    const { parsed, results } = options.cache ? options.cache.checked(f.path, cacheContext, text.text, checkFile) : checkFile();
    diagnostics.push(...parsed.diagnostics);
    documents += parsed.documents.length;
    for (const { doc, result } of results) {
      diagnostics.push(...result.diagnostics);
      if (result.kind) resources += 1;
      if (result.manifest) sources.push({ document: doc, manifest: result.manifest, dir: dirname(f.path), root: f.root });
    }
  });

  options.cache?.retain(found.map((f) => f.path));

  // 3. Read what fromFile names (once per file, however many manifests share it), then build.
  const refs = fileReferences(sources);
  const reads = await Promise.all(refs.map((ref) => limit(async () => [ref.key, await readSecretFile(ref)] as const)));
  const built = buildDesiredState({
    manifests: sources,
    env: options.env,
    files: new Map(reads),
    ...(options.unsetEnv ? { unsetEnv: options.unsetEnv } : {}),
    ...(options.defaultProject ? { defaultProject: options.defaultProject } : {}),
  });
  diagnostics.push(...built.diagnostics);
  let certificates: CertificateInfo[] = [];
  if (options.material) {
    const { now, expiryWarnDays, cache } = options.material;
    const report = inspectMaterial(materialValues(built.state), {
      now,
      expiryWarnDays,
      ...(cache !== undefined ? { cache } : {}),
    });
    diagnostics.push(...report.findings.map(findingToDiagnostic));
    certificates = report.certificates;
  }

  const sorted = sortDiagnostics(diagnostics);
  return {
    state: hasErrors(sorted) ? null : built.state,
    diagnostics: sorted,
    files: found.map((f) => display(f.path)),
    documents,
    resources,
    certificates,
  };
}

/** A path as diagnostics show it: relative to the working directory, absolute when outside it. */
export function displayPath(abs: string, cwd: string): string {
  const rel = relative(cwd, abs);
  if (rel === '') return '.';
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? abs : rel;
}

/** Every *.yaml / *.yml under `dir`, sorted, skipping dot-entries and node_modules; symlinked folders followed once. */
async function findManifestFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const visited = new Set<string>();
  const walk = async (d: string): Promise<void> => {
    const real = await realpath(d).catch(() => d);
    if (visited.has(real)) return; // a symlink loop, or a folder reached twice
    visited.add(real);
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch {
      return; // an unreadable folder holds nothing we can read; its files were never ours to report
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(d, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const s = await stat(full).catch(() => undefined);
        isDir = s?.isDirectory() ?? false;
        isFile = s ? s.isFile() : MANIFEST_EXTENSION.test(e.name); // a dangling *.yaml link: its read reports it
      }
      if (isDir) await walk(full);
      else if (isFile && MANIFEST_EXTENSION.test(e.name)) out.push(full);
    }
  };
  await walk(dir);
  return out;
}

type ReadText = { ok: true; text: string } | { ok: false; code: DiagnosticCode; message: string };

/** Reads a manifest as UTF-8 text, refusing files over the limit and files that are not text. */
async function readManifest(path: string, maxBytes: number): Promise<ReadText> {
  let bytes: Buffer;
  try {
    const r = await readLimited(path, maxBytes);
    if (r === 'too-large') {
      const size = await stat(path).then((s) => s.size).catch(() => maxBytes + 1);
      return {
        ok: false,
        code: 'file-too-large',
        message: `is ${formatBytes(size)}, over the ${formatBytes(maxBytes)} limit for a manifest; split it into smaller files, or raise the limit with --max-file-size or APINIZER_MAX_FILE_BYTES`,
      };
    }
    bytes = r;
  } catch (err) {
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${errorCode(err)}); check its permissions` };
  }
  if (bytes.includes(0)) {
    return { ok: false, code: 'binary-file', message: 'is a binary file (it contains NUL bytes), not YAML text; remove it or rename it so it does not end in .yaml/.yml' };
  }
  try {
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    return { ok: false, code: 'binary-file', message: 'is not UTF-8 text; save it as UTF-8' };
  }
}

/**
 * Reads at most `maxBytes` of a regular file. Opening with O_NONBLOCK and checking the type before
 * reading means a FIFO or device never blocks the run.
 */
async function readLimited(path: string, maxBytes: number): Promise<Buffer | 'too-large'> {
  const handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await handle.stat();
    if (!info.isFile()) throw Object.assign(new Error('not a regular file'), { code: 'not a regular file' });
    if (info.size > maxBytes) return 'too-large';
    const buffer = Buffer.alloc(Math.min(info.size, maxBytes) + 1);
    let length = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
      if (length > maxBytes) return 'too-large'; // it grew while we read
      if (length === buffer.length) break;
    }
    return buffer.subarray(0, length);
  } finally {
    await handle.close();
  }
}

/** Reads one `fromFile` target, enforcing the root (after symlinks), and refusing folders and non-files. */
export async function readSecretFile(ref: FileReference): Promise<FileSecret> {
  // Check the lexical path first, so that a path outside the root is refused without probing it.
  if (!isInside(ref.target, ref.root)) {
    return { ok: false, code: 'file-outside-root', message: `is outside the manifest root ${ref.root}; keep key files inside the folder given on the command line` };
  }
  let real: string;
  try {
    real = await realpath(ref.target);
  } catch (err) {
    const code = errorCode(err);
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      return { ok: false, code: 'file-not-found', message: 'does not exist; check the path (it is relative to this manifest\'s folder)' };
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
    info = await stat(real);
  } catch (err) {
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${errorCode(err)}); check its permissions` };
  }
  if (info.isDirectory()) return { ok: false, code: 'file-is-directory', message: 'is a directory; name the key or keystore file inside it' };
  if (!info.isFile()) return { ok: false, code: 'file-unreadable', message: 'is not a regular file (a pipe, socket or device); name a regular file' };
  try {
    const r = await readLimited(real, MAX_SECRET_FILE_BYTES);
    if (r === 'too-large') {
      return { ok: false, code: 'file-unreadable', message: `is larger than ${formatBytes(MAX_SECRET_FILE_BYTES)}; a key or keystore file is far smaller: check the path` };
    }
    if (r.length === 0) return { ok: false, code: 'file-unreadable', message: 'is empty; it must hold the key or keystore' };
    return { ok: true, base64: r.toString('base64') };
  } catch (err) {
    return { ok: false, code: 'file-unreadable', message: `cannot be read (${errorCode(err)}); check its permissions` };
  }
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
