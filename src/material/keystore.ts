// Opens JKS and PKCS12 keystores (jks-js, node-forge) to list their entries and certificates;
// detects the format from the bytes.
import { createHash, timingSafeEqual } from 'node:crypto';
import type * as ForgeTypes from 'node-forge';
import { setBounded } from './bounded.js';
import { DerivationNeeded, type DerivationRequest, loadForge, loadJks, withPasswordBytes } from './forge.js';

/** The keystore formats this module can open. */
export type KeystoreFormat = 'JKS' | 'PKCS12';

/** One entry of an opened keystore: its alias and its certificates (DER), chain order. */
export interface KeystoreEntry {
  alias: string;
  certificates: Buffer[];
  /** A trusted certificate entry (JKS trustedCertEntry, PKCS12 certificate without a key): a truststore's CA. */
  trusted: boolean;
}

/** The outcome of opening a keystore with a password; failures carry no library message. */
export type OpenedKeystore =
  | { ok: true; entries: KeystoreEntry[]; unnamedCertificates: Buffer[]; unnamedTrusted: boolean }
  | { ok: false; reason: OpenFailure }
  /** A key derivation costlier than INLINE_ROUNDS that was not computed beforehand (derive.ts). */
  | { ok: false; reason: 'costly'; request: DerivationRequest };

/** Why a keystore did not open. `wrong-password-or-encoding`: a non-ASCII password none of the encodings opened. */
export type OpenFailure = 'wrong-password' | 'wrong-password-or-encoding' | 'damaged' | 'unsupported';

const JKS_MAGIC = 0xfeedfeed;
const JCEKS_MAGIC = 0xcececece;

/**
 * The format the bytes are in, from their first bytes: JKS (magic FEEDFEED, version 1 or 2),
 * JCEKS (CECECECE), PKCS12 (a DER SEQUENCE whose first element is INTEGER 3), or undefined.
 */
export function detectKeystoreFormat(bytes: Buffer): KeystoreFormat | 'JCEKS' | undefined {
  if (bytes.length >= 8) {
    const magic = bytes.readUInt32BE(0);
    const version = bytes.readUInt32BE(4);
    if (magic === JKS_MAGIC && (version === 1 || version === 2)) return 'JKS';
    if (magic === JCEKS_MAGIC) return 'JCEKS';
  }
  if (bytes[0] !== 0x30 || bytes.length < 5) return undefined;
  // Skip the SEQUENCE's length (short form, or long form with 1-4 length bytes).
  const first = bytes[1] ?? 0;
  const offset = first < 0x80 ? 2 : first > 0x80 && first <= 0x84 ? 2 + (first - 0x80) : -1;
  if (offset < 0) return undefined;
  return bytes[offset] === 0x02 && bytes[offset + 1] === 0x01 && bytes[offset + 2] === 0x03 ? 'PKCS12' : undefined;
}

/**
 * Stores opened lately, by a digest of format, password and bytes. The derivation step (derive.ts)
 * and the check after it open the same stores, and each open decodes the whole file again (a
 * PKCS12 store: 1-2 ms of forge). Holds no secret: an outcome lists aliases and certificates, and
 * the key is a digest. Bounded for watch, whose stores keep changing.
 */
const recentlyOpened = new Map<string, OpenedKeystore>();
const MAX_RECENTLY_OPENED = 64;

/** Opens a keystore of a known format with its password and lists its entries. */
export function openKeystore(bytes: Buffer, format: KeystoreFormat, password: string): OpenedKeystore {
  // The password's length first: no password and store can run into another pair's.
  const key = createHash('sha256')
    .update(`${format}\u0000${password.length}\u0000${password}`)
    .update(bytes)
    .digest('base64');
  const known = recentlyOpened.get(key);
  if (known) return known;
  const opened = format === 'JKS' ? openJks(bytes, password) : openPkcs12(bytes, password);
  // 'costly' is not an outcome of the store: once derive.ts has computed the keys, it opens.
  if (!opened.ok && opened.reason === 'costly') return opened;
  setBounded(recentlyOpened, key, opened, MAX_RECENTLY_OPENED);
  return opened;
}

function openJks(bytes: Buffer, password: string): OpenedKeystore {
  // The integrity check is done here rather than by jks-js, which skips it for an empty password
  // (a JKS store made with one still carries the digest) and reports it only as an Error text.
  if (bytes.length < 12 + 20) return { ok: false, reason: 'damaged' };
  if (!jksDigestMatches(bytes, password)) return { ok: false, reason: 'wrong-password' };
  try {
    const parsed = loadJks().parseJks(bytes, password);
    return {
      ok: true,
      entries: parsed.map((entry) => ({
        alias: entry.alias,
        certificates: 'cert' in entry ? [entry.cert.value] : entry.chain.map((c) => c.value),
        trusted: 'cert' in entry,
      })),
      unnamedCertificates: [],
      unnamedTrusted: false,
    };
  } catch {
    return { ok: false, reason: 'damaged' };
  }
}

/**
 * The JKS integrity rule: the last 20 bytes are SHA-1 over the password (UTF-16BE), the text
 * "Mighty Aphrodite" and everything before the digest.
 */
function jksDigestMatches(bytes: Buffer, password: string): boolean {
  const hash = createHash('sha1');
  const pass = Buffer.alloc(password.length * 2);
  for (let i = 0; i < password.length; i += 1) pass.writeUInt16BE(password.charCodeAt(i), i * 2);
  hash
    .update(pass)
    .update('Mighty Aphrodite', 'utf8')
    .update(bytes.subarray(0, bytes.length - 20));
  return timingSafeEqual(hash.digest(), bytes.subarray(bytes.length - 20));
}

/**
 * The encodings a PKCS12 password is tried in. The MAC key derivation takes the password as
 * BMPString (UTF-16), PBKDF2 as bytes; for ASCII every tool agrees. For other characters tools
 * differ: OpenSSL 3 and Java (UTF-16 of the characters for the MAC, UTF-8 for PBKDF2), OpenSSL 1.x
 * (each UTF-8 byte taken as a character for the MAC), and forge (one byte per character for PBKDF2).
 */
function passwordVariants(password: string): { text: string; pbkdf2: 'utf8' | 'latin1' }[] {
  const variants: { text: string; pbkdf2: 'utf8' | 'latin1' }[] = [{ text: password, pbkdf2: 'utf8' }];
  const highest = Math.max(0, ...[...password].map((c) => c.codePointAt(0) ?? 0));
  if (highest < 0x80) return variants;
  variants.push({ text: Buffer.from(password, 'utf8').toString('latin1'), pbkdf2: 'latin1' });
  if (highest <= 0xff) variants.push({ text: password, pbkdf2: 'latin1' });
  return variants;
}

function openPkcs12(bytes: Buffer, password: string): OpenedKeystore {
  const variants = passwordVariants(password);
  let first: OpenedKeystore | undefined;
  for (const v of variants) {
    let opened: OpenedKeystore;
    try {
      opened = withPasswordBytes(v.pbkdf2, () => openPkcs12As(bytes, v.text));
    } catch (error) {
      if (error instanceof DerivationNeeded) return { ok: false, reason: 'costly', request: error.request };
      throw error;
    }
    if (opened.ok || opened.reason === 'unsupported') return opened;
    first ??= opened;
  }
  // A password with characters other tools encode otherwise: say so rather than "damaged".
  if (variants.length > 1) return { ok: false, reason: 'wrong-password-or-encoding' };
  return first ?? { ok: false, reason: 'damaged' };
}

function openPkcs12As(bytes: Buffer, password: string): OpenedKeystore {
  const forge = loadForge();
  let p12: ReturnType<typeof forge.pkcs12.pkcs12FromAsn1>;
  try {
    const asn1 = forge.asn1.fromDer(bytes.toString('binary'));
    p12 = forge.pkcs12.pkcs12FromAsn1(asn1, true, password);
  } catch (error) {
    if (error instanceof DerivationNeeded) throw error; // openPkcs12 says so; not a verdict on the file
    // forge's errors are plain texts; only their fixed wording tells the causes apart.
    const text = error instanceof Error ? error.message : '';
    if (/MAC could not be verified/i.test(text)) return { ok: false, reason: 'wrong-password' };
    if (/unsupported/i.test(text)) return { ok: false, reason: 'unsupported' };
    return { ok: false, reason: 'damaged' };
  }
  const byAlias = new Map<string, KeystoreEntry>();
  for (const contents of p12.safeContents) {
    for (const bag of contents.safeBags) {
      const alias = (bag.attributes as { friendlyName?: string[] }).friendlyName?.[0] ?? '';
      let entry = byAlias.get(alias);
      if (!entry) byAlias.set(alias, (entry = { alias, certificates: [], trusted: true }));
      if (bag.type === forge.pki.oids.keyBag || bag.type === forge.pki.oids.pkcs8ShroudedKeyBag) entry.trusted = false;
      if (bag.type !== forge.pki.oids.certBag) continue;
      // forge parses RSA certificates only; for the others it keeps the ASN.1 it read.
      const asn1 = bag.cert ? forge.pki.certificateToAsn1(bag.cert) : (bag as { asn1?: ForgeTypes.asn1.Asn1 }).asn1;
      if (asn1) entry.certificates.push(Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary'));
    }
  }
  // Bags without a friendly name (a chain added by openssl -certfile) have no alias a manifest
  // could name, but their certificates still expire.
  const unnamed = byAlias.get('')?.certificates ?? [];
  // Unnamed certificates beside a key are taken as its chain; in a store without any key, as CAs.
  const anyKey = [...byAlias.values()].some((e) => !e.trusted);
  byAlias.delete('');
  return { ok: true, entries: [...byAlias.values()], unnamedCertificates: unnamed, unnamedTrusted: !anyKey };
}
