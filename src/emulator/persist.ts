// The emulator's --data FILE: the store written atomically after every write, read back at start.
import { open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let tempCounter = 0;

/**
 * Writes a file atomically: the text goes to a temporary file in the same folder (same file
 * system, so rename is atomic), is flushed to disk, and then replaces the target. A reader, or a
 * restart after a crash, sees the old file or the new one, never half of one.
 */
export async function writeFileAtomic(file: string, text: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${process.pid}.${++tempCounter}.tmp`);
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text, 'utf8');
      await handle.datasync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}

/** Reads and parses a JSON data file; undefined when it does not exist. Throws with the file named otherwise. */
export async function readDataFile(file: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`cannot read emulator data file ${file}: ${(err as Error).message}`);
  }
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new Error(`emulator data file ${file} is not valid JSON: ${(err as Error).message}`);
  }
}

/**
 * Persists a changing state to a file, coalescing bursts: after a change it waits `delayMs`, then
 * writes the latest state once, so 500 quick writes cost a handful of rewrites rather than 500.
 * Only one write runs at a time; a change during a write schedules another.
 */
export class Persister {
  readonly #file: string;
  readonly #serialise: () => string;
  readonly #delayMs: number;
  readonly #onError: (err: Error) => void;
  #timer: NodeJS.Timeout | undefined;
  #dirty = false;
  #writing: Promise<void> | undefined;
  #lastError: Error | undefined;

  constructor(
    file: string,
    serialise: () => string,
    options: { delayMs?: number; onError?: (err: Error) => void } = {},
  ) {
    this.#file = file;
    this.#serialise = serialise;
    this.#delayMs = options.delayMs ?? 50;
    this.#onError = options.onError ?? ((err) => process.emitWarning(err.message, 'EmulatorPersistWarning'));
  }

  /** Notes a change; the file is rewritten within about `delayMs`. */
  schedule(): void {
    this.#dirty = true;
    if (this.#timer || this.#writing) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#write();
    }, this.#delayMs);
  }

  /** Writes any pending change now and waits for it; throws if that write fails. */
  async flush(): Promise<void> {
    for (;;) {
      if (this.#timer) {
        clearTimeout(this.#timer);
        this.#timer = undefined;
      }
      if (this.#writing) {
        await this.#writing;
        continue;
      }
      if (!this.#dirty) return;
      await this.#write();
      if (this.#lastError) throw this.#lastError;
    }
  }

  async #write(): Promise<void> {
    this.#dirty = false;
    this.#lastError = undefined;
    const text = this.#serialise();
    this.#writing = writeFileAtomic(this.#file, text).catch((err: unknown) => {
      this.#lastError = err instanceof Error ? err : new Error(String(err));
      this.#dirty = true; // not on disk: the next change or flush tries again
      this.#onError(new Error(`cannot write emulator data file ${this.#file}: ${this.#lastError.message}`));
    });
    await this.#writing;
    this.#writing = undefined;
    if (this.#dirty && !this.#lastError) this.schedule();
  }
}
