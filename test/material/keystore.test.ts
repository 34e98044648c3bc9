import { describe, expect, it } from 'vitest';
import { inspectMaterial, type MaterialValue } from '../../src/material/index.js';
import { loadForge, withPasswordBytes } from '../../src/material/forge.js';
import { detectKeystoreFormat, openKeystore } from '../../src/material/keystore.js';
import { aValue, b64, fixture, fixture64, NOW, STORE_PASSWORD, type KeystoreInput } from './support.js';

const options = { now: NOW, expiryWarnDays: 30, cache: false as const };

function store(
  name: string,
  keystore: KeystoreInput | undefined,
  form: 'current' | 'legacy' = 'current',
): MaterialValue {
  return aValue({
    role: 'keystore',
    form,
    base64: fixture64(name),
    keystore,
    context: {
      project: 'Payments',
      kind: 'Keystore',
      name: 'partner-mtls',
      environment: 'production',
    },
  });
}

function codes(values: MaterialValue[]): string[] {
  return inspectMaterial(values, options).findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`);
}

describe('keystore format detection', () => {
  it('tells JKS, PKCS12 and other bytes apart from their first bytes', () => {
    expect(detectKeystoreFormat(fixture('store.jks'))).toBe('JKS');
    for (const name of ['store.p12', 'store-3des.p12', 'store-ec.p12', 'store-keytool.p12']) {
      expect(detectKeystoreFormat(fixture(name))).toBe('PKCS12');
    }
    expect(detectKeystoreFormat(fixture('leaf.crt.der'))).toBeUndefined(); // a SEQUENCE, but not version 3
    expect(detectKeystoreFormat(fixture('leaf.crt.pem'))).toBeUndefined();
    expect(detectKeystoreFormat(Buffer.from('cececece00000002', 'hex'))).toBe('JCEKS');
    expect(detectKeystoreFormat(Buffer.alloc(0))).toBeUndefined();
  });
});

describe('current-form keystores (with a password)', () => {
  it('opens every fixture store with its password, as its type, with its alias', () => {
    const values = [
      store('store.p12', { type: 'PKCS12', password: STORE_PASSWORD, alias: 'partner' }),
      store('store-3des.p12', { type: 'pkcs12', password: STORE_PASSWORD, alias: 'PARTNER' }),
      store('store-ec.p12', { type: 'PKCS12', password: STORE_PASSWORD, alias: 'ec-partner' }),
      store('store-keytool.p12', { type: 'PKCS12', password: STORE_PASSWORD, alias: 'gateway' }),
      store('store.jks', { type: 'JKS', password: STORE_PASSWORD, alias: 'partner' }),
      store('store.jks', { type: 'JKS', password: STORE_PASSWORD }),
    ];
    const report = inspectMaterial(values, options);
    expect(report.findings).toEqual([]);
    // Subjects in the certificate's own (DER) order, as openssl prints them: keytool stores O first.
    expect(report.certificates.map((c) => [c.alias, c.subject])).toEqual([
      ['partner', 'CN=partner.example.com, O=Fixture Partner'],
      ['partner', 'CN=partner.example.com, O=Fixture Partner'],
      ['ec-partner', 'CN=ec.example.com, O=Fixture Partner'],
      ['gateway', 'O=Fixture Java, CN=gateway.example.com'],
      ['partner-ca', 'CN=partner.example.com, O=Fixture Partner'],
      ['partner', 'O=Fixture Java, CN=jks.example.com'],
      ['partner-ca', 'CN=partner.example.com, O=Fixture Partner'],
      ['partner', 'O=Fixture Java, CN=jks.example.com'],
    ]);
    expect(report.certificates[0]).toMatchObject({
      serial: '1000',
      notBefore: new Date('2025-01-01T00:00:00Z'),
      notAfter: new Date('2125-01-01T00:00:00Z'),
      context: values[0]?.context,
      location: values[0]?.location,
    });
  });

  it('makes a wrong password an error for PKCS12 (both encodings) and JKS, at the value', () => {
    const p12 = store('store.p12', { type: 'PKCS12', password: 'not-the-password' });
    const old = store('store-3des.p12', { type: 'PKCS12', password: 'not-the-password' });
    const jks = store('store.jks', { type: 'JKS', password: 'not-the-password', alias: 'partner' });
    const empty = store('store.jks', { type: 'JKS', password: '' });
    const findings = inspectMaterial([p12, old, jks, empty], options).findings;
    expect(findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`)).toEqual([
      `keystore-wrong-password/error@${p12.location.line}`,
      `keystore-wrong-password/error@${old.location.line}`,
      `keystore-wrong-password/error@${jks.location.line}`,
      `keystore-wrong-password/error@${empty.location.line}`,
    ]);
    expect(findings[0]?.message).toMatch(/PKCS12 keystore does not open with its password: set password/);
    expect(findings[0]?.location).toEqual(p12.location);
    expect(findings[0]?.context.kind).toBe('Keystore');
  });

  it('opens a store whose password is not ASCII, in the encodings tools use, and says what failed otherwise', () => {
    const utf8 = store('store-utf8.p12', { type: 'PKCS12', password: 'pässwörd-ünï', alias: 'partner' });
    expect(inspectMaterial([utf8], options).findings).toEqual([]);
    // Stores written by OpenSSL 1.x (UTF-8 bytes as BMP characters) and by forge (one byte per character).
    const forge = loadForge();
    const key = forge.pki.privateKeyFromPem(fixture('leaf.key.pem').toString('utf8'));
    const cert = forge.pki.certificateFromPem(fixture('leaf.crt.pem').toString('utf8'));
    const made = (text: string, pbkdf2: 'utf8' | 'latin1') =>
      withPasswordBytes(pbkdf2, () => {
        const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], text, { algorithm: 'aes256', friendlyName: 'partner' });
        return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
      });
    for (const base64 of [
      made(Buffer.from('pässwörd', 'utf8').toString('latin1'), 'latin1'),
      made('pässwörd', 'latin1'),
    ]) {
      const v = aValue({
        role: 'keystore',
        base64,
        keystore: { type: 'PKCS12', password: 'pässwörd', alias: 'partner' },
      });
      expect(inspectMaterial([v], options).findings).toEqual([]);
    }
    // A wrong non-ASCII password is not "damaged": it says what may be wrong.
    const wrong = store('store-utf8.p12', { type: 'PKCS12', password: 'passwörd-ünï' });
    const findings = inspectMaterial([wrong], options).findings;
    expect(findings.map((f) => f.code)).toEqual(['keystore-wrong-password']);
    expect(findings[0]?.message).toContain('wrong password or unsupported encoding');
    expect(findings[0]?.message).not.toMatch(/damaged/);
  });

  it('opens a store made with an empty password', () => {
    const empty = store('store-empty-password.p12', { type: 'PKCS12', password: '', alias: 'partner' });
    expect(inspectMaterial([empty], options).findings).toEqual([]);
    const wrong = store('store-empty-password.p12', { type: 'PKCS12', password: 'x' });
    expect(inspectMaterial([wrong], options).findings.map((f) => f.code)).toEqual(['keystore-wrong-password']);
  });

  it('makes a missing alias an error that lists the aliases the store has', () => {
    const jks = store('store.jks', { type: 'JKS', password: STORE_PASSWORD, alias: 'partnr' });
    const p12 = store('store-keytool.p12', { type: 'PKCS12', password: STORE_PASSWORD, alias: 'partner' });
    const findings = inspectMaterial([jks, p12], options).findings;
    expect(findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`)).toEqual([
      `keystore-alias-missing/error@${jks.location.line}`,
      `keystore-alias-missing/error@${p12.location.line}`,
    ]);
    expect(findings[0]?.message).toBe(
      'alias "partnr" names no entry of this keystore, which holds 2 entries: "partner", "partner-ca": ' +
        'set alias to one of them, or leave it out',
    );
    expect(findings[1]?.message).toContain('which holds one entry: "gateway"');
  });

  it('makes a type that does not fit the file an error, and still checks the store', () => {
    const jksAsP12 = store('store.jks', { type: 'PKCS12', password: STORE_PASSWORD, alias: 'nope' });
    expect(codes([jksAsP12])).toEqual([
      `keystore-type-mismatch/error@${jksAsP12.location.line}`,
      `keystore-alias-missing/error@${jksAsP12.location.line}`,
    ]);
    const [finding] = inspectMaterial(
      [store('store.p12', { type: 'JKS', password: STORE_PASSWORD })],
      options,
    ).findings;
    expect(finding?.message).toBe('this keystore file is PKCS12, but its type says JKS: set type: PKCS12');
  });

  it('makes garbage, a certificate and a damaged store errors, and an unknown type a warning', () => {
    const garbage = aValue({
      role: 'keystore',
      base64: b64('garbage bytes, not a store'),
      keystore: { type: 'PKCS12', password: STORE_PASSWORD },
    });
    const cert = store('leaf.crt.der', { type: 'JKS', password: STORE_PASSWORD });
    const cut = fixture('store.p12').subarray(0, 900);
    const damaged = aValue({
      role: 'keystore',
      base64: cut.toString('base64'),
      keystore: { type: 'PKCS12', password: STORE_PASSWORD },
    });
    const cutJks = fixture('store.jks').subarray(0, 700);
    const damagedJks = aValue({
      role: 'keystore',
      base64: cutJks.toString('base64'),
      keystore: { type: 'JKS', password: STORE_PASSWORD },
    });
    const jceks = store('store.jks', { type: 'JCEKS', password: STORE_PASSWORD });
    expect(codes([garbage, cert, damaged, damagedJks, jceks])).toEqual([
      `keystore-unreadable/error@${garbage.location.line}`,
      `keystore-unreadable/error@${cert.location.line}`,
      `keystore-unreadable/error@${damaged.location.line}`,
      // A cut JKS file no longer ends in its digest: indistinguishable from a wrong password.
      `keystore-wrong-password/error@${damagedJks.location.line}`,
      `keystore-unchecked/warning@${jceks.location.line}`,
    ]);
  });

  it('applies the expiry rules to certificates inside stores that open, naming the entry; an expired trusted entry is a warning', () => {
    const p12 = store('store-expired.p12', { type: 'PKCS12', password: STORE_PASSWORD });
    const jks = store('store-expired.jks', { type: 'JKS', password: STORE_PASSWORD, alias: 'old-ca' });
    const trust = store('truststore-expired.p12', { type: 'PKCS12', password: STORE_PASSWORD });
    const findings = inspectMaterial([p12, jks, trust], options).findings;
    // The key entry's own certificate stays an error; a JKS trustedCertEntry and a PKCS12
    // certificate without a key (truststores routinely keep old CAs) are warnings.
    expect(findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`)).toEqual([
      `certificate-expired/error@${p12.location.line}`,
      `certificate-expired/warning@${jks.location.line}`,
      `certificate-expired/warning@${trust.location.line}`,
    ]);
    expect(findings[1]?.message).toBe(
      'trusted certificate "CN=expired.example.com, O=Fixture Partner" (serial 1001, self-signed) in keystore entry ' +
        '"old-ca" expired on 2021-01-01, 3452 days ago: a truststore may keep an old CA, but remove it once nothing ' +
        'is signed by it any more',
    );
    // A store that does not open shows nothing of its contents.
    const shut = store('store-expired.p12', { type: 'PKCS12', password: 'wrong-one' });
    expect(inspectMaterial([shut], options)).toMatchObject({
      findings: [{ code: 'keystore-wrong-password' }],
      certificates: [],
    });
  });
});

describe('openKeystore outcomes, remembered by store and password', () => {
  it('gives each (store, password) its own outcome, in any order and however often asked', () => {
    const p12 = fixture('store.p12');
    const jks = fixture('store.jks');
    const outcome = (bytes: Buffer, format: 'JKS' | 'PKCS12', password: string) => {
      const o = openKeystore(bytes, format, password);
      return o.ok ? `ok:${o.entries.map((e) => e.alias).join(',')}` : o.reason;
    };
    const asked: [Buffer, 'JKS' | 'PKCS12', string][] = [
      [p12, 'PKCS12', 'wrong-password-1'],
      [p12, 'PKCS12', STORE_PASSWORD],
      [jks, 'JKS', STORE_PASSWORD],
      [p12, 'PKCS12', `${STORE_PASSWORD}\u0000`],
      // A password and bytes that would run into each other if joined without the length.
      [Buffer.concat([Buffer.from('\u00000'), p12]), 'PKCS12', STORE_PASSWORD.slice(0, -1)],
    ];
    const first = asked.map(([b, f, p]) => outcome(b, f, p));
    expect(first[0]).toBe('wrong-password');
    expect(first[1]).toMatch(/^ok:/);
    expect(first[2]).toMatch(/^ok:/);
    expect(first[3]).toBe('wrong-password');
    expect(first[4]).not.toMatch(/^ok:/);
    // Asked again in reverse order: the same outcomes.
    expect([...asked].reverse().map(([b, f, p]) => outcome(b, f, p))).toEqual([...first].reverse());
  });
});

describe('legacy-form keystores (no password)', () => {
  it('checks the format magic only: JKS and PKCS12 pass, other bytes are a warning', () => {
    const values = [
      store('store.jks', undefined, 'legacy'),
      store('store-keytool.p12', undefined, 'legacy'),
      store('store-expired.p12', undefined, 'legacy'), // not opened, so its expiry is unknown here
    ];
    expect(inspectMaterial(values, options)).toEqual({ findings: [], certificates: [] });
    const pem = store('leaf.crt.pem', undefined, 'legacy');
    const jceks = aValue({
      role: 'keystore',
      form: 'legacy',
      base64: b64(Buffer.from('cececece0000000200000000', 'hex')),
    });
    expect(codes([pem, jceks])).toEqual([
      `keystore-unknown-format/warning@${pem.location.line}`,
      `keystore-unknown-format/warning@${jceks.location.line}`,
    ]);
  });
});
