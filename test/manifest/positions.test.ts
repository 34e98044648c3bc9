// The js-yaml position index (positions.ts) must place every key and value exactly where `yaml`'s
// syntax tree does (the reference: the full parse path, parse.ts's locate with `fast` off), or say
// it does not know. Checked for every path of every document in the example manifests and in texts
// with the shapes manifests take: flow mappings, comments between key and value, block scalars,
// quoted values, empty documents, a document-end marker, CRLF line ends and non-ASCII text.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import jsyaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { fileLocator, parseManifestText, type PathSegments } from '../../src/manifest/parse.js';
import { indexPositions } from '../../src/manifest/positions.js';

const EXAMPLES = join(import.meta.dirname, '..', '..', 'examples', 'manifests');

function yamlFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => join(e.parentPath, e.name));
}

/** Every path into a value: keys of mappings, indexes of lists, and one path past a leaf. */
function paths(value: unknown, prefix: PathSegments = []): PathSegments[] {
  const out: PathSegments[] = [prefix];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])));
  else if (value !== null && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]));
  else out.push([...prefix, 'missing']);
  return out;
}

const SHAPES = [
  'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: a\n  project: P\nspec:\n  keyType: RSA\n  environments:\n    - name: production\n      publicKey: { fromFile: a.der }\n      privateKey: {fromEnv: A, encoding: base64}\n',
  '# leading comment\n---\nkind: Key\nmetadata:   # trailing comment\n  # a comment line\n  name: "quoted"\n  project: \'single\'\nspec:\n  description: >\n    folded\n    text\n  environments:\n  - name: test\n    publicKey:\n      LS0tLS1CRUdJTi\n---\n---\nkind: Keystore\nspec:\n  environments: [ { name: a, type: JKS }, {name: b} ]\n...\n',
  'kind: Key\r\nmetadata:\r\n  name: crlf\r\nspec:\r\n  description: "Schlüssel — ключ 🔑"\r\n  environments:\r\n    -   name: wide\r\n        content: |\r\n          -----BEGIN\r\n',
  'a:\n  b:\n    - - 1\n      - 2\n    -\n      c: 3\n  d: [x, [y, z], {e: f}]\n',
];

function compare(source: string): number {
  const parsed = parseManifestText(source, 'f.yaml');
  const index = indexPositions(source, jsyaml.CORE_SCHEMA);
  const reference = fileLocator(source, false);
  let checked = 0;
  for (const doc of parsed.documents) {
    const locate = reference(doc.index, doc.start);
    for (const path of paths(doc.value)) {
      for (const target of ['key', 'node'] as const) {
        const quick = index?.locate(doc.index, path, target);
        if (quick === undefined) continue; // not known there: the caller asks `yaml`
        expect({ path, target, at: quick }).toEqual({ path, target, at: locate(path, target) });
        checked += 1;
      }
    }
  }
  return checked;
}

describe('indexPositions', () => {
  it('places every path of the example manifests where yaml does', () => {
    let checked = 0;
    for (const file of yamlFiles(EXAMPLES)) checked += compare(readFileSync(file, 'utf8'));
    expect(checked).toBeGreaterThan(100);
  });

  it.each(SHAPES.map((s, i) => [i, s]))('places every path of shape %i where yaml does', (_, source) => {
    expect(compare(source)).toBeGreaterThan(10);
  });

  it('knows nothing of a document with an empty value rather than guess', () => {
    const index = indexPositions('a: 1\nb:\nc: 2\n', jsyaml.CORE_SCHEMA);
    expect(index?.locate(0, ['a'], 'key')).toBeUndefined();
  });

  it('knows nothing of text js-yaml rejects', () => {
    expect(indexPositions('a: [\n', jsyaml.CORE_SCHEMA)).toBeUndefined();
  });
});
