// The Secret wrapper: every printed form of a secret value (toString, toJSON, inspect) shows
// `(sensitive value)`; only the API client unwraps it, with reveal().
import { inspect } from 'node:util';

/** What every printed form of a secret shows instead of the value. */
export const SENSITIVE = '(sensitive value)';

/**
 * A secret value (base64 text of key material or a keystore file). Every way of turning it into
 * text by accident (template strings, JSON.stringify, console.log, util.inspect, pino) prints
 * `(sensitive value)`; only `reveal()` gives the value, and only the API client and the
 * fingerprint code call it.
 */
export class Secret {
  readonly #value: string;

  constructor(value: string) {
    this.#value = value;
  }

  /** The base64 text itself. Call only where it leaves the process for the API, or is hashed. */
  reveal(): string {
    return this.#value;
  }

  /** True when both hold the same base64 text, ignoring whitespace. */
  equals(other: Secret): boolean {
    // Most comparisons are of identical text; normalising 20,000 key-sized strings is measurable.
    return this.#value === other.#value || normaliseBase64(this.#value) === normaliseBase64(other.#value);
  }

  toString(): string {
    return SENSITIVE;
  }

  toJSON(): string {
    return SENSITIVE;
  }

  [inspect.custom](): string {
    return SENSITIVE;
  }
}

/** A control, space or non-ASCII character: what normaliseBase64 must look at more closely. */
const MAYBE_SPACE = /[^\x21-\x7e]/;

/** Base64 text with all whitespace removed: the form in which secrets are compared and sent. */
export function normaliseBase64(text: string): string {
  // Keys and keystores are kilobytes each and a plan holds thousands: look for anything that could
  // be whitespace (a control or non-ASCII character) before paying for a copy; the regular
  // expression engine's native scan is several times faster than a loop over the characters.
  return MAYBE_SPACE.test(text) ? text.replace(/\s+/g, '') : text;
}

/** Character classes for isBase64: 1 alphabet, 2 padding, 3 whitespace (ignored), 0 anything else. */
const BASE64_CLASS = (() => {
  const table = new Uint8Array(128);
  for (const c of 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/') table[c.charCodeAt(0)] = 1;
  table['='.charCodeAt(0)] = 2;
  for (const c of [9, 10, 11, 12, 13, 32]) table[c] = 3;
  return table;
})();

/** A character that is neither base64's alphabet nor its padding (whitespace included). */
const NOT_BASE64_CHAR = /[^A-Za-z0-9+/=]/;

/** True when the text (whitespace ignored) is canonical standard base64 with correct padding. */
export function isBase64(text: string): boolean {
  // This runs on every secret of every listed object (50 MB in a no-op plan of 10,000 keys): the
  // usual text, alphabet and padding only, is checked by the regular expression engine's native
  // scan, three times faster than the loop below, which handles the rest (whitespace, junk).
  if (!NOT_BASE64_CHAR.test(text)) {
    const n = text.length;
    if (n === 0 || n % 4 !== 0) return false;
    const pad = text.indexOf('=');
    // Padding only at the end, one or two characters of it.
    return pad === -1 || pad === n - 1 || (pad === n - 2 && text.charCodeAt(n - 1) === 61);
  }
  return isBase64Slow(text);
}

/** isBase64 one character at a time: whitespace is ignored, anything else outside the alphabet fails. */
function isBase64Slow(text: string): boolean {
  let length = 0;
  let padding = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    const cls =
      c < 128
        ? BASE64_CLASS[c]
        : c === 0xa0 ||
            c === 0xfeff ||
            (c >= 0x2000 && c <= 0x200a) ||
            c === 0x2028 ||
            c === 0x2029 ||
            c === 0x202f ||
            c === 0x205f ||
            c === 0x3000 ||
            c === 0x1680
          ? 3
          : 0;
    if (cls === 3) continue;
    if (cls === 0) return false;
    if (cls === 2) padding += 1;
    else if (padding > 0) return false; // alphabet after padding
    if (padding > 2) return false;
    length += 1;
  }
  return length > 0 && length % 4 === 0;
}
