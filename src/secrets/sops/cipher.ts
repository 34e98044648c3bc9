// Pure: one SOPS value, `ENC[AES256_GCM,data:...,iv:...,tag:...,type:...]`, as sops' aes/cipher.go
// writes and reads it: AES-256-GCM with a 32-byte nonce, the value's path as additional data, and a
// type tag that says how the plaintext bytes read back (str, int, float, bool, bytes, time, comment).
// The AAD is what makes a value moved to another field fail: it was sealed with its own path.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

/** The types sops tags a value with; `comment` is an encrypted YAML comment. */
export type SopsValueType = 'str' | 'int' | 'float' | 'bool' | 'bytes' | 'time' | 'comment';

/** A leaf of a SOPS tree as sops' walk sees it: Go's string, int, float64 or bool. */
export type SopsScalar =
  | { type: 'str' | 'bytes' | 'time' | 'comment'; text: string }
  | { type: 'int'; value: bigint }
  | { type: 'float'; value: number }
  | { type: 'bool'; value: boolean };

/** The parts of an ENC[...] value. */
export interface EncryptedValue {
  data: Buffer;
  iv: Buffer;
  tag: Buffer;
  type: string;
}

/** sops' own nonce size (aes/cipher.go `nonceSize`): larger than GCM's usual 12, hashed into J0. */
export const SOPS_NONCE_BYTES = 32;
const TAG_BYTES = 16;

/** True when the text has the ENC[AES256_GCM,...] shape (it may still fail to decrypt). */
export function looksEncrypted(text: string): boolean {
  return text.startsWith('ENC[AES256_GCM,');
}

/**
 * The parts of an ENC[...] value, or null when it does not have sops' data format. Equivalent to
 * sops' expression (greedy groups: each separator is the last one that still leaves the others),
 * without a regular expression: values are kilobytes and there are thousands of them.
 */
export function parseEncrypted(text: string): EncryptedValue | null {
  const head = 'ENC[AES256_GCM,data:';
  if (!text.startsWith(head)) return null;
  const end = text.lastIndexOf(']');
  const typeAt = text.lastIndexOf(',type:', end);
  const tagAt = text.lastIndexOf(',tag:', typeAt);
  const ivAt = text.lastIndexOf(',iv:', tagAt);
  if (ivAt < head.length + 1 || tagAt < ivAt + 5 || typeAt < tagAt + 6 || end < typeAt + 7) return null;
  const data = text.slice(head.length, ivAt);
  const iv = text.slice(ivAt + 4, tagAt);
  const tag = text.slice(tagAt + 5, typeAt);
  const type = text.slice(typeAt + 6, end);
  if (/[\n\r]/.test(type)) return null; // sops' `.` matches no line break
  // Go's StdEncoding is strict (padding required, no whitespace): accept exactly what it does.
  const dataBytes = strictBase64Bytes(data);
  const ivBytes = strictBase64Bytes(iv);
  const tagBytes = strictBase64Bytes(tag);
  if (!dataBytes || !ivBytes || !tagBytes) return null;
  return { data: dataBytes, iv: ivBytes, tag: tagBytes, type };
}

/**
 * The bytes of standard base64 with padding, nothing else (Go's base64.StdEncoding), or null. Node's
 * decoder is lenient, so the text is checked too: text that encodes back to itself is canonical,
 * hence valid (the common case: one native pass, no scan); any other text is checked by the
 * expression (Go, like Node, ignores nonzero trailing bits).
 */
function strictBase64Bytes(text: string): Buffer | null {
  // A length that is a multiple of 4 leaves room for at most two '=' at the end.
  if (text.length === 0 || text.length % 4 !== 0) return null;
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') === text || STRICT_BASE64.test(text)) return bytes;
  return null;
}

const STRICT_BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Why a value could not be decrypted; never holds plaintext. */
export class SopsValueError extends Error {}

/**
 * Decrypts one ENC[...] value sealed under `aad` (the path, `a:b:c:`). The empty string is sops'
 * encryption of an empty value and decrypts to an empty string, as sops does.
 */
export function decryptValue(text: string, key: Uint8Array, aad: string): SopsScalar {
  if (text === '') return { type: 'str', text: '' };
  const parsed = parseEncrypted(text);
  if (!parsed) throw new SopsValueError("is not an ENC[AES256_GCM,...] value in sops' data format");
  if (parsed.iv.length === 0 || parsed.tag.length !== TAG_BYTES)
    throw new SopsValueError('has an iv or tag of the wrong length');
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, parsed.iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(parsed.tag);
    const head = decipher.update(parsed.data);
    const tail = decipher.final(); // empty for GCM: the whole plaintext came from update
    plain = tail.length === 0 ? head : Buffer.concat([head, tail]);
  } catch {
    throw new SopsValueError(
      'does not authenticate: it was changed, or moved here from another field, after sops encrypted it',
    );
  }
  return typedPlaintext(plain, parsed.type);
}

/** The plaintext bytes read as their tagged type, the way aes/cipher.go's Decrypt does. */
function typedPlaintext(plain: Buffer, type: string): SopsScalar {
  const text = plain.toString('utf8');
  switch (type) {
    case 'str':
    case 'bytes':
    case 'time':
    case 'comment':
      return { type, text };
    case 'int':
      if (!/^[+-]?\d+$/.test(text)) throw new SopsValueError('is tagged int but does not hold an integer');
      return { type, value: BigInt(text) };
    case 'float': {
      const value = Number(text);
      if (text.trim() === '' || Number.isNaN(value) !== /^[+-]?nan$/i.test(text))
        throw new SopsValueError('is tagged float but does not hold a number');
      return { type, value };
    }
    case 'bool': {
      // Go's strconv.ParseBool.
      if (['1', 't', 'T', 'TRUE', 'true', 'True'].includes(text)) return { type, value: true };
      if (['0', 'f', 'F', 'FALSE', 'false', 'False'].includes(text)) return { type, value: false };
      throw new SopsValueError('is tagged bool but does not hold a boolean');
    }
    default:
      throw new SopsValueError(`has an unknown type tag ${JSON.stringify(type.slice(0, 20))}`);
  }
}

/** The bytes sops hashes into the MAC for a leaf (sops.go ToBytes). */
export function macBytes(value: SopsScalar): Buffer {
  switch (value.type) {
    case 'int':
      return Buffer.from(value.value.toString(), 'utf8');
    case 'float':
      return Buffer.from(goFormatFloat(value.value), 'utf8');
    case 'bool':
      return Buffer.from(value.value ? 'True' : 'False', 'utf8');
    default:
      return Buffer.from(value.text, 'utf8');
  }
}

/**
 * Go's strconv.FormatFloat(v, 'f', -1, 64): the shortest digits that read back, never an exponent.
 * JavaScript's shortest form is the same digits, so only the exponent needs writing out.
 */
export function goFormatFloat(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, head, tail = '', exp] = m as unknown as [string, string, string, string | undefined, string];
  const digits = head + tail;
  const point = 1 + Number(exp); // position of the decimal point within digits
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/**
 * Encrypts one value as sops does (aes/cipher.go Encrypt): a fresh 32-byte nonce, the path as AAD,
 * the type tag of its Go type. An empty string stays empty, as in sops.
 */
export function encryptValue(value: SopsScalar, key: Uint8Array, aad: string, iv?: Uint8Array): string {
  if (value.type !== 'int' && value.type !== 'float' && value.type !== 'bool' && value.text === '') return '';
  const nonce = iv ?? randomBytes(SOPS_NONCE_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const data = Buffer.concat([cipher.update(macBytes(value)), cipher.final()]);
  const tag = cipher.getAuthTag();
  const type = value.type === 'bytes' ? 'str' : value.type; // sops writes []byte back as a string
  return `ENC[AES256_GCM,data:${data.toString('base64')},iv:${Buffer.from(nonce).toString('base64')},tag:${tag.toString('base64')},type:${type}]`;
}
