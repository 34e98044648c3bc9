// Diagnostics at scale (issue 22): many alike findings are grouped in text output, the first few
// in full and in their places, then one line with how many more; JSON output keeps every one.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Diagnostic,
  GROUP_LIMIT,
  GROUP_SHOWN,
  groupDiagnostics,
  formatDiagnosticLines,
} from '../src/diagnostics.js';
import { runCliHere } from './support/cli.js';
import { tempTree } from './support/tmp.js';

const at = (line: number, over: Partial<Diagnostic> = {}): Diagnostic => ({
  code: 'material-unrecognised',
  severity: 'warning',
  message: 'this publicKey could not be read',
  file: 'keys/a.yaml',
  line,
  column: 7,
  path: 'spec.environments[0].publicKey',
  ...over,
});

describe('groupDiagnostics', () => {
  it('prints a group of GROUP_LIMIT alike in full', () => {
    const ds = Array.from({ length: GROUP_LIMIT }, (_, i) => at(i + 1));
    expect(groupDiagnostics(ds)).toEqual(ds.map((d) => ({ diagnostic: d })));
  });

  it('keeps the first GROUP_SHOWN of a larger group in place and counts the rest', () => {
    const many = Array.from({ length: 40 }, (_, i) => at(2 * i + 1));
    const other = at(4, { code: 'schema', severity: 'error', message: 'must be a string' });
    const lines = groupDiagnostics([many[0]!, many[1]!, other, ...many.slice(2)]);
    expect(lines.filter((l) => 'diagnostic' in l)).toHaveLength(GROUP_SHOWN + 1);
    expect(lines[2]).toEqual({ diagnostic: other }); // order kept
    const more = lines.findIndex((l) => 'more' in l);
    expect(more).toBe(GROUP_SHOWN + 1); // right after the last one shown
    expect(lines[more]).toEqual({ more: 40 - GROUP_SHOWN, like: many[GROUP_SHOWN - 1] });
    expect(lines).toHaveLength(GROUP_SHOWN + 2);
  });

  it('keeps groups apart by severity, code and message', () => {
    const a = Array.from({ length: 12 }, (_, i) => at(i + 1));
    const b = Array.from({ length: 12 }, (_, i) => at(i + 1, { message: 'this privateKey could not be read' }));
    const c = Array.from({ length: 12 }, (_, i) => at(i + 1, { severity: 'error' }));
    const text = formatDiagnosticLines([...a, ...b, ...c]).join('\n');
    expect(text.match(/and 7 more like this/g)).toHaveLength(3);
    expect(text).toContain('and 7 more like this: warning: this privateKey could not be read [material-unrecognised]');
    expect(text).toContain('and 7 more like this: this publicKey could not be read [material-unrecognised]');
  });
});

describe('validate with many alike findings', () => {
  it('groups them in text, lists all in JSON, and counts all in the summary', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 30; i += 1) {
      files[`k${String(i).padStart(2, '0')}.yaml`] =
        `apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: k${i}\n  project: P\nspec:\n  keyType: RSA\n` +
        `  environments:\n    - name: production\n      publicKey: ${Buffer.from(`not a key ${i}`).toString('base64')}\n`;
    }
    const dir = tempTree(files);
    const text = await runCliHere(['validate', dir]);
    expect(text.code).toBe(0);
    const shown = text.stdout.split('\n').filter((l) => l.includes('[material-unrecognised]') && /:\d+:\d+ /.test(l));
    expect(shown).toHaveLength(GROUP_SHOWN);
    expect(shown[0]).toMatch(/k00\.yaml:10:7 warning:/);
    expect(text.stdout).toContain(`and ${30 - GROUP_SHOWN} more like this: warning:`);
    expect(text.stdout.trim().split('\n').pop()).toBe('30 files, 30 resources: valid (30 warnings)');
    const json = await runCliHere(['validate', dir, '--format', 'json']);
    const doc = JSON.parse(json.stdout) as { diagnostics: Diagnostic[] };
    expect(doc.diagnostics).toHaveLength(30);
    expect(new Set(doc.diagnostics.map((d) => d.file)).size).toBe(30);
    writeFileSync(join(dir, 'k00.yaml'), ''); // an empty file is no finding
    const fewer = await runCliHere(['validate', dir]);
    expect(fewer.stdout).toContain(`and ${29 - GROUP_SHOWN} more like this`);
  });
});
