// The SOPS format layer against files written by the real sops (3.5 to 3.13): every MAC verifies,
// every value decrypts, and one changed byte anywhere that matters is refused. The data keys are
// given (fixtures/README.md): these files are wrapped for PGP only, which this tool leaves to sops.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { decryptValue } from '../../src/secrets/sops/cipher.js';
import { decryptSopsDocuments, sopsMetadataOf, type DecryptedFile } from '../../src/secrets/sops/decode.js';

const DIR = join(import.meta.dirname, 'fixtures', 'sops-real');
const FILES = ['format.enc.yaml', 'format.enc.json', 'comments.enc.yaml', 'example.yaml', 'example.json'];

function load(name: string, text = readFileSync(join(DIR, name), 'utf8')) {
  const key = Buffer.from(readFileSync(join(DIR, `${name}.datakey.hex`), 'utf8').trim(), 'hex');
  const parsed = parseManifestText(text, name, { fast: true });
  expect(parsed.diagnostics).toEqual([]);
  const meta = sopsMetadataOf(parsed.documents);
  if (!meta) throw new Error(`${name}: no sops metadata found`);
  return decryptSopsDocuments(text, parsed.documents, meta, key);
}

function ok(result: ReturnType<typeof load>): DecryptedFile {
  if (!('documents' in result)) throw new Error(`refused: ${result.message}`);
  return result;
}

describe('files written by the real sops', () => {
  it.each(FILES)('%s: the MAC verifies and every value decrypts', (name) => {
    const file = ok(load(name));
    const encryptedValues = readFileSync(join(DIR, name), 'utf8').match(/[^#]ENC\[AES256_GCM/g)?.length ?? 0;
    // The MAC is the metadata's own ENC value; every other one is a value that now reads in plain.
    // sops writes an encrypted empty string as "" (example.json's anEmptyValue): a leaf all the same.
    const empty = name === 'example.json' ? 1 : 0;
    expect(file.encrypted.reduce((n, s) => n + s.size, 0)).toBe(encryptedValues - 1 + empty);
    const text = JSON.stringify(file.documents.map((d) => d.value));
    expect(text).not.toContain('ENC[AES256_GCM');
    expect(text).not.toContain('"sops"');
  });

  it('decrypts to the values sops documents for its examples', () => {
    expect(ok(load('format.enc.yaml')).documents[0]?.value).toEqual({ foo: 'bar' });
    expect(ok(load('format.enc.json')).documents[0]?.value).toEqual({ foo: 'bar' });
    expect(ok(load('comments.enc.yaml')).documents[0]?.value).toEqual({ lorem: 'ipsum', dolor: 'sit' });
    const example = ok(load('example.yaml')).documents[0]?.value as Record<string, unknown>;
    expect(example.myapp1).toBe('t00m4nys3cr3tzupdated');
    expect(example.somelist_unencrypted).toEqual([
      'all elements of this list',
      'remain in clear text',
      'because of the _unencrypted suffix in the key',
    ]);
    const json = ok(load('example.json')).documents[0]?.value as Record<string, unknown>;
    expect(json.firstName).toBe('John');
    expect(typeof json.age).toBe('number');
  });

  it('decrypts the encrypted comments too (they are values sealed with their path)', () => {
    const text = readFileSync(join(DIR, 'comments.enc.yaml'), 'utf8');
    const comment = /^#(ENC\[[^\n]+\])$/m.exec(text)?.[1] ?? '';
    const key = Buffer.from(readFileSync(join(DIR, 'comments.enc.yaml.datakey.hex'), 'utf8').trim(), 'hex');
    const value = decryptValue(comment, key, ':');
    expect(value.type).toBe('comment');
  });

  it.each(FILES)('%s: refused after any one-byte change to an encrypted value or the MAC', (name) => {
    const text = readFileSync(join(DIR, name), 'utf8');
    const values = [...text.matchAll(/ENC\[AES256_GCM,data:([^,]+),/g)];
    expect(values.length).toBeGreaterThan(0);
    for (const m of values) {
      const at = (m.index ?? 0) + 'ENC[AES256_GCM,data:'.length;
      const flipped = text[at] === 'A' ? 'B' : 'A';
      const changed = text.slice(0, at) + flipped + text.slice(at + 1);
      const preceding = Math.max(0, text.lastIndexOf('\n', at));
      if (text.slice(preceding, at).includes('#')) continue; // a comment: sops ignores it too
      expect(() => ok(load(name, changed)), `byte ${at}`).toThrow(/refused/);
    }
  });

  it('refuses a plain value edited without sops (MAC), and a value moved to another field (AAD)', () => {
    const text = readFileSync(join(DIR, 'example.yaml'), 'utf8');
    const edited = text.replace('remain in clear text', 'remain in clear text!');
    expect(load('example.yaml', edited)).toMatchObject({ kind: 'tampered', path: ['sops', 'mac'] });
    const user = /user: (ENC\[[^\n]+\])/.exec(text)?.[1] ?? '';
    const password = /password: (ENC\[[^\n]+\])/.exec(text)?.[1] ?? '';
    const swapped = text.replace(`user: ${user}`, `user: ${password}`);
    expect(load('example.yaml', swapped)).toMatchObject({ kind: 'tampered', path: ['app2', 'db', 'user'] });
    const plain = text.replace(`user: ${user}`, 'user: admin');
    const refused = load('example.yaml', plain);
    expect(refused).toMatchObject({ kind: 'tampered', path: ['app2', 'db', 'user'] });
  });

  it('refuses a changed lastmodified (the MAC is sealed with it)', () => {
    const text = readFileSync(join(DIR, 'format.enc.yaml'), 'utf8').replace(
      '2026-05-22T20:16:23Z',
      '2026-05-22T20:16:24Z',
    );
    expect(load('format.enc.yaml', text)).toMatchObject({ kind: 'tampered', path: ['sops', 'mac'] });
  });
});
