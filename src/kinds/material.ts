// Pure helpers the kind descriptors share for reading and comparing key material.
import { isBase64, normaliseBase64, Secret } from '../secret.js';
import type { ApiGeneration, CurrentSecret } from '../model.js';
import { isRecord } from '../text.js';

/**
 * The plan warning of a kind that JWKs can be made from (Keys and Keystores): the current API's
 * delete is sent with jwkDeleteAction=NULLIFY and leaves those JWKs without a source (SPEC §2b).
 */
export function jwkSourceDeleteWarning(generation: ApiGeneration): string | undefined {
  return generation === 'current'
    ? 'deletes are sent with jwkDeleteAction=NULLIFY: JWKs made from a deleted key or keystore lose their source'
    : undefined;
}

/** A plain string field of an API object: absent, null and '' are undefined. */
export function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * Binary secrets the caller already holds (the manifests' own): a listed value equal to one of
 * them is read as that Secret (see readSecret).
 */
export interface HeldSecrets {
  /** The held Secret whose text is exactly `text`, if any. */
  find(text: string): Secret | undefined;
  /**
   * The held Secret whose text is exactly `bytes[start, end)` read as ASCII, if any: a value
   * recognised before it is decoded (src/api/list-stream.ts). Only texts of printable ASCII without
   * `"` or `\\` (base64 is) are found this way, so that the bytes of a JSON literal are the text.
   */
  findBytes(bytes: Buffer, start: number, end: number): Secret | undefined;
}

/** How many characters of a text heldSecrets' index looks at (spread over the whole text). */
const SAMPLES = 16;

/** A cheap hash of a text: its length and SAMPLES characters spread over it. */
function sampleHash(text: string): number {
  const last = text.length - 1;
  let h = text.length;
  for (let i = 0; i < SAMPLES; i += 1)
    h = (Math.imul(h, 31) + text.charCodeAt(Math.floor((i * last) / (SAMPLES - 1)))) | 0;
  return h;
}

/** sampleHash of the ASCII text `bytes[start, end)`, from the bytes. */
function sampleHashOfBytes(bytes: Buffer, start: number, end: number): number {
  const last = end - start - 1;
  let h = end - start;
  for (let i = 0; i < SAMPLES; i += 1)
    h = (Math.imul(h, 31) + (bytes[start + Math.floor((i * last) / (SAMPLES - 1))] as number)) | 0;
  return h;
}

/** Printable ASCII without `"` and `\\`: a text whose JSON literal is its own bytes. */
const LITERAL_AS_IS = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * Held secrets, indexed by a sampled hash and confirmed by one comparison: a Map keyed by the text
 * would hash every listed value in full (50 MB of material in a large plan), several times slower
 * than the base64 scan it saves.
 */
export function heldSecrets(secrets: Iterable<Secret>): HeldSecrets {
  const index = new Map<number, Secret[]>();
  for (const s of secrets) {
    const text = s.reveal();
    const h = sampleHash(text);
    const bucket = index.get(h);
    if (bucket === undefined) index.set(h, [s]);
    else if (!bucket.some((b) => b === s || b.reveal() === text)) bucket.push(s);
  }
  // Built on the first findBytes: the texts as bytes, by the same hash.
  let byBytes: Map<number, { bytes: Buffer; secret: Secret }[]> | undefined;
  const bytesIndex = () => {
    const out = new Map<number, { bytes: Buffer; secret: Secret }[]>();
    for (const [h, bucket] of index) {
      const plain = bucket.filter((s) => LITERAL_AS_IS.test(s.reveal()));
      if (plain.length > 0)
        out.set(
          h,
          plain.map((secret) => ({ bytes: Buffer.from(secret.reveal(), 'latin1'), secret })),
        );
    }
    return out;
  };
  return {
    find(text) {
      if (text.length === 0) return undefined;
      const bucket = index.get(sampleHash(text));
      return bucket?.find((s) => s.reveal() === text);
    },
    findBytes(bytes, start, end) {
      if (end <= start) return undefined;
      byBytes ??= bytesIndex();
      const bucket = byBytes.get(sampleHashOfBytes(bytes, start, end));
      return bucket?.find((b) => b.bytes.length === end - start && b.bytes.compare(bytes, start, end) === 0)?.secret;
    },
  };
}

/**
 * A secret field as a legacy server reports it: absent, null or '' is undefined; a value that is
 * not base64 (a server that masks, `******`) is 'masked'; anything else is the value, wrapped. A
 * value in `held` is that Secret: held values are valid base64 already, so the text is neither
 * scanned nor kept twice (a no-op plan of 10,000 keys reads 50 MB of material it already has).
 */
export function readSecret(v: unknown, held?: HeldSecrets): CurrentSecret | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return 'masked';
  const same = held?.find(v);
  if (same !== undefined) return same;
  // One scan in the common case (valid base64); whitespace-only text counts as absent.
  if (isBase64(v)) return new Secret(v);
  return v.trim() === '' ? undefined : 'masked';
}

/** The environment name of an API environment entry, in any of the shapes servers use. */
export function environmentName(entry: Record<string, unknown>): string | undefined {
  return (
    text(entry.environmentName) ??
    text(entry.name) ??
    (isRecord(entry.environment) ? text(entry.environment.name) : text(entry.environment))
  );
}

/** The first of `fields` that holds a list, its object entries. */
function entries(raw: Record<string, unknown>, fields: readonly string[]): Record<string, unknown>[] {
  for (const f of fields) {
    const v = raw[f];
    if (Array.isArray(v)) return v.filter(isRecord);
  }
  return [];
}

/**
 * The environment entries of an API object (the first of `lists` it carries), each read by `read`
 * with its name; entries without a name (an id only) are left out.
 */
export function readEnvironments<E>(
  raw: Record<string, unknown>,
  lists: readonly string[],
  read: (entry: Record<string, unknown>, name: string) => E,
): E[] {
  const out: E[] = [];
  for (const e of entries(raw, lists)) {
    const name = environmentName(e);
    if (name !== undefined) out.push(read(e, name));
  }
  return out;
}

/** Base64 text of a secret with whitespace removed: the form in which binary secrets are sent. */
export function sendBinary(s: Secret): string {
  return normaliseBase64(s.reveal());
}

/** Text with line endings normalised and surrounding whitespace removed: how PEMs are compared. */
function normalisedText(bytes: Buffer): string {
  return bytes.toString('utf8').replace(/\r\n?/g, '\n').trim();
}

/**
 * Equality of key content (SPEC §2b): the export answers a PEM for PRIVATE/PUBLIC_KEY (compared as
 * text, line endings and surrounding whitespace aside) and, for a SECRET_KEY, either the base64
 * text the manifest holds or its decoded bytes. Both sides are base64 of what they hold.
 */
export function contentEquals(desired: Secret, current: Secret): boolean {
  if (desired.equals(current)) return true;
  const d = Buffer.from(normaliseBase64(desired.reveal()), 'base64');
  const c = Buffer.from(normaliseBase64(current.reveal()), 'base64');
  if (d.equals(c)) return true;
  const cText = normalisedText(c);
  if (normalisedText(d) === cText) return true;
  // A SECRET_KEY exported as the base64 text that was sent.
  return cText.replace(/\s+/g, '') === normaliseBase64(desired.reveal());
}
