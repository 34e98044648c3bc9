// Whatever text a file holds, the pure steps return diagnostics; they never throw. Inputs are
// random text and, more usefully, valid manifests with random YAML fragments spliced in.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { validateDocument } from '../../src/manifest/validate.js';
import { KEY, KEYSTORE } from './fixtures.js';

const FRAGMENTS = [
  '\n',
  ' ',
  '  ',
  '\t',
  '- ',
  ': ',
  '? ',
  '---\n',
  '...\n',
  '#',
  '&a ',
  '*a',
  '!!str ',
  '!x ',
  '[',
  ']',
  '{',
  '}',
  ',',
  '"',
  "'",
  '|',
  '>',
  '~',
  'null',
  '0x1F',
  '1e3',
  'true',
  'kind: Key\n',
  'spec:\n',
  'environments:\n',
  'name: x',
  'QUJD',
  '\\',
  '%YAML 1.2\n',
  '\r\n',
  '\uFEFF',
];

function check(text: string): void {
  const parsed = parseManifestText(text, 'f.yaml');
  for (const d of parsed.diagnostics) {
    expect(d.line).toBeGreaterThanOrEqual(1);
    expect(d.column).toBeGreaterThanOrEqual(1);
  }
  for (const doc of parsed.documents) {
    const r = validateDocument(doc, { defaultProject: 'P' });
    for (const d of r.diagnostics) {
      expect(d.line).toBeGreaterThanOrEqual(1);
      expect(d.message.length).toBeGreaterThan(0);
    }
    doc.locate(['spec', 'environments', 0, 'publicKey', 'fromFile']);
  }
}

describe('parse and validate never throw', () => {
  it('on random text', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => check(text)),
      { numRuns: 300 },
    );
  });

  it('on manifests with random YAML fragments spliced in', () => {
    const spliced = fc
      .tuple(
        fc.constantFrom(KEY, KEYSTORE),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(...FRAGMENTS)), { minLength: 1, maxLength: 6 }),
      )
      .map(([base, edits]) =>
        edits.reduce<string>((text, [at, frag]) => {
          const i = at % (text.length + 1);
          return text.slice(0, i) + frag + text.slice(i);
        }, base),
      );
    fc.assert(
      fc.property(spliced, (text) => check(text)),
      { numRuns: 500 },
    );
  });
});
