import { describe, expect, it } from 'vitest';
import { inspectMaterial, type MaterialValue } from '../../src/material/index.js';
import { aValue, b64, der, fixture, fixture64, keyPair, NOW, pem } from './support.js';

const options = { now: NOW, expiryWarnDays: 30, cache: false as const };

/** The findings of one run, as `code/severity@line` for compact assertions. */
function codes(values: MaterialValue[]): string[] {
  return inspectMaterial(values, options).findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`);
}

describe('current form: PRIVATE_KEY and PUBLIC_KEY content', () => {
  it('accepts a PEM private key, a PEM public key and a PEM certificate', () => {
    const values = [
      aValue({ role: 'private-key', base64: b64(pem(keyPair('rsa2048').privateKey)) }),
      aValue({ role: 'private-key', base64: b64(pem(keyPair('p256').privateKey)) }),
      aValue({ role: 'private-key', base64: b64(pem(keyPair('ed25519').privateKey)) }),
      aValue({ role: 'public-key', base64: b64(pem(keyPair('rsa2048').publicKey)) }),
      aValue({ role: 'public-key', base64: fixture64('leaf.crt.pem') }),
    ];
    expect(inspectMaterial(values, options).findings).toEqual([]);
  });

  it('accepts a key followed by its certificate, and reports the certificate', () => {
    const both = Buffer.concat([fixture('leaf.key.pem'), fixture('leaf.crt.pem')]);
    const report = inspectMaterial([aValue({ role: 'private-key', base64: b64(both) })], options);
    expect(report.findings).toEqual([]);
    expect(report.certificates.map((c) => c.subject)).toEqual(['CN=partner.example.com, O=Fixture Partner']);
  });

  it('makes a public key in PRIVATE_KEY a wrong-kind error at the value', () => {
    const value = aValue({ role: 'private-key', base64: b64(pem(keyPair('rsa2048').publicKey)) });
    const [finding, ...rest] = inspectMaterial([value], options).findings;
    expect(rest).toEqual([]);
    expect(finding).toMatchObject({ code: 'key-wrong-kind', severity: 'error', location: value.location });
    expect(finding?.message).toMatch(/holds a public key where a private key belongs/);
    expect(finding?.context).toEqual(value.context);
  });

  it('makes a certificate in PRIVATE_KEY and a private key in PUBLIC_KEY wrong-kind errors', () => {
    const a = aValue({ role: 'private-key', base64: fixture64('leaf.crt.pem') });
    const b = aValue({ role: 'public-key', base64: b64(pem(keyPair('p256').privateKey)) });
    expect(codes([a, b])).toEqual([
      `key-wrong-kind/error@${a.location.line}`,
      `key-wrong-kind/error@${b.location.line}`,
    ]);
  });

  it('makes garbage, a truncated PEM and DER errors in the current form', () => {
    const garbage = aValue({ role: 'private-key', base64: b64('not a key at all') });
    const cut = pem(keyPair('rsa2048').privateKey).slice(0, 400);
    const truncated = aValue({ role: 'private-key', base64: b64(cut) });
    const derKey = aValue({ role: 'private-key', base64: der(keyPair('rsa2048').privateKey).toString('base64') });
    const derCert = aValue({ role: 'public-key', base64: fixture64('leaf.crt.der') });
    expect(codes([garbage, truncated, derKey, derCert])).toEqual([
      `material-unparseable/error@${garbage.location.line}`,
      `material-unparseable/error@${truncated.location.line}`,
      `material-not-pem/error@${derKey.location.line}`,
      `material-not-pem/error@${derCert.location.line}`,
    ]);
  });

  it('gives a DER value the openssl command that converts that kind of DER (a public key needs -pubin)', () => {
    const { privateKey, publicKey } = keyPair('rsa2048');
    const hint = (role: 'private-key' | 'public-key', base64: string) =>
      inspectMaterial([aValue({ role, base64 })], options).findings.find((f) => f.code === 'material-not-pem')?.message;
    expect(hint('public-key', der(publicKey).toString('base64'))).toContain(
      '`openssl pkey -pubin -inform DER -in FILE -out FILE.pem`',
    );
    expect(hint('private-key', der(privateKey).toString('base64'))).toContain(
      '`openssl pkey -inform DER -in FILE -out FILE.pem`',
    );
    expect(hint('public-key', fixture64('leaf.crt.der'))).toContain(
      '`openssl x509 -inform DER -in FILE -out FILE.pem`',
    );
  });

  it('warns about an encrypted private key instead of failing on it', () => {
    const { privateKey } = keyPair('rsa2048');
    const pkcs8 = privateKey.export({ format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: 'pass-phrase' });
    const pkcs1 = privateKey.export({ format: 'pem', type: 'pkcs1', cipher: 'aes-256-cbc', passphrase: 'pass-phrase' });
    const a = aValue({ role: 'private-key', base64: b64(pkcs8) });
    const b = aValue({ role: 'key-pair-private', form: 'legacy', base64: b64(pkcs1) });
    expect(codes([a, b])).toEqual([
      `key-encrypted/warning@${a.location.line}`,
      `key-encrypted/warning@${b.location.line}`,
    ]);
  });
});

describe('key strength', () => {
  it('warns about RSA under 2048 bits and EC off the NIST curves, not about P-256 or Ed25519', () => {
    const rsa = aValue({ role: 'private-key', base64: b64(pem(keyPair('rsa1024').privateKey)) });
    const k1 = aValue({ role: 'public-key', base64: b64(pem(keyPair('secp256k1').publicKey)) });
    const good = aValue({ role: 'private-key', base64: b64(pem(keyPair('p256').privateKey)) });
    const report = inspectMaterial([rsa, k1, good], options);
    expect(report.findings.map((f) => [f.code, f.severity, f.location.line])).toEqual([
      ['key-weak-rsa', 'warning', rsa.location.line],
      ['key-weak-curve', 'warning', k1.location.line],
    ]);
    expect(report.findings[0]?.message).toMatch(/RSA key of 1024 bits: use a key of at least 2048 bits/);
    expect(report.findings[1]?.message).toMatch(/curve secp256k1: use P-256, P-384 or P-521/);
  });
});

describe('legacy form: key pairs in PEM or DER', () => {
  function pair(privateB64: string, publicB64: string): [MaterialValue, MaterialValue] {
    const priv = aValue({ role: 'key-pair-private', form: 'legacy', base64: privateB64 });
    const pub = aValue({ role: 'key-pair-public', form: 'legacy', base64: publicB64 });
    priv.pairWith = pub;
    pub.pairWith = priv;
    return [priv, pub];
  }

  it('accepts matching halves, in PEM, in DER, and with a certificate as the public half', () => {
    const { privateKey, publicKey } = keyPair('rsa2048');
    const ec = keyPair('p256');
    const values = [
      ...pair(b64(pem(privateKey)), b64(pem(publicKey))),
      ...pair(der(privateKey).toString('base64'), der(publicKey).toString('base64')),
      ...pair(der(ec.privateKey).toString('base64'), b64(pem(ec.publicKey))),
      ...pair(fixture64('leaf.key.pem'), fixture64('leaf.crt.der')),
      ...pair(b64(pem(keyPair('ed25519').privateKey)), b64(pem(keyPair('ed25519').publicKey))),
    ];
    expect(inspectMaterial(values, options).findings).toEqual([]);
  });

  it('makes halves of two different pairs one error, at the private half, naming the public one', () => {
    const [priv, pub] = pair(b64(pem(keyPair('rsa2048').privateKey)), b64(pem(keyPair('rsa2048b').publicKey)));
    const findings = inspectMaterial([priv, pub], options).findings;
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({ code: 'key-pair-mismatch', severity: 'error', location: priv.location });
    expect(findings[0]?.message).toContain(`${pub.location.path} (line ${pub.location.line})`);
  });

  it('checks the pair when only the public half names its partner', () => {
    const priv = aValue({ role: 'key-pair-private', form: 'legacy', base64: fixture64('leaf.key.pem') });
    const pub = aValue({ role: 'key-pair-public', form: 'legacy', base64: b64(pem(keyPair('p256').publicKey)) });
    pub.pairWith = priv;
    // An RSA half against an EC half, then a good key: the comparison must not disturb later parses.
    const next = aValue({ role: 'private-key', base64: b64(pem(keyPair('rsa2048').privateKey)) });
    expect(codes([priv, pub, next])).toEqual([`key-pair-mismatch/error@${pub.location.line}`]);
  });

  it('does not compare a pair when a half does not parse; it warns about that half only', () => {
    const [priv, pub] = pair(b64(pem(keyPair('rsa2048').privateKey)), b64('-----BEGIN PUBLIC KEY-----\nAAAA\n'));
    expect(codes([priv, pub])).toEqual([`material-unrecognised/warning@${pub.location.line}`]);
  });

  it('warns (not errs) about garbage and PEM-looking text that does not parse', () => {
    const garbage = aValue({ role: 'key-pair-private', form: 'legacy', base64: b64(Buffer.from([1, 2, 3, 250, 99])) });
    const fake = aValue({
      role: 'key-pair-public',
      form: 'legacy',
      base64: b64('-----BEGIN PUBLIC KEY-----\nbm90IGEga2V5\n-----END PUBLIC KEY-----\n'),
    });
    const sequence = aValue({
      role: 'key-pair-public',
      form: 'legacy',
      base64: b64(Buffer.from('30820101deadbeef', 'hex')),
    });
    expect(codes([garbage, fake, sequence])).toEqual([
      `material-unrecognised/warning@${garbage.location.line}`,
      `material-unrecognised/warning@${fake.location.line}`,
      `material-unrecognised/warning@${sequence.location.line}`,
    ]);
  });

  it('makes a public key in privateKey an error in the legacy form too', () => {
    const [priv, pub] = pair(
      der(keyPair('rsa2048').publicKey).toString('base64'),
      b64(pem(keyPair('rsa2048').publicKey)),
    );
    expect(codes([priv, pub])).toEqual([`key-wrong-kind/error@${priv.location.line}`]);
  });
});

describe('SECRET_KEY content', () => {
  it('accepts plausible lengths and warns about others, naming PEM text when it is one', () => {
    const aes = aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(Buffer.alloc(32, 7)) });
    const des3 = aValue({ role: 'secret-key', algorithm: 'DESede', base64: b64(Buffer.alloc(24, 7)) });
    const odd = aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(Buffer.alloc(20, 7)) });
    const pemText = aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(pem(keyPair('p256').privateKey)) });
    const rsa = aValue({ role: 'secret-key', algorithm: 'RSA', base64: b64(Buffer.alloc(5, 7)) });
    const report = inspectMaterial([aes, des3, odd, pemText, rsa], options);
    expect(report.findings.map((f) => `${f.code}/${f.severity}@${f.location.line}`)).toEqual([
      `secret-key-length/warning@${odd.location.line}`,
      `secret-key-length/warning@${pemText.location.line}`,
    ]);
    expect(report.findings[0]?.message).toMatch(/20 bytes long, and AES keys are 16, 24, 32 bytes/);
    expect(report.findings[1]?.message).toMatch(/looks like PEM text/);
  });
});
