// Pure: parses PEM and DER key material with node:crypto into keys and certificates, without
// printing or keeping any of it beyond the check.
import { createPrivateKey, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';

/** What a key value turned out to hold. Everything here stays in memory; nothing is printed. */
export interface ParsedKeyMaterial {
  /** `pem` when the bytes are PEM text, `der` when a DER structure parsed, `none` otherwise. */
  encoding: 'pem' | 'der' | 'none';
  privateKeys: KeyObject[];
  publicKeys: KeyObject[];
  certificates: X509Certificate[];
  /** Private keys that need a passphrase (ENCRYPTED PRIVATE KEY, or Proc-Type: 4,ENCRYPTED). */
  encryptedKeys: number;
}

// A PEM block: the label must match at both ends. Headers (Proc-Type) are part of the body.
const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;
const PRIVATE_LABELS = new Set(['PRIVATE KEY', 'RSA PRIVATE KEY', 'EC PRIVATE KEY', 'DSA PRIVATE KEY']);
const PUBLIC_LABELS = new Set(['PUBLIC KEY', 'RSA PUBLIC KEY']);
// Blocks that accompany keys in ordinary files and say nothing about them.
const IGNORED_LABELS = new Set(['EC PARAMETERS', 'DH PARAMETERS']);

/**
 * Reads key material as PEM text (every block) or, when the bytes hold no PEM marker, as one DER
 * structure: a private key (pkcs8, pkcs1, sec1), a public key (spki, pkcs1) or an X.509
 * certificate. Never throws; what does not parse is simply absent from the result.
 */
export function parseKeyMaterial(bytes: Buffer): ParsedKeyMaterial {
  const result: ParsedKeyMaterial = {
    encoding: 'none',
    privateKeys: [],
    publicKeys: [],
    certificates: [],
    encryptedKeys: 0,
  };
  // latin1 maps every byte to one character, so binary DER can be scanned for a marker safely.
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN ')) {
    for (const match of text.matchAll(PEM_BLOCK)) readPemBlock(match[0], match[1] ?? '', result);
    if (countParsed(result) > 0 || result.encryptedKeys > 0) result.encoding = 'pem';
    return result;
  }
  readDer(bytes, result);
  if (countParsed(result) > 0) result.encoding = 'der';
  return result;
}

function countParsed(m: ParsedKeyMaterial): number {
  return m.privateKeys.length + m.publicKeys.length + m.certificates.length;
}

function readPemBlock(block: string, label: string, into: ParsedKeyMaterial): void {
  if (IGNORED_LABELS.has(label)) return;
  // Old-style encrypted PEM says so in a header; OpenSSL's error for it names no passphrase.
  if (label === 'ENCRYPTED PRIVATE KEY' || (PRIVATE_LABELS.has(label) && block.includes('Proc-Type: 4,ENCRYPTED'))) {
    into.encryptedKeys += 1;
    return;
  }
  try {
    if (PRIVATE_LABELS.has(label)) into.privateKeys.push(createPrivateKey(block));
    else if (PUBLIC_LABELS.has(label)) into.publicKeys.push(createPublicKey(block));
    else if (label === 'CERTIFICATE' || label === 'X509 CERTIFICATE')
      into.certificates.push(new X509Certificate(block));
  } catch {
    // a damaged block: the caller reports material that parses as nothing
  }
}

// Private forms first: createPublicKey accepts a private key too (it derives the public half),
// which would make a private key in a public field look harmless.
const DER_PRIVATE = ['pkcs8', 'pkcs1', 'sec1'] as const;
const DER_PUBLIC = ['spki', 'pkcs1'] as const;

function readDer(bytes: Buffer, into: ParsedKeyMaterial): void {
  // Every DER key or certificate is a SEQUENCE; skipping other bytes avoids six failing parses.
  if (bytes.length < 8 || bytes[0] !== 0x30) return;
  for (const type of DER_PRIVATE) {
    try {
      into.privateKeys.push(createPrivateKey({ key: bytes, format: 'der', type }));
      return;
    } catch (error) {
      if ((error as { code?: unknown }).code === 'ERR_MISSING_PASSPHRASE') {
        into.encryptedKeys += 1;
        return;
      }
    }
  }
  for (const type of DER_PUBLIC) {
    try {
      into.publicKeys.push(createPublicKey({ key: bytes, format: 'der', type }));
      return;
    } catch {
      // not this form; try the next
    }
  }
  try {
    into.certificates.push(new X509Certificate(bytes));
  } catch {
    // not a certificate either: the caller reports material that parses as nothing
  }
}
