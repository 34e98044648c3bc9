// node-forge, loaded on first use, with its PKCS#12 and PBKDF2 key derivations routed to Node's
// native crypto (the JavaScript versions made one keystore take 100-300 ms).
import { createHash, hash, pbkdf2Sync } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as Forge from 'node-forge';
import { setBounded } from './bounded.js';

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
  // The set-up replaces forge internals by name: a forge release that moved them would otherwise
  // run its slow JavaScript path silently (or half-patched). Refuse loudly instead.
  if (
    typeof internals.pkcs12?.generateKey !== 'function' ||
    typeof internals.pki?.pbe?.generatePkcs12Key !== 'function' ||
    typeof internals.pkcs5?.pbkdf2 !== 'function'
  ) {
    throw new Error(
      `node-forge ${forgeVersion()} no longer has the key derivations this tool routes to native crypto ` +
        `(written for ${FORGE_PATCHED_VERSION}); the set-up in src/material/forge.ts needs updating`,
    );
  }
  const pkcs12Key = (
    password: string | null,
    salt: Forge.util.ByteStringBuffer,
    id: number,
    iterations: number,
    length: number,
    md?: ForgeDigest,
  ): Forge.util.ByteStringBuffer => {
    const request = pkcs12Request(password, Buffer.from(salt.bytes(), 'binary'), id, iterations, length, md);
    return forge.util.createBuffer(derive(request).toString('binary'));
  };
  internals.pkcs12.generateKey = pkcs12Key;
  internals.pki.pbe.generatePkcs12Key = pkcs12Key;
  const jsPbkdf2 = internals.pkcs5.pbkdf2;
  const nativePbkdf2 = (...args: unknown[]): unknown => {
    const [password, salt, iterations, length, md] = args;
    // Only the synchronous form is native-routed; forge never uses the callback form here.
    if (args.length > 5 || typeof md === 'function') return jsPbkdf2(...args);
    const digest =
      md === undefined || md === null ? 'sha1' : typeof md === 'string' ? md : nodeDigest(md as ForgeDigest);
    const request: DerivationRequest = {
      kind: 'pbkdf2',
      password: Buffer.from(password as string, pbkdf2Encoding),
      salt: Buffer.from(salt as string, 'binary'),
      id: 0,
      iterations: iterations as number,
      length: length as number,
      digest,
      u: 0,
      v: 0,
    };
    return derive(request).toString('binary');
  };
  internals.pkcs5.pbkdf2 = nativePbkdf2;
  internals.pbkdf2 = nativePbkdf2;
  routed.add(pkcs12Key).add(nativePbkdf2);
  loaded = forge;
  return forge;
}

/**
 * The node-forge release whose internals loadForge replaces; package.json pins it exactly, and a
 * test asserts the installed one is this one, so an upgrade is a deliberate, re-checked change.
 */
export const FORGE_PATCHED_VERSION = '1.4.3';

/** The installed node-forge's version. */
export function forgeVersion(): string {
  return (require('node-forge/package.json') as { version: string }).version;
}

/** The functions loadForge installed, to tell the patched forge from the original. */
const routed = new Set<unknown>();

/** True when `forge`'s key derivations are the native ones (loadForge has run on this instance). */
export function routesNativeKdf(forge: typeof Forge): boolean {
  const internals = forge as unknown as ForgeInternals;
  return (
    routed.has(internals.pkcs12.generateKey) &&
    routed.has(internals.pki.pbe.generatePkcs12Key) &&
    routed.has(internals.pkcs5.pbkdf2)
  );
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

/**
 * One key derivation a PKCS12 open asks for: the PKCS#12 KDF (RFC 7292 appendix B.2: MAC keys and
 * the old 3DES/RC2 PBEs; `password` as BMPString) or PBKDF2 (`password` as bytes). A costly one is
 * computed off the main thread before the open (derive.ts) and found here by its inputs.
 */
export interface DerivationRequest {
  kind: 'pkcs12' | 'pbkdf2';
  password: Buffer;
  salt: Buffer;
  /** The PKCS#12 KDF's purpose byte (1 key, 2 IV, 3 MAC); 0 for PBKDF2. */
  id: number;
  iterations: number;
  length: number;
  /** Node's name of the digest. */
  digest: string;
  /** The PKCS#12 KDF's digest output and block sizes (u, v); 0 for PBKDF2. */
  u: number;
  v: number;
}

/** Thrown by the hooks when a derivation is not known and costs more than INLINE_ROUNDS. */
export class DerivationNeeded extends Error {
  constructor(readonly request: DerivationRequest) {
    super(`key derivation of ${request.iterations} iterations needed`);
  }
}

/**
 * The most iterations one derivation may cost on the calling thread: about a tenth of a second
 * (keytool's 10,000 and OpenSSL's 2,048 are far below). A store asking for more is opened only
 * after derive.ts has computed its keys elsewhere, within the run's budget.
 */
export const INLINE_ROUNDS = 100_000;
let inlineRounds = INLINE_ROUNDS;

/**
 * Runs `fn` with a different inline limit: for code that makes a costly store on purpose (tests
 * writing one with node-forge), never for checking a store someone else made.
 */
export function withInlineRounds<T>(limit: number, fn: () => T): T {
  const before = inlineRounds;
  inlineRounds = limit;
  try {
    return fn();
  } finally {
    inlineRounds = before;
  }
}

/** Derivations done off the main thread, by their inputs' digest (no password is kept as a key). */
const derived = new Map<string, Buffer>();
const MAX_DERIVED = 256;

function requestKey(r: DerivationRequest): string {
  return createHash('sha256')
    .update(`${r.kind}\u0000${r.digest}\u0000${r.id}\u0000${r.iterations}\u0000${r.length}\u0000`)
    .update(r.salt)
    .update('\u0000')
    .update(r.password)
    .digest('base64');
}

/** Keeps a derivation computed elsewhere for the open that needs it (bounded: oldest dropped). */
export function rememberDerivation(request: DerivationRequest, out: Buffer): void {
  setBounded(derived, requestKey(request), out, MAX_DERIVED);
}

/** The derivation, from what was computed elsewhere, inline when cheap, else DerivationNeeded. */
function derive(request: DerivationRequest): Buffer {
  if (request.iterations > MAX_ITERATIONS) throw new Error('Unsupported iteration count');
  const known = derived.get(requestKey(request));
  if (known) return Buffer.from(known);
  if (request.iterations > inlineRounds) throw new DerivationNeeded(request);
  return deriveSync(request);
}

/** Computes a derivation on this thread. */
export function deriveSync(request: DerivationRequest): Buffer {
  if (request.kind === 'pbkdf2') {
    return pbkdf2Sync(request.password, request.salt, request.iterations, request.length, request.digest);
  }
  const steps = pkcs12KdfSteps(request);
  let step = steps.next();
  while (!step.done) step = steps.next(iterateHash(step.value));
  return step.value;
}

/** The costly part of the PKCS#12 KDF: `first` hashed `rounds` more times. */
export interface IterateStep {
  digest: string;
  first: Buffer;
  rounds: number;
}

/** Runs one IterateStep here. derive.ts runs the same loop in a worker thread. */
export function iterateHash(step: IterateStep): Buffer {
  let a = step.first;
  // The one-shot hash(): a Hash object per round costs more than the hashing (10,000 rounds in
  // keytool's stores).
  for (let round = 0; round < step.rounds; round += 1) a = hash(step.digest, a, 'buffer');
  return a;
}

/** forge's arguments to its PKCS#12 key derivation, as it calls the function we put in its place. */
type ForgeKdfArgs = [
  password: string | null | undefined,
  salt: Buffer,
  id: number,
  iterations: number,
  length: number,
  md?: ForgeDigest,
];

/** A PKCS#12 KDF request from forge's arguments: the password as BMPString with a terminating zero. */
function pkcs12Request(...[password, salt, id, iterations, length, md]: ForgeKdfArgs): DerivationRequest {
  let pass = Buffer.alloc(0); // no password means no bytes
  if (password !== null && password !== undefined) {
    pass = Buffer.alloc(password.length * 2 + 2);
    for (let i = 0; i < password.length; i += 1) pass.writeUInt16BE(password.charCodeAt(i), i * 2);
  }
  return {
    kind: 'pkcs12',
    password: pass,
    salt,
    id,
    iterations,
    length,
    digest: md ? nodeDigest(md) : 'sha1',
    u: md?.digestLength ?? 20,
    v: md?.blockLength ?? 64,
  };
}

/**
 * RFC 7292 appendix B.2 as steps: each block's iterated hashing is yielded, so that one
 * implementation runs inline (deriveSync) or with the hashing in a worker (derive.ts).
 */
export function* pkcs12KdfSteps(request: DerivationRequest): Generator<IterateStep, Buffer, Buffer> {
  const { digest, u, v, salt, password, id, iterations, length } = request;
  if (!(iterations >= 1)) throw new Error('PKCS#12 key derivation needs at least one iteration');
  const repeat = (source: Buffer): Buffer => {
    const out = Buffer.alloc(v * Math.ceil(source.length / v));
    for (let i = 0; i < out.length; i += 1) out[i] = source[i % source.length] ?? 0;
    return out;
  };
  const diversifier = Buffer.alloc(v, id);
  const input = Buffer.concat([repeat(salt), repeat(password)]);
  const blocks = Math.ceil(length / u);
  const result: Buffer[] = [];
  for (let i = 0; i < blocks; i += 1) {
    const first = createHash(digest).update(diversifier).update(input).digest();
    const a: Buffer = yield { digest, first, rounds: iterations - 1 };
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

/** RFC 7292 appendix B.2: the PKCS#12 key derivation, on this thread (forge's arguments). */
export function pkcs12Kdf(...args: ForgeKdfArgs): Buffer {
  if (args[3] > MAX_ITERATIONS) throw new Error('Unsupported iteration count');
  return deriveSync(pkcs12Request(...args));
}
