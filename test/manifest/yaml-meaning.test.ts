// One YAML meaning (issue 19, item 5): a manifest means the same whichever parser reads it. The
// fast path (js-yaml) and the full path (`yaml`) once read `+.5`, `0b101`, `-0x10`, `0o17` ...
// differently, so `description: +.5` validated until an unrelated anchor elsewhere in the file sent
// it to the full parser, where it failed as "must be a string". The property below generates
// scalars in every style and position and requires that whenever the fast path answers, it answers
// exactly what the full parser does (values, and no problem the full parser would report).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import { tempTree } from '../support/tmp.js';

/** Forms the two YAML schemas (1.1 and 1.2 core) and the two libraries have been seen to disagree on. */
const TRICKY = [
  '+.5',
  '-.5',
  '.5',
  '5.',
  '+5',
  '-0',
  '007',
  '0b101',
  '0o17',
  '0O17',
  '0x1F',
  '0X1f',
  '-0x10',
  '+0x10',
  '0xG',
  '1_000',
  '1_000.5',
  '1:30',
  '190:20:30',
  '.inf',
  '-.inf',
  '+.Inf',
  '.NaN',
  '.nan',
  'NaN',
  'Infinity',
  '1e3',
  '1E-3',
  '+1.5e+3',
  '.5e1',
  '1.e1',
  'e3',
  '=',
  '<<',
  '~',
  'null',
  'Null',
  'NULL',
  'nULL',
  'true',
  'True',
  'TRUE',
  'tRue',
  'yes',
  'Yes',
  'no',
  'on',
  'off',
  'y',
  'n',
  '2001-12-14',
  '2001-12-14t21:59:43.10-05:00',
  '2001-12-14 21:59:43.10 -5',
  '12:30:00',
  '0.',
  '-',
  '--',
  '+',
  '.',
  '..',
  '1..2',
  '1.2.3',
  '0x',
  '0o',
  '0b',
  '1__0',
  '_1',
  '1_',
  '9007199254740993',
  '1e400',
  '-1e400',
  '0e0',
];

/** Characters from which the odd remaining scalars are built. */
const CHARS = [...'0123456789+-._:=<~eExobXOBnaINfiltrusy #\'"\\/ '];

const plainToken = fc.oneof(
  fc.constantFrom(...TRICKY),
  fc.array(fc.constantFrom(...CHARS), { minLength: 1, maxLength: 8 }).map((c) => c.join('')),
);

/** A scalar written plain, single-quoted or double-quoted. */
const scalar = fc.tuple(plainToken, fc.constantFrom('plain', 'single', 'double')).map(([t, style]) => {
  if (style === 'single') return `'${t.replace(/'/g, "''")}'`;
  if (style === 'double') return JSON.stringify(t);
  return t;
});

/** A small document holding generated scalars as values, keys, list items and flow entries. */
const documentText = fc
  .tuple(scalar, scalar, scalar, scalar, fc.constantFrom('block', 'flow', 'list', 'key', 'folded', 'comment'))
  .map(([a, b, c, d, shape]) => {
    switch (shape) {
      case 'block':
        return `kind: Key\nspec:\n  description: ${a}\n  other: ${b}\n  deeper:\n    x: ${c}\n`;
      case 'flow':
        return `kind: Key\nspec: {description: ${a}, other: [${b}, ${c}]}\n`;
      case 'folded':
        return `kind: Key\nspec:\n  description: ${a}\n    ${b}\n  block: |\n    ${c}\n  folded: >-\n    ${d}\n`;
      case 'comment':
        return `kind: Key # ${a}\nspec: # ${b}\n  description: ${c} # ${d}\n`;
      case 'list':
        return `items:\n  - ${a}\n  - ${b}\n  - [${c}, ${d}]\n`;
      default:
        return `${a}: 1\nnested:\n  ${b}: ${c}\n`;
    }
  });

describe('one YAML meaning for both parsers', () => {
  it('gives every generated scalar, in every style and position, the full parser meaning on the fast path', () => {
    let fastRuns = 0;
    fc.assert(
      fc.property(documentText, (text) => {
        const fast = parseManifestText(text, 'f.yaml', { fast: true });
        const full = parseManifestText(text, 'f.yaml', { fast: false });
        if (!fast.fast) return; // left to the full parser: nothing to compare
        fastRuns += 1;
        expect(full.diagnostics, text).toEqual([]);
        expect(
          fast.documents.map((d) => d.value),
          text,
        ).toEqual(full.documents.map((d) => d.value));
      }),
      { numRuns: Number(process.env.YAML_RUNS ?? 3000) },
    );
    // The property says nothing if the fast path never answers: most texts must still take it.
    expect(fastRuns).toBeGreaterThan(1000);
  });

  it.each(TRICKY)('reads the value %s as the full parser does', (token) => {
    const text = `kind: Key\nspec:\n  description: ${token}\n  list: [${token}]\n`;
    const fast = parseManifestText(text, 'f.yaml', { fast: true });
    const full = parseManifestText(text, 'f.yaml', { fast: false });
    expect(fast.documents.map((d) => d.value)).toEqual(full.documents.map((d) => d.value));
    expect(fast.diagnostics).toEqual(full.diagnostics);
  });

  it('gives `description: +.5` one verdict with or without an unrelated anchor in the file', async () => {
    const key = (name: string, comment: string) =>
      `apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: ${name}\n  project: P\n${comment}` +
      'spec:\n  description: +.5\n  keyType: RSA\n  environments:\n    - name: production\n      publicKey: QUJD\n';
    const verdict = async (text: string) => {
      const dir = tempTree({ 'm/key.yaml': text });
      const r = await loadManifests(['m'], { cwd: dir, env: {} });
      return r.diagnostics.map((d) => `${d.line}:${d.column} ${d.path} ${d.code}`);
    };
    const plain = await verdict(key('k', ''));
    // YAML 1.2 reads +.5 as a number, whichever parser reads the file.
    expect(plain).toEqual(['7:3 spec.description schema']);
    expect(await verdict(key('&n k', ''))).toEqual(plain);
    expect(await verdict(key('k', '# &x an anchor in a comment\n'))).toEqual(['8:3 spec.description schema']);
  });
});
