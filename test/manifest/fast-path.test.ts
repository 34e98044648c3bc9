import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';

const examples = fileURLToPath(new URL('../../examples/manifests', import.meta.url));

function yamlFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) return yamlFiles(p);
    return /\.ya?ml$/.test(e) ? [p] : [];
  });
}

/** What both parsers must agree on: each document's index, value and start. */
function shape(text: string, fast: boolean) {
  const r = parseManifestText(text, 'f.yaml', { fast });
  return {
    fast: r.fast,
    diagnostics: r.diagnostics,
    documents: r.documents.map((d) => ({
      index: d.index,
      value: d.value,
      start: d.start,
      key: d.locate(['metadata', 'name']),
    })),
  };
}

const plainTexts: Record<string, string> = {
  'one document': 'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: a\n',
  'comments and separators':
    '# head\n\n---\n# c\napiVersion: v1\nkind: Key\nmetadata: {name: a}\n---\n--- \n\n  kind: X\n  metadata:\n    name: b\n--- {a: 1}\n...\n---\n"x": 1\n',
  'CRLF line ends': 'kind: Key\r\nmetadata:\r\n  name: crlf\r\n---\r\nkind: Keystore\r\nmetadata:\r\n  name: two\r\n',
  'flow mappings and folded base64':
    'kind: Key\nmetadata: { name: k, project: P }\nspec:\n  environments:\n    - name: production\n      publicKey: >-\n        QUJD\n        REVG\n',
};

describe('the fast parse path', () => {
  it.each(Object.entries(plainTexts))('reads %s exactly as the full parser does', (_name, text) => {
    const fast = shape(text, true);
    const full = shape(text, false);
    expect(fast.fast).toBe(true);
    expect(full.fast).toBe(false);
    expect(fast.documents).toEqual(full.documents);
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it('reads every example manifest exactly as the full parser does', () => {
    const files = yamlFiles(examples);
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) {
      const text = readFileSync(f, 'utf8');
      expect(shape(text, true).documents, f).toEqual(shape(text, false).documents);
    }
  });

  it.each([
    ['an anchor and alias', 'a: &x 1\nb: *x\n'],
    ['a tag', 'a: !!str 1\n'],
    ['a custom tag at a line start', '!custom\na: 1\n'],
    ['a tab', 'a:\n\tb: 1\n'],
    ['an explicit key', '? a\n: 1\n'],
    ['a flow sequence as a key', '[name]: x\n'],
    ['a flow mapping as a key', '{a: 1}: x\n'],
    ['text js-yaml rejects', 'a: [1, 2\n'],
    ['a duplicate key', 'a: 1\na: 2\n'],
  ])('leaves %s to the full parser', (_name, text) => {
    expect(parseManifestText(text, 'f.yaml').fast).toBe(false);
  });
});
