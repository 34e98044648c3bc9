import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';
import { describe, expect, it } from 'vitest';
import { pkcs12Kdf } from '../../src/material/forge.js';
import { inspectMaterial, MaterialCache } from '../../src/material/index.js';
import { aValue, b64, fixture64, keyPair, LEAF_NOT_AFTER, NOW, pem, STORE_PASSWORD } from './support.js';

// forge's own JavaScript implementation, taken before loadForge replaces it (nothing has opened a
// PKCS12 store in this file yet), to check the native one against.
const forge = createRequire(import.meta.url)('node-forge') as typeof Forge;
const forgeKdf = (forge as unknown as { pbe: { generatePkcs12Key: (...a: unknown[]) => Forge.util.ByteStringBuffer } })
  .pbe.generatePkcs12Key;

describe('the PKCS#12 key derivation routed to native crypto', () => {
  it('gives the same bytes as forge for every digest, id, length and password shape', () => {
    const salts = [
      Buffer.from('0123456789abcdef', 'hex'),
      Buffer.from('00112233445566778899aabbccddeeff00112233', 'hex'),
    ];
    for (const digest of ['sha1', 'sha256', 'sha512'] as const) {
      for (const password of ['', 'x', STORE_PASSWORD, 'pässwörd-€-long-enough-to-span-more-than-one-block-of-64']) {
        for (const [id, length, iterations] of [
          [1, 24, 1],
          [2, 8, 3],
          [3, 20, 300],
          [3, 64, 7],
        ] as const) {
          for (const salt of salts) {
            const md = forge.md[digest].create();
            const expected = forgeKdf(
              password,
              forge.util.createBuffer(salt.toString('binary')),
              id,
              iterations,
              length,
              md,
            ).bytes();
            expect(pkcs12Kdf(password, salt, id, iterations, length, md).toString('binary')).toBe(expected);
          }
        }
      }
    }
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
