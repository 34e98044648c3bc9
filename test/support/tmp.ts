import { mkdtempSync, mkdirSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach } from 'vitest';

/**
 * A temporary directory removed after the current test. `files` maps relative paths to contents
 * (string or bytes); folders are made as needed. Returns the directory's real path.
 */
export function tempTree(files: Record<string, string | Uint8Array> = {}): string {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'agitops-')));
  for (const [rel, content] of Object.entries(files)) {
    const full = join(dir, rel);
    mkdirSync(dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
