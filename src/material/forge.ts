import { createHash, hash, pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';

// node-forge and jks-js are CommonJS and large (forge alone takes tens of milliseconds to load);
// most runs hold no keystore, so they are loaded on first use, not at start-up.
const require = createRequire(import.meta.url);

/**
 * Java's own limit on a PKCS12 store's iteration counts. A store asking for more could stall a
 * validate run (a crafted file in a pull request), so it is refused as unsupported.
 */
const MAX_ITERATIONS = 5_000_000;

let loaded: typeof Forge | undefined;

/**
 * How PBKDF2 turns the password text into bytes. RFC 8018 and OpenSSL 3 / Java use UTF-8; forge
 * itself (and stores it made) used one byte per character. Set around one open by `withPasswordBytes`.
 */
let pbkdf2Encoding: 'utf8' | 'latin1' = 'utf8';

/** Runs `fn` (synchronous: forge is) with PBKDF2 passwords encoded as `encoding`. */
export function withPasswordBytes<T>(encoding: 'utf8' | 'latin1', fn: () => T): T {
  const before = pbkdf2Encoding;
  pbkdf2Encoding = encoding;
  try {
    return fn();
  } finally {
    pbkdf2Encoding = before;
  }
}

/**
 * node-forge, with its two password-based key derivations routed to Node's native crypto.
 * forge computes them in JavaScript, which made one PKCS12 file (10,000 SHA-256 rounds for
 * keytool's stores) take 100-300 ms; the algorithms (PBKDF2, RFC 7292 appendix B.2) and their
 * results are the same.
 */
export function loadForge(): typeof Forge {
  if (loaded) return loaded;
  const forge = require('node-forge') as typeof Forge;
  const internals = forge as unknown as ForgeInternals;
  const pkcs12Key = (
    password: string | null,
    salt: Forge.util.ByteStringBuffer,
    id: number,
    iterations: number,
    length: number,
    md?: ForgeDigest,
  ): Forge.util.ByteStringBuffer => {
    const bytes = pkcs12Kdf(password, Buffer.from(salt.bytes(), 'binary'), id, iterations, length, md);
    return forge.util.createBuffer(bytes.toString('binary'));
  };
  internals.pkcs12.generateKey = pkcs12Key;
  internals.pki.pbe.generatePkcs12Key = pkcs12Key;
  const jsPbkdf2 = internals.pkcs5.pbkdf2;
  const nativePbkdf2 = (...args: unknown[]): unknown => {
    const [password, salt, iterations, length, md] = args;
    // Only the synchronous form is native-routed; forge never uses the callback form here.
    if (args.length > 5 || typeof md === 'function') return jsPbkdf2(...args);
    if ((iterations as number) > MAX_ITERATIONS) throw new Error('Unsupported iteration count');
    const digest =
      md === undefined || md === null ? 'sha1' : typeof md === 'string' ? md : nodeDigest(md as ForgeDigest);
    return pbkdf2Sync(
      Buffer.from(password as string, pbkdf2Encoding),
      Buffer.from(salt as string, 'binary'),
      iterations as number,
      length as number,
      digest,
    ).toString('binary');
  };
  internals.pkcs5.pbkdf2 = nativePbkdf2;
  internals.pbkdf2 = nativePbkdf2;
  loaded = forge;
  return forge;
}

/** jks-js, loaded on first use. */
export function loadJks(): typeof import('jks-js') {
  return require('jks-js') as typeof import('jks-js');
}

interface ForgeDigest {
  algorithm: string;
  digestLength: number;
  blockLength: number;
}

interface ForgeInternals {
  pkcs12: { generateKey: unknown };
  pki: { pbe: { generatePkcs12Key: unknown } };
  pkcs5: { pbkdf2: (...args: unknown[]) => unknown };
  pbkdf2: unknown;
}

function nodeDigest(md: ForgeDigest): string {
  // forge names the truncated SHA-512 variants sha512/224 and sha512/256; Node sha512-224, ...
  return md.algorithm.replace('/', '-');
}

/** RFC 7292 appendix B.2: the PKCS#12 key derivation (MAC keys, and the old 3DES/RC2 PBEs). */
export function pkcs12Kdf(
  password: string | null | undefined,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
  md?: ForgeDigest,
): Buffer {
  if (!(iterations >= 1)) throw new Error('PKCS#12 key derivation needs at least one iteration');
  if (iterations > MAX_ITERATIONS) throw new Error('Unsupported iteration count');
  const digest = md ? nodeDigest(md) : 'sha1';
  const u = md?.digestLength ?? 20;
  const v = md?.blockLength ?? 64;
  // The password as BMPString (UTF-16BE) with a terminating zero; no password means no bytes.
  let pass = Buffer.alloc(0);
  if (password !== null && password !== undefined) {
    pass = Buffer.alloc(password.length * 2 + 2);
    for (let i = 0; i < password.length; i += 1) pass.writeUInt16BE(password.charCodeAt(i), i * 2);
  }
  const repeat = (source: Buffer): Buffer => {
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i += 1) out[i] = source[i % source.length] ?? 0;
    return out;
  };
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([repeat(salt), repeat(pass)]);
  const blocks = Math.ceil(length / u);
  const result: Buffer[] = [];
  for (let i = 0; i < blocks; i += 1) {
    let a = createHash(digest).update(diversifier).update(input).digest();
    // The one-shot hash(): a Hash object per round costs more than the hashing (10,000 rounds in
    // keytool's stores).
    for (let round = 1; round < iterations; round += 1) a = hash(digest, a, 'buffer');
    result.push(a);
    if (i === blocks - 1) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for every v-byte block of I, where B is A repeated to v bytes.
    const b = repeat(a).subarray(0, v);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k -= 1) {
        carry += (input[j + k] ?? 0) + (b[k] ?? 0);
        input[j + k] = carry & 0xff;
        carry >>= 8;
      }
    }
  }
  return Buffer.concat(result).subarray(0, length);
}
