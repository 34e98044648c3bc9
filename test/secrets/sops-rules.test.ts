// The rules sops writes into a file's metadata decide which values are encrypted, and the MAC mode
// decides what a hand edit breaks (SPEC §2d): each rule through the encoder and back through the
// decoder, with the plain parts edited by hand.
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { decryptSopsDocuments, sopsMetadataOf } from '../../src/secrets/sops/decode.js';
import { encryptSopsYaml, type EncryptOptions } from '../../src/secrets/sops/encode.js';
import { unwrapDataKey } from '../../src/secrets/sops/keys.js';
import { parseIdentities } from '../../src/secrets/age.js';
import { IDENTITY, RECIPIENT } from './support.js';

const DOC = {
  name: 'a',
  password: 'p1',
  token_unencrypted: 't1',
  nested: { secret_enc: 's1', note: 'n1', list: ['x', 'y'] },
  count: 3,
  ratio: 1.5,
  on: true,
};

async function roundTrip(options: Omit<EncryptOptions, 'recipients'>, edit: (t: string) => string = (t) => t) {
  const text = edit(await encryptSopsYaml([DOC], { recipients: [RECIPIENT], ...options }));
  const parsed = parseManifestText(text, 'f.yaml');
  const meta = sopsMetadataOf(parsed.documents)!;
  const key = await unwrapDataKey(meta, { keys: await parseIdentities(IDENTITY), sources: [], problems: [] });
  if (!key.ok) throw new Error(key.message);
  return { text, result: decryptSopsDocuments(text, parsed.documents, meta, key.key) };
}

function encryptedPaths(r: Awaited<ReturnType<typeof roundTrip>>): string[] {
  if (!('documents' in r.result)) throw new Error(r.result.message);
  expect(r.result.documents[0]?.value).toEqual(DOC);
  return [...(r.result.encrypted[0] ?? [])].sort();
}

describe('sops rules and MAC modes', () => {
  it('default rule of sops (no rule named): everything but keys ending in _unencrypted', async () => {
    const r = await roundTrip({ rule: { unencryptedSuffix: '_unencrypted' } });
    expect(encryptedPaths(r)).toEqual(
      [
        'count',
        'name',
        'nested.list[0]',
        'nested.list[1]',
        'nested.note',
        'nested.secret_enc',
        'on',
        'password',
        'ratio',
      ].sort(),
    );
    expect(r.text).toContain('token_unencrypted: t1');
  });

  it('encrypted_suffix, unencrypted_regex and encrypted_regex', async () => {
    expect(encryptedPaths(await roundTrip({ rule: { encryptedSuffix: '_enc' } }))).toEqual(['nested.secret_enc']);
    expect(encryptedPaths(await roundTrip({ rule: { unencryptedRegex: '^(name|nested)$' } }))).toEqual(
      ['count', 'on', 'password', 'ratio', 'token_unencrypted'].sort(),
    );
    // A regex on a mapping's key encrypts everything under it (sops tests every key of the path).
    expect(encryptedPaths(await roundTrip({ encryptedRegex: '^(password|nested)$' }))).toEqual(
      ['nested.list[0]', 'nested.list[1]', 'nested.note', 'nested.secret_enc', 'password'].sort(),
    );
  });

  it('a plain value edited by hand breaks the MAC, unless mac_only_encrypted', async () => {
    const edit = (t: string) => t.replace('name: a', 'name: b');
    const strict = await roundTrip({ encryptedRegex: '^password$' }, edit);
    expect(strict.result).toMatchObject({ kind: 'tampered', path: ['sops', 'mac'] });
    const loose = await roundTrip({ encryptedRegex: '^password$', macOnlyEncrypted: true }, edit);
    expect(loose.text).toContain('mac_only_encrypted: true');
    expect(loose.result).toHaveProperty('documents');
    if ('documents' in loose.result)
      expect(loose.result.documents[0]?.value).toMatchObject({ name: 'b', password: 'p1' });
    // The encrypted values stay covered in that mode.
    const swapped = await roundTrip({ encryptedRegex: '^(password|name)$', macOnlyEncrypted: true }, (t) =>
      t.replace(/name: (ENC\[[^\n]+)\n/, 'name: ""\n'),
    );
    expect(swapped.result).toMatchObject({ kind: 'tampered' });
  });

  it('the MAC modes differ even over the same values (the mac_only_encrypted seed)', async () => {
    const both = await roundTrip({ rule: { unencryptedSuffix: '_unencrypted' }, macOnlyEncrypted: true });
    expect(both.result).toHaveProperty('documents');
    const dropped = await roundTrip({ rule: { unencryptedSuffix: '_unencrypted' }, macOnlyEncrypted: true }, (t) =>
      t.replace('    mac_only_encrypted: true\n', '').replace('  mac_only_encrypted: true\n', ''),
    );
    expect(dropped.text).not.toContain('mac_only_encrypted');
    expect(dropped.result).toMatchObject({ kind: 'tampered', path: ['sops', 'mac'] });
  });

  it('keeps sops order for keys that look like array indexes (a plain object would move them first)', async () => {
    const doc = new Map<string, unknown>([
      ['b', 'first'],
      ['10', 'second'],
      [
        '2',
        new Map([
          ['z', 'third'],
          ['1', 'fourth'],
        ]),
      ],
    ]);
    const text = await encryptSopsYaml([doc], { recipients: [RECIPIENT], rule: { unencryptedSuffix: '_unencrypted' } });
    expect(text.indexOf('b: ENC')).toBeLessThan(text.indexOf('"10": ENC'));
    const parsed = parseManifestText(text, 'f.yaml');
    const meta = sopsMetadataOf(parsed.documents)!;
    const key = await unwrapDataKey(meta, { keys: await parseIdentities(IDENTITY), sources: [], problems: [] });
    if (!key.ok) throw new Error(key.message);
    const result = decryptSopsDocuments(text, parsed.documents, meta, key.key);
    if (!('documents' in result)) throw new Error(result.message);
    expect(result.documents[0]?.value).toEqual({ b: 'first', 10: 'second', 2: { z: 'third', 1: 'fourth' } });
  });
});
