// Where command output goes: stdout or --out FILE, colour or not, the GitHub Actions extras
// (step summary, ::error annotations), and the progress line on a terminal. Renderers return
// strings; this file decides only where they are written.
import { appendFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { formatGithubAnnotation, type Diagnostic } from '../diagnostics.js';

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
 * Writes `text` to `file` (relative to cwd) through a temporary file and a rename, so a reader
 * never sees half a plan. Returns an error sentence, or null on success.
 */
export async function writeOutFile(file: string, text: string, cwd: string, flag = '--out'): Promise<string | null> {
  const target = resolve(cwd, file);
  const tmp = join(dirname(target), `.${basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    await writeFile(tmp, text, { encoding: 'utf8', flag: 'wx' });
    await rename(tmp, target);
    return null;
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    const e = err as NodeJS.ErrnoException;
    const why = e.code === 'ENOENT' ? 'its folder does not exist' : e.code === 'EACCES' ? 'permission denied' : e.code === 'EISDIR' ? 'it is a folder' : e.message;
    return `cannot write ${flag} ${file}: ${why}`;
  }
}

/**
 * Appends markdown to the GitHub Actions job summary when GITHUB_STEP_SUMMARY names a file.
 * Returns an error sentence, or null (also when the variable is unset).
 */
export async function appendStepSummary(markdown: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  const file = env.GITHUB_STEP_SUMMARY;
  if (file === undefined || file === '') return null;
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
