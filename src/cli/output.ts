// Where command output goes: stdout or --out FILE, colour or not, the GitHub Actions extras
// (step summary, ::error annotations), and the progress line on a terminal. Renderers return
// strings; this file decides only where they are written.
import { fstatSync, type Stats } from 'node:fs';
import { appendFile, chmod, lstat, readlink, realpath, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { formatGithubAnnotation, printable, type Diagnostic } from '../diagnostics.js';

/** True when the stream is a terminal. */
export function isTty(stream: NodeJS.WritableStream): boolean {
  return (stream as NodeJS.WriteStream).isTTY === true;
}

/** Colour only on a terminal, and never when NO_COLOR is set to anything non-empty (no-color.org). */
export function useColor(stream: NodeJS.WritableStream, env: NodeJS.ProcessEnv): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  return isTty(stream);
}

/** Writes a stream chunk and waits until it is handed to the OS (or buffered), so nothing is lost on exit. */
export function writeTo(stream: NodeJS.WritableStream, text: string): Promise<void> {
  if (text === '') return Promise.resolve();
  return new Promise((done) => {
    stream.write(text, () => done());
  });
}

/**
 * Writes `text` to `file` (relative to cwd). A regular file, or a path that does not exist yet, is
 * written through a temporary file and a rename in its real folder, so a reader never sees half a
 * plan; a symbolic link is written through (the link stays, its target changes). A pipe, FIFO or
 * character device (`/dev/stdout`, `/dev/null`), and a file that is this process's own stdout or
 * stderr, are written directly: renaming over them would replace the device node or the link with
 * a file, and a FIFO's reader would get nothing. Returns an error sentence, or null on success.
 */
export async function writeOutFile(file: string, text: string, cwd: string, flag = '--out'): Promise<string | null> {
  const given = resolve(cwd, file);
  const fail = (why: string) => `cannot write ${flag} ${printable(file)}: ${why}`;
  let info: Stats | undefined;
  try {
    info = await stat(given); // follows every link, /proc/self/fd's included
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') return fail(reason(err));
  }
  if (info === undefined) {
    // Nothing there yet, or a link to nothing: create the file the link (chain) names.
    const target = await danglingTarget(given);
    if (typeof target !== 'string') return fail(target.error);
    return writeAtomically(target, text, undefined, fail);
  }
  if (info.isDirectory()) return fail('it is a folder; name a file');
  if (info.isSocket()) return fail('it is a socket; name a file, a pipe or a device');
  if (!info.isFile() || isOwnOutput(info)) {
    try {
      await writeFile(given, text, { encoding: 'utf8', flag: 'w' });
      return null;
    } catch (err) {
      return fail(reason(err));
    }
  }
  let real: string;
  try {
    real = await realpath(given);
  } catch (err) {
    return fail(reason(err));
  }
  return writeAtomically(real, text, info.mode & 0o7777, fail);
}

/** Writes `text` to the regular file `target` through a temporary file in its folder and a rename, keeping its mode. */
async function writeAtomically(
  target: string,
  text: string,
  mode: number | undefined,
  fail: (why: string) => string,
): Promise<string | null> {
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
    if (mode !== undefined) await chmod(tmp, mode);
    await rename(tmp, target);
    return null;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined); // the temporary file may not exist; nothing to report
    return fail(reason(err));
  }
}

/** The path a missing file or a chain of links ending nowhere names: where the new file goes. */
async function danglingTarget(path: string): Promise<string | { error: string }> {
  let current = path;
  for (let hops = 0; hops < 40; hops += 1) {
    let isLink: boolean;
    try {
      isLink = (await lstat(current)).isSymbolicLink();
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return current;
      return { error: reason(err) };
    }
    if (!isLink) return current;
    current = resolve(dirname(current), await readlink(current));
  }
  return { error: 'it is a loop of symbolic links' };
}

/** True when `info` is the file this process's stdout or stderr is (`--out /dev/stdout > file`). */
function isOwnOutput(info: Stats): boolean {
  for (const fd of [1, 2]) {
    try {
      const own = fstatSync(fd);
      if (own.dev === info.dev && own.ino === info.ino) return true;
    } catch {
      // a closed descriptor is nobody's file: keep looking
    }
  }
  return false;
}

function reason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'its folder does not exist';
  if (e.code === 'EACCES' || e.code === 'EPERM') return 'permission denied';
  if (e.code === 'EISDIR') return 'it is a folder; name a file';
  if (e.code === 'ELOOP') return 'it is a loop of symbolic links';
  if (e.code === 'ENXIO') return 'nothing reads that pipe or device';
  return e.code ?? e.message;
}

/**
 * Appends markdown to the GitHub Actions job summary when GITHUB_STEP_SUMMARY names a file.
 * Returns an error sentence, or null (also when the variable is unset).
 */
export async function appendStepSummary(
  markdown: string | (() => string),
  env: NodeJS.ProcessEnv,
): Promise<string | null> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return null;
  // Rendered only when there is a summary to append to (a plan of 10,000 resources is not small).
  if (typeof markdown === 'function') markdown = markdown();
  try {
    await appendFile(file, markdown.endsWith('\n') ? `${markdown}\n` : `${markdown}\n\n`, 'utf8');
    return null;
  } catch (err) {
    return `cannot append to GITHUB_STEP_SUMMARY (${file}): ${(err as Error).message}`;
  }
}

/**
 * `::error file=F,line=L,col=C::message` lines (`::warning` for warnings) when running in GitHub
 * Actions (GITHUB_ACTIONS=true), so problems show on the pull request's files; else ''.
 */
export function githubAnnotations(diagnostics: readonly Diagnostic[], env: NodeJS.ProcessEnv): string {
  if (env.GITHUB_ACTIONS !== 'true' || diagnostics.length === 0) return '';
  return `${diagnostics.map(formatGithubAnnotation).join('\n')}\n`;
}

/** A single status line rewritten in place on a terminal (`Applying 37/120 (1 failed)`). */
export interface ProgressLine {
  update(p: { done: number; total: number; failed: number }): void;
  /** Erases the line, leaving the cursor at its start. */
  clear(): void;
}

/** The progress line of apply on a terminal; rewrites at most every `minIntervalMs` but always shows the last state. */
export function createProgressLine(stream: NodeJS.WritableStream, minIntervalMs = 100): ProgressLine {
  let shown = false;
  let last = 0;
  return {
    update(p) {
      const now = Date.now();
      if (p.done < p.total && now - last < minIntervalMs) return;
      last = now;
      const failed = p.failed > 0 ? ` (${p.failed} failed)` : '';
      stream.write(`\r\u001b[2KApplying ${p.done}/${p.total}${failed}`);
      shown = true;
    },
    clear() {
      if (shown) stream.write('\r\u001b[2K');
      shown = false;
    },
  };
}
