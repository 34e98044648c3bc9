// age, through `age-encryption` (typage, by age's author): the identities sops reads (I/O), files
// made by the `age` tool (binary or armored, detected by content), and the data keys sops wraps for
// age recipients (an armored age file holding the 32 key bytes). No X25519 or ChaCha20 code here.
import { readFile } from 'node:fs/promises';
import { webcrypto } from 'node:crypto';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Decrypter } from 'age-encryption';

/**
 * typage and its @noble dependencies are ~50 modules and tens of milliseconds to load; most runs
 * hold no encrypted file, so they are loaded on first use.
 */
let typage: Promise<typeof import('age-encryption')> | undefined;
export function loadTypage(): Promise<typeof import('age-encryption')> {
  return (typage ??= import('age-encryption'));
}

/** The identities found and where they came from (names of variables and files, never contents). */
export interface AgeIdentities {
  /** `AGE-SECRET-KEY-1...` strings. Secret: never printed. */
  readonly keys: readonly string[];
  /** Where identities were looked for and found, for messages: `SOPS_AGE_KEY`, a file path. */
  readonly sources: readonly string[];
  /** Problems reading the places that exist (unreadable file): said in the no-identity message. */
  readonly problems: readonly string[];
}

/** The variables and file sops reads age identities from, in its order, for messages. */
export const IDENTITY_PLACES =
  'SOPS_AGE_KEY (the identities as text), SOPS_AGE_KEY_FILE (a file of identities), or $XDG_CONFIG_HOME/sops/age/keys.txt (~/.config/sops/age/keys.txt)';

/**
 * Reads the age identities from where sops reads them: `SOPS_AGE_KEY`, `SOPS_AGE_KEY_FILE`, then
 * `$XDG_CONFIG_HOME/sops/age/keys.txt` (default `~/.config`). All found are used, as sops does.
 */
export async function loadAgeIdentities(env: NodeJS.ProcessEnv, cwd = process.cwd()): Promise<AgeIdentities> {
  const keys: string[] = [];
  const sources: string[] = [];
  const problems: string[] = [];
  const inline = env.SOPS_AGE_KEY;
  if (inline !== undefined && inline.trim() !== '') {
    const found = await parseIdentities(inline);
    keys.push(...found);
    sources.push('SOPS_AGE_KEY');
    if (found.length === 0) problems.push('SOPS_AGE_KEY holds no valid AGE-SECRET-KEY-1... line');
  }
  const file = env.SOPS_AGE_KEY_FILE;
  if (file !== undefined && file.trim() !== '') {
    // Relative to the working directory of the run, as sops reads it.
    await readIdentityFile(resolve(cwd, file), 'SOPS_AGE_KEY_FILE', keys, sources, problems, true);
  }
  const config = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME !== '' ? env.XDG_CONFIG_HOME : join(homeOf(env), '.config');
  await readIdentityFile(join(config, 'sops', 'age', 'keys.txt'), 'keys.txt', keys, sources, problems, false);
  return { keys: [...new Set(keys)], sources, problems };
}

function homeOf(env: NodeJS.ProcessEnv): string {
  return env.HOME && env.HOME !== '' ? env.HOME : homedir();
}

async function readIdentityFile(
  path: string,
  label: string,
  keys: string[],
  sources: string[],
  problems: string[],
  named: boolean,
): Promise<void> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as { code?: string }).code ?? 'I/O error';
    // The default file is optional; a file named by SOPS_AGE_KEY_FILE must be there.
    if (named || code !== 'ENOENT') problems.push(`${named ? `${label} ` : ''}${path} cannot be read (${code})`);
    return;
  }
  const found = await parseIdentities(text);
  keys.push(...found);
  sources.push(path);
  if (found.length === 0) problems.push(`${path} holds no valid AGE-SECRET-KEY-1... line`);
}

/**
 * The identity lines of an identities text (age-keygen's format: comments and blank lines skipped),
 * keeping only those that are valid identities (a mistyped one is skipped: it could open nothing).
 */
export async function parseIdentities(text: string): Promise<string[]> {
  const lines = text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => /^AGE-SECRET-KEY-(?:PQ-)?1[0-9A-Z]+$/.test(l));
  if (lines.length === 0) return [];
  const { Decrypter } = await loadTypage();
  return lines.filter((l) => isValidIdentity(Decrypter, l));
}

function isValidIdentity(Made: typeof Decrypter, identity: string): boolean {
  try {
    new Made().addIdentity(identity);
    return true;
  } catch {
    return false;
  }
}

/** Why age could not open something: no identity at all, none that matches, or a broken file. */
export class AgeError extends Error {
  constructor(
    message: string,
    readonly reason: 'no-identity' | 'no-match' | 'invalid',
  ) {
    super(message);
  }
}

const BINARY_HEADER = 'age-encryption.org/v1\n';
const ARMOR_HEADER = '-----BEGIN AGE ENCRYPTED FILE-----';

/** The form of an age file by its first bytes, or null when the bytes are not an age file. */
export function ageFormat(bytes: Uint8Array): 'binary' | 'armored' | null {
  const head = Buffer.from(bytes.subarray(0, 64)).toString('latin1');
  if (head.startsWith(BINARY_HEADER)) return 'binary';
  if (head.trimStart().startsWith(ARMOR_HEADER)) return 'armored';
  return null;
}

/** Decrypts an age file (binary or armored) with the identities. */
export async function decryptAge(bytes: Uint8Array, identities: AgeIdentities): Promise<Uint8Array> {
  if (identities.keys.length === 0) throw new AgeError('no age identity is available', 'no-identity');
  const format = ageFormat(bytes);
  const { armor } = await loadTypage();
  let binary: Uint8Array;
  try {
    binary = format === 'armored' ? armor.decode(Buffer.from(bytes).toString('latin1')) : bytes;
  } catch {
    throw new AgeError('is not a valid armored age file', 'invalid');
  }
  const decrypter = await decrypterFor(identities);
  try {
    // Given a stream, typage hands back a stream; given bytes, it collects the output through
    // `Response`, whose first use loads undici (tens of milliseconds) and costs per file after.
    return await readStream(await decrypter.decrypt(bytesStream(binary)));
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    if (/no identity matched/.test(message))
      throw new AgeError('none of the age identities given matches its recipients', 'no-match');
    throw new AgeError(`is not a valid age file (${message.slice(0, 80)})`, 'invalid');
  }
}

/** The bytes as a one-chunk stream. */
function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(bytes);
      controller.close();
    },
  });
}

/** Every chunk of a stream, joined. */
async function readStream(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
  }
  return chunks.length === 1 && chunks[0] ? chunks[0] : Buffer.concat(chunks);
}

/**
 * One Decrypter per set of identities, its X25519 identities imported once as WebCrypto keys:
 * given as strings, typage imports the private key and derives its public key again for every
 * file, which is most of the cost of a run over many encrypted files.
 */
const decrypters = new WeakMap<AgeIdentities, Promise<Decrypter>>();

function decrypterFor(identities: AgeIdentities): Promise<Decrypter> {
  let made = decrypters.get(identities);
  if (!made) {
    made = (async () => {
      const decrypter = new (await loadTypage()).Decrypter();
      for (const key of identities.keys) decrypter.addIdentity((await x25519CryptoKey(key)) ?? key);
      return decrypter;
    })();
    decrypters.set(identities, made);
  }
  return made;
}

/** PKCS #8 wrapping of a raw X25519 private key (RFC 8410): a fixed prefix, then the 32 bytes. */
const PKCS8_X25519_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const BECH32 = 'qpzry9x8gf2tvdw0s3jn54khce6mua7l';

/**
 * An `AGE-SECRET-KEY-1...` identity as a non-extractable WebCrypto X25519 key, or undefined when
 * it is another kind (post-quantum) or WebCrypto lacks X25519: typage then takes the string.
 */
async function x25519CryptoKey(identity: string): Promise<webcrypto.CryptoKey | undefined> {
  if (!identity.startsWith('AGE-SECRET-KEY-1')) return undefined;
  // bech32 data part without its 6 checksum characters (the identity was checked by typage already).
  const data = identity.slice('AGE-SECRET-KEY-1'.length, -6).toLowerCase();
  const bytes: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const c of data) {
    const v = BECH32.indexOf(c);
    if (v < 0) return undefined;
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((acc >> bits) & 0xff);
    }
  }
  if (bytes.length !== 32) return undefined;
  try {
    return await webcrypto.subtle.importKey(
      'pkcs8',
      Buffer.concat([PKCS8_X25519_PREFIX, Buffer.from(bytes)]),
      { name: 'X25519' },
      false,
      ['deriveBits'],
    );
  } catch {
    return undefined;
  }
}
