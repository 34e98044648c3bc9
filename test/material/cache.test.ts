// The PKCS#12 key derivation that src/material/forge.ts routes to native crypto is checked against
// references that share no code with it: published known-answer vectors, and a transcription of
// RFC 7292 appendix B.2 written here with BigInt arithmetic. (It was once compared with forge's
// own function, which, with test files sharing one process and loadForge patching forge, could be
// the function under test itself.)
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  FORGE_PATCHED_VERSION,
  forgeVersion,
  loadForge,
  pkcs12Kdf,
  routesNativeKdf,
} from '../../src/material/forge.js';
import { inspectMaterial, MaterialCache } from '../../src/material/index.js';
import { aValue, b64, fixture64, keyPair, LEAF_NOT_AFTER, NOW, pem, STORE_PASSWORD } from './support.js';

/** RFC 7292 appendix B.2, step by step as the RFC writes it. */
function referenceKdf(password: string, salt: Buffer, id: number, iterations: number, n: number, digest: Digest) {
  const { name, u, v } = digest;
  const D = Buffer.alloc(v, id);
  // BMPString: UTF-16 big-endian code units and a terminating zero.
  const P0 = Buffer.concat([Buffer.from(password, 'utf16le').swap16(), Buffer.alloc(2)]);
  const stretch = (b: Buffer) =>
    Buffer.from(Array.from({ length: v * Math.ceil(b.length / v) }, (_, k) => b[k % b.length] ?? 0));
  let I = Buffer.concat([stretch(salt), stretch(P0)]);
  const c = Math.ceil(n / u);
  const A: Buffer[] = [];
  for (let i = 1; i <= c; i += 1) {
    let Ai = createHash(name)
      .update(Buffer.concat([D, I]))
      .digest();
    for (let r = 1; r < iterations; r += 1) Ai = createHash(name).update(Ai).digest();
    A.push(Ai);
    const B = BigInt(`0x${Buffer.from(Array.from({ length: v }, (_, k) => Ai[k % u] ?? 0)).toString('hex')}`);
    const modulus = 1n << BigInt(8 * v);
    const blocks: Buffer[] = [];
    for (let j = 0; j < I.length / v; j += 1) {
      const Ij = BigInt(`0x${I.subarray(j * v, (j + 1) * v).toString('hex')}`);
      blocks.push(Buffer.from(((Ij + B + 1n) % modulus).toString(16).padStart(2 * v, '0'), 'hex'));
    }
    I = Buffer.concat(blocks);
  }
  return Buffer.concat(A).subarray(0, n);
}

interface Digest {
  name: string;
  u: number;
  v: number;
}
const DIGESTS: Digest[] = [
  { name: 'sha1', u: 20, v: 64 },
  { name: 'sha256', u: 32, v: 64 },
  { name: 'sha512', u: 64, v: 128 },
];
/** The digest as forge describes it to the derivation. */
const forgeMd = (d: Digest) => ({ algorithm: d.name, digestLength: d.u, blockLength: d.v });

describe('the PKCS#12 key derivation routed to native crypto', () => {
  it('gives the published known answers (the "smeg" vectors of NSS and Bouncy Castle)', () => {
    const salt = Buffer.from('0A58CF64530D823F', 'hex');
    expect(pkcs12Kdf('smeg', salt, 1, 1, 24).toString('hex').toUpperCase()).toBe(
      '8AAAE6297B6CB04642AB5B077851284EB7128F1A2A7FBCA3',
    );
    expect(pkcs12Kdf('smeg', salt, 2, 1, 8).toString('hex').toUpperCase()).toBe('79993DFE048D3B76');
  });

  it('matches RFC 7292 B.2 transcribed independently, for every digest, id, length and password shape', () => {
    const salts = [
      Buffer.from('0123456789abcdef', 'hex'),
      Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex'),
    ];
    for (const digest of DIGESTS) {
      for (const password of ['', 'x', STORE_PASSWORD, 'pässwörd-€-long-enough-to-span-more-than-one-block-of-64']) {
        for (const [id, length, iterations] of [
          [1, 24, 1],
          [2, 8, 3],
          [3, 20, 300],
          [3, 64, 7],
        ] as const) {
          for (const salt of salts) {
            const expected = referenceKdf(password, salt, id, iterations, length, digest).toString('hex');
            expect(pkcs12Kdf(password, salt, id, iterations, length, forgeMd(digest)).toString('hex')).toBe(expected);
          }
        }
      }
    }
  });

  it('is what forge runs once the explicit set-up (loadForge) has run, on the pinned forge release', () => {
    // The set-up replaces forge internals by name: it is written for one release, pinned in package.json.
    expect(forgeVersion()).toBe(FORGE_PATCHED_VERSION);
    const forge = loadForge();
    expect(routesNativeKdf(forge)).toBe(true);
    const salt = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
    // forge's typings leave out pki.pbe, its PKCS#12 entry point.
    const pbe = (forge.pki as unknown as { pbe: { generatePkcs12Key: (...a: unknown[]) => { bytes(): string } } }).pbe;
    const viaForge = pbe
      .generatePkcs12Key(STORE_PASSWORD, forge.util.createBuffer(salt.toString('binary')), 3, 50, 20)
      .bytes();
    expect(Buffer.from(viaForge, 'binary').toString('hex')).toBe(
      referenceKdf(STORE_PASSWORD, salt, 3, 50, 20, DIGESTS[0]!).toString('hex'),
    );
  });

  it("refuses iteration counts above Java's limit, so a crafted store cannot stall a run", () => {
    expect(() => pkcs12Kdf('x', Buffer.alloc(8), 3, 5_000_001, 20)).toThrow(/Unsupported iteration count/);
  });
});

describe('the content cache', () => {
  it('analyses each distinct content once and places findings at every value that shares it', () => {
    const cache = new MaterialCache();
    const weak = b64(pem(keyPair('rsa1024').privateKey));
    const values = Array.from({ length: 300 }, (_, i) =>
      aValue({ role: 'private-key', base64: i % 3 === 0 ? weak : fixture64('leaf.key.pem') }),
    );
    const report = inspectMaterial(values, { now: NOW, expiryWarnDays: 30, cache });
    expect(cache.size).toBe(2);
    expect(report.findings).toHaveLength(100);
    expect(new Set(report.findings.map((f) => f.location.line)).size).toBe(100);
  });

  it('judges expiry at each call, not at the time an analysis was cached', () => {
    const cache = new MaterialCache();
    const value = aValue({ role: 'public-key', base64: fixture64('leaf.crt.pem') });
    expect(inspectMaterial([value], { now: NOW, expiryWarnDays: 30, cache }).findings).toEqual([]);
    const late = new Date(LEAF_NOT_AFTER.getTime() + 1000);
    expect(inspectMaterial([value], { now: late, expiryWarnDays: 30, cache }).findings[0]?.code).toBe(
      'certificate-expired',
    );
  });

  it('keys by password and alias too, so a fixed password is not served a stale failure', () => {
    const cache = new MaterialCache();
    const make = (password: string, alias?: string) =>
      aValue({ role: 'keystore', base64: fixture64('store.jks'), keystore: { type: 'JKS', password, alias } });
    const codes = (password: string, alias?: string) =>
      inspectMaterial([make(password, alias)], { now: NOW, expiryWarnDays: 30, cache }).findings.map((f) => f.code);
    expect(codes('wrong-password')).toEqual(['keystore-wrong-password']);
    expect(codes(STORE_PASSWORD)).toEqual([]);
    expect(codes(STORE_PASSWORD, 'missing')).toEqual(['keystore-alias-missing']);
    expect(cache.size).toBe(3);
  });

  it('stays within its bound, dropping the oldest analyses', () => {
    const cache = new MaterialCache(2);
    for (let i = 0; i < 5; i += 1) {
      inspectMaterial([aValue({ role: 'secret-key', algorithm: 'AES', base64: b64(Buffer.alloc(16, i)) })], {
        now: NOW,
        expiryWarnDays: 30,
        cache,
      });
    }
    expect(cache.size).toBe(2);
  });
});
