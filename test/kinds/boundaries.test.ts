// The layering rules of docs/architecture.md, checked over the source text (issue 19, item 6):
// lower layers never import higher ones, the core defines the port the API implements, every
// file says what it is for, and the small helpers exist once. A rule broken by a later change
// fails here with the file that broke it.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = fileURLToPath(new URL('../../src', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    return e.endsWith('.ts') ? [p] : [];
  });
}

const files = sourceFiles(SRC).map((p) => ({
  path: relative(SRC, p).replace(/\\/g, '/'),
  text: readFileSync(p, 'utf8'),
}));

/** The module specifiers a file imports or re-exports from. */
function importsOf(text: string): string[] {
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/g)].map((m) => m[1] ?? '');
}

describe('layers', () => {
  it('has files to check', () => {
    expect(files.length).toBeGreaterThan(80);
  });

  it.each(['api', 'reconcile', 'manifest', 'material', 'kinds', 'export', 'emulator'])(
    'src/%s imports nothing from src/cli',
    (layer) => {
      const offenders = files
        .filter((f) => f.path.startsWith(`${layer}/`))
        .filter((f) => importsOf(f.text).some((m) => /(^|\/)cli\//.test(m)))
        .map((f) => f.path);
      expect(offenders).toEqual([]);
    },
  );

  it('defines the ResourceActions port in the core; src/api only implements it', () => {
    const declaring = files.filter((f) => /\binterface ResourceActions\b/.test(f.text)).map((f) => f.path);
    expect(declaring).toEqual(['reconcile/actions.ts']);
    const core = files.filter((f) => /^(reconcile|watch)\//.test(f.path));
    const viaApi = core.filter((f) => /import[^;]*\bResourceActions\b[^;]*from '\.\.\/api\//.test(f.text));
    expect(viaApi.map((f) => f.path)).toEqual([]);
  });
});

describe('files and helpers', () => {
  it('opens every source file with a header comment (after a shebang)', () => {
    const bare = files
      .filter((f) => !/^(#![^\n]*\n)?(\/\/|\/\*)/.test(f.text))
      .map((f) => f.path)
      .sort();
    expect(bare).toEqual([]);
  });

  it.each(['isRecord', 'plural'])('defines %s once', (name) => {
    const defining = files
      .filter((f) => new RegExp(`(function ${name}\\(|const ${name} = )`).test(f.text))
      .map((f) => f.path);
    expect(defining).toEqual(['text.ts']);
  });

  it('names no kind in the material-values mapping (roles come from each kind)', () => {
    const text = files.find((f) => f.path === 'manifest/material-values.ts')?.text ?? '';
    expect(text).not.toMatch(/'Key'|'Keystore'|publicKey|privateKey/);
  });
});
