import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { inspectMaterial, type MaterialValue } from '../../src/material/index.js';
import { aValue, b64, der, fixture, fixture64, keyPair, NOW, pem, STORE_PASSWORD } from './support.js';

const WRONG_PASSWORD = 'wrong-Password-4471';

/** One value of every case the other tests cover, bad ones included. */
function everyCase(): MaterialValue[] {
  const { privateKey, publicKey } = keyPair('rsa2048');
  const other = keyPair('p256');
  const legacyPair = (priv: string, pub: string): MaterialValue[] => {
    const a = aValue({ role: 'key-pair-private', form: 'legacy', base64: priv });
    const b = aValue({ role: 'key-pair-public', form: 'legacy', base64: pub });
    a.pairWith = b;
    return [a, b];
  };
  const store = (name: string, type: string, password: string, alias?: string) =>
    aValue({ role: 'keystore', base64: fixture64(name), keystore: { type, password, alias } });
  const encrypted = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pp-9931' });
  return [
    aValue({ role: 'private-key', base64: b64(pem(privateKey)) }),
    aValue({ role: 'private-key', base64: b64(pem(publicKey)) }),
    aValue({ role: 'public-key', base64: b64(pem(privateKey)) }),
    aValue({ role: 'private-key', base64: der(privateKey).toString('base64') }),
    aValue({ role: 'private-key', base64: b64(pem(privateKey).slice(0, 500)) }),
    aValue({ role: 'private-key', base64: b64(encrypted) }),
    aValue({ role: 'private-key', base64: b64(pem(keyPair('rsa1024').privateKey)) }),
    aValue({ role: 'private-key', base64: b64(pem(keyPair('secp256k1').privateKey)) }),
    aValue({ role: 'public-key', base64: fixture64('expired.crt.pem') }),
    aValue({ role: 'public-key', base64: fixture64('future.crt.pem') }),
    aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(Buffer.from('0123456789abcdef0123')) }),
    aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(pem(privateKey)) }),
    ...legacyPair(b64(pem(privateKey)), b64(pem(other.publicKey))),
    ...legacyPair(der(privateKey).toString('base64'), der(keyPair('rsa2048b').publicKey).toString('base64')),
    ...legacyPair(b64('garbage private'), b64('-----BEGIN PUBLIC KEY-----\nZ2FyYmFnZQ==\n-----END PUBLIC KEY-----')),
    store('store.p12', 'PKCS12', WRONG_PASSWORD),
    store('store.jks', 'JKS', WRONG_PASSWORD),
    store('store.jks', 'JKS', STORE_PASSWORD, 'missing-alias'),
    store('store.jks', 'PKCS12', STORE_PASSWORD),
    store('store-expired.p12', 'PKCS12', STORE_PASSWORD),
    store('store-expired.jks', 'JKS', STORE_PASSWORD),
    store('leaf.key.pem', 'PKCS12', STORE_PASSWORD),
    aValue({ role: 'keystore', form: 'legacy', base64: fixture64('leaf.key.pem') }),
    aValue({
      role: 'keystore',
      base64: fixture(`store.p12`).subarray(0, 1200).toString('base64'),
      keystore: { type: 'PKCS12', password: STORE_PASSWORD },
    }),
  ];
}

/** Every form in which a value's secret could show: its base64, its bytes as text and hex, its hashes. */
function secretForms(value: MaterialValue): string[] {
  const bytes = Buffer.from(value.value.reveal(), 'base64');
  const text = bytes.toString('latin1');
  const forms = [value.value.reveal(), bytes.toString('hex')];
  // Text material (a PEM body, a printable secret key): the text itself. Binary stores are left
  // out of this form because they hold certificate subjects and aliases in clear, which are public.
  if (/^[\x20-\x7e\s]*$/.test(text)) forms.push(text.replace(/-----[A-Z ]+-----|\s/g, ''));
  for (const algorithm of ['sha1', 'sha256']) {
    const hash = createHash(algorithm).update(bytes).digest();
    forms.push(hash.toString('hex'), hash.toString('hex').match(/../g)!.join(':'), hash.toString('base64'));
  }
  // Any 16-character window of each form: a message quoting part of a value counts as a leak.
  const windows = new Set<string>();
  for (const form of forms) {
    for (let i = 0; i + 16 <= form.length; i += 4) windows.add(form.slice(i, i + 16).toLowerCase());
  }
  return [...windows];
}

describe('no finding shows secret material', () => {
  it('reports every bad case and quotes none of its material, password or hash', () => {
    const values = everyCase();
    const report = inspectMaterial(values, { now: NOW, expiryWarnDays: 30, cache: false });
    // The cases do produce findings (a leak test of silence would prove nothing).
    expect(new Set(report.findings.map((f) => f.code)).size).toBeGreaterThanOrEqual(15);
    const output = JSON.stringify(report).toLowerCase();
    for (const password of [STORE_PASSWORD, WRONG_PASSWORD, 'pp-9931'])
      expect(output).not.toContain(password.toLowerCase());
    const outputWindows = new Set<string>();
    for (let i = 0; i + 16 <= output.length; i += 1) outputWindows.add(output.slice(i, i + 16));
    for (const value of values) {
      for (const window of secretForms(value)) {
        if (outputWindows.has(window))
          throw new Error(`a finding quotes material of the value at line ${value.location.line}`);
      }
    }
  });
});
