import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { KEY } from './fixtures.js';

describe('parseManifestText', () => {
  it('returns each non-empty document with the position of its first key', () => {
    // A comment before the first --- belongs to the first document; a comment-only document counts as empty.
    const text = `# leading comment\n---\n${KEY}---\n# only a comment\n---\n\n${KEY}`;
    const r = parseManifestText(text, 'k.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.documents.map((d) => [d.index, d.start])).toEqual([
      [0, { line: 3, column: 1 }],
      [2, { line: 17, column: 1 }],
    ]);
    expect(r.documents[0]!.value).toMatchObject({ kind: 'Key', metadata: { name: 'payments-signing' } });
  });

  it('accepts an empty file, a comment-only file, and empty documents', () => {
    for (const text of ['', '\n\n', '# nothing here\n', '---\n---\n', '~\n']) {
      expect(parseManifestText(text, 'e.yaml')).toMatchObject({ documents: [], diagnostics: [] });
    }
  });

  it('reads a byte order mark and CRLF line ends as if they were not there', () => {
    const plain = parseManifestText(KEY, 'k.yaml').documents[0]!;
    const crlf = parseManifestText(`\uFEFF${KEY.replace(/\n/g, '\r\n')}`, 'k.yaml').documents[0]!;
    expect(crlf.value).toEqual(plain.value);
    expect(crlf.start).toEqual({ line: 1, column: 1 });
    expect(crlf.locate(['spec', 'environments', 0, 'publicKey'])).toEqual({ line: 10, column: 7 });
  });

  it('locates a field by its key, a list item by its first key, and a mapping by its first line', () => {
    const doc = parseManifestText(KEY, 'k.yaml').documents[0]!;
    expect(doc.locate(['spec'])).toEqual({ line: 6, column: 1 });
    expect(doc.locate(['spec'], 'node')).toEqual({ line: 7, column: 3 });
    expect(doc.locate(['spec', 'environments', 0])).toEqual({ line: 9, column: 7 });
    expect(doc.locate(['spec', 'environments', 0, 'name'])).toEqual({ line: 9, column: 7 });
    expect(doc.locate(['metadata', 'name'])).toEqual({ line: 4, column: 3 });
    // A path that leads nowhere stops at the nearest node on the way.
    expect(doc.locate(['spec', 'environments', 5, 'name'])).toEqual({ line: 9, column: 5 });
    expect(doc.locate(['nothing'])).toEqual({ line: 1, column: 1 });
  });

  it('locates fields inside flow mappings', () => {
    const doc = parseManifestText('a: { b: 1, c: { d: 2 } }\n', 'f.yaml').documents[0]!;
    expect(doc.locate(['a', 'c', 'd'])).toEqual({ line: 1, column: 17 });
  });

  it('keeps documents after a broken one', () => {
    const r = parseManifestText(`a: [1\n---\n${KEY}`, 'k.yaml');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['yaml-syntax']);
    expect(r.documents).toHaveLength(1);
    expect(r.documents[0]!.start.line).toBe(3);
  });

  it('allows a few aliases but refuses an alias bomb', () => {
    const ok = parseManifestText('a: &x QUJD\nb: *x\nc: *x\n', 'a.yaml');
    expect(ok.diagnostics).toEqual([]);
    expect(ok.documents[0]!.value).toEqual({ a: 'QUJD', b: 'QUJD', c: 'QUJD' });
    const bomb = parseManifestText('a: &a [1, 1]\nb: &b [*a, *a]\nc: [*b, *b, *b]\n', 'b.yaml', { maxAliasCount: 3 });
    expect(bomb.diagnostics.map((d) => d.code)).toEqual(['yaml-alias']);
  });

  it('reports an alias to an anchor that does not exist', () => {
    const r = parseManifestText('a: *nowhere\n', 'a.yaml');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['yaml-syntax', 1, 4]]);
  });

  it('accepts the core YAML tags, refuses others', () => {
    expect(parseManifestText('a: !!str 123\nb: !!int "5"\n', 't.yaml').diagnostics).toEqual([]);
    const r = parseManifestText('a: !!binary QUJD\nb: !!set {x}\nc: !Ref x\n', 't.yaml');
    expect(r.diagnostics.map((d) => [d.code, d.line])).toEqual([
      ['yaml-tag', 1],
      ['yaml-tag', 2],
      ['yaml-tag', 3],
    ]);
    expect(r.diagnostics[0]!.message).toContain('!!binary');
  });

  it('never quotes the source line in a syntax error (it may hold a secret)', () => {
    const r = parseManifestText('privateKey: "U0VDUkVULUtFWS1NQVRFUklBTA==\nnext: [\n', 's.yaml');
    expect(r.diagnostics.length).toBeGreaterThan(0);
    for (const d of r.diagnostics) expect(d.message).not.toContain('U0VDUkVU');
  });

  it('reports a tab used for indentation once, at the tab', () => {
    const r = parseManifestText('a:\n  b: 1\n  \tc: 2\n', 't.yaml');
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([['yaml-tab', 3, 3]]);
  });

  it('accepts a tab that separates a value (not indentation)', () => {
    const r = parseManifestText('a:\t1\nb: x\t# comment\n', 't.yaml');
    expect(r.diagnostics).toEqual([]);
    expect(r.documents[0]!.value).toEqual({ a: 1, b: 'x' });
  });
});
