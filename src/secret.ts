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

/** Base64 text with all whitespace removed: the form in which secrets are compared and sent. */
export function normaliseBase64(text: string): string {
  return text.replace(/\s+/g, '');
}

/** True when the text (whitespace ignored) is canonical standard base64 with correct padding. */
export function isBase64(text: string): boolean {
  const t = normaliseBase64(text);
  if (t.length === 0 || t.length % 4 !== 0) return false;
  return /^[A-Za-z0-9+/]*={0,2}$/.test(t);
}
