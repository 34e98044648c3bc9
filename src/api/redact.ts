/**
 * Scrubbing secrets out of text that is about to be printed: server messages, network errors,
 * URLs. A server may echo a secret in any form the request carried it in, and may cut it off, so
 * every remembered secret is searched for as:
 *
 *   - the raw value, its JSON-escaped form (also with `\/`), its URL-encoded form
 *     (encodeURIComponent, upper- and lower-case hex) and its form-encoded form (spaces as `+`);
 *   - for a short secret (a password, a token), its base64; for a base64 secret whose bytes are
 *     text (a PEM), that text and its forms;
 *   - any fragment of a form that begins or ends where the form does (a message quoting a request
 *     body cut off mid-secret, such as Jackson's `[Source: (String)"...`), of at least
 *     MIN_FRAGMENT characters, or of at least MIN_SHORT_FRAGMENT for a form shorter than
 *     SHORT_SECRET (a password);
 *   - and a fragment from the middle of a long form, once it is long enough to contain one of the
 *     sampled windows (at most MIDDLE_WINDOWS per form; see `remember`).
 *
 * Why 12: twelve base64 characters carry 72 bits, so a shorter fragment leaves at least 184 bits
 * of a 256-bit key unknown; and a twelve-character window of random base64 does not occur in
 * ordinary text by accident, so the scrubber does not mask words. Passwords are short and not
 * random: any prefix or suffix of 6 or more characters is masked (a wrong mask of a word is a
 * smaller harm than half a password in a CI log).
 *
 * Cost: an apply of 10,000 resources remembers 10,000+ secrets. Each form is indexed by a few
 * fixed-length windows in a hash map (window text -> where it occurs), so `scrub` reads its text
 * once per window length (at most four lengths), whatever the number of secrets: not quadratic.
 */
import { SENSITIVE, isBase64 } from '../secret.js';

/** Shortest fragment of a long secret that is masked. */
export const MIN_FRAGMENT = 12;
/** Shortest fragment of a short secret (a password, under SHORT_SECRET characters) that is masked. */
export const MIN_SHORT_FRAGMENT = 6;
/** Forms shorter than this are passwords or short tokens: few bits per character, so 6 characters are already too many. */
export const SHORT_SECRET = 32;
/** Shortest secret remembered at all: shorter values would mask ordinary words. */
export const MIN_SECRET = 4;
/** Windows sampled from the middle of a long form, besides its first and last. */
const MIDDLE_WINDOWS = 8;
/** Longest secret whose base64 is remembered too (passwords, tokens; not key material, already base64). */
const MAX_REENCODED = 256;
/** Forms are numbered; an index entry packs form number and offset in one number. */
const OFFSET_SPAN = 2 ** 25;

/** Remembers secrets and removes every form of them from text. */
export interface Redactor {
  /** Adds a secret (idempotent and cheap for a value already known). */
  remember(value: string): void;
  /** `text` with every remembered secret, in every form and fragment, replaced by the mask. */
  scrub(text: string): string;
}

/** A new, empty redactor; `mask` replaces what is scrubbed (default `(sensitive value)`). */
export function createRedactor(mask: string = SENSITIVE): Redactor {
  const known = new Set<string>();
  const forms: string[] = [];
  /** window length -> window text -> packed (form, offset) entry, or several. */
  const windows = new Map<number, Map<string, number | number[]>>();

  const index = (form: string, offset: number, length: number) => {
    let byText = windows.get(length);
    if (!byText) windows.set(length, (byText = new Map<string, number | number[]>()));
    const key = form.slice(offset, offset + length);
    const entry = (forms.length - 1) * OFFSET_SPAN + offset;
    const had = byText.get(key);
    if (had === undefined)
      byText.set(key, entry); // the common case: no array allocated
    else if (typeof had === 'number') byText.set(key, [had, entry]);
    else if (had.length < 64) had.push(entry); // the same window in many forms: a few suffice to extend from
  };

  /** Indexes a form: its first and last window, and (`middle`) windows sampled between them. */
  const addForm = (form: string, middle: boolean) => {
    if (form.length < MIN_SECRET || form.length >= OFFSET_SPAN) return;
    forms.push(form);
    const length = form.length;
    if (length < MIN_SHORT_FRAGMENT) {
      index(form, 0, length); // exact only
      return;
    }
    const w = length < SHORT_SECRET ? MIN_SHORT_FRAGMENT : MIN_FRAGMENT;
    index(form, 0, w);
    if (length > w) index(form, length - w, w);
    if (middle && w === MIN_FRAGMENT && length > 2 * w) {
      const stride = Math.max(w, Math.ceil(length / (MIDDLE_WINDOWS + 1)));
      for (let o = stride; o + w < length; o += stride) index(form, o, w);
    }
  };

  /**
   * The value and each encoding of it that differs. Middle windows only for the value itself and
   * its JSON form (what a server quotes back from a JSON body); the URL and form encodings, which
   * only a token request carries, get their ends: ten thousand keys stay cheap to remember.
   */
  const addWithEncodings = (value: string) => {
    addForm(value, true);
    const json = JSON.stringify(value).slice(1, -1);
    if (json !== value) addForm(json, true);
    if (json.includes('/')) addForm(json.replace(/\//g, '\\/'), false);
    const url = encodeURIComponent(value);
    if (url === value) return; // nothing to encode: the form encoding is the same too
    addForm(url, false);
    const lower = url.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    if (lower !== url) addForm(lower, false);
    const form = new URLSearchParams({ v: value }).toString().slice(2);
    if (form !== url && form !== lower) addForm(form, false);
  };

  return {
    remember(value) {
      if (value.length < MIN_SECRET || known.has(value)) return;
      known.add(value);
      addWithEncodings(value);
      if (value.length <= MAX_REENCODED && !isBase64(value))
        addForm(Buffer.from(value, 'utf8').toString('base64'), false);
      const text = base64Text(value);
      if (text !== null) addWithEncodings(text);
    },

    scrub(text) {
      if (forms.length === 0 || text.length < MIN_SECRET) return text;
      const spans: [number, number][] = [];
      for (const [w, byText] of windows) {
        for (let i = 0; i + w <= text.length; i += 1) {
          const found = byText.get(text.slice(i, i + w));
          if (found === undefined) continue;
          const entries = typeof found === 'number' ? [found] : found;
          let start = i;
          let end = i + w;
          for (const entry of entries) {
            const form = forms[Math.floor(entry / OFFSET_SPAN)] ?? '';
            const offset = entry % OFFSET_SPAN;
            let s = i;
            let fs = offset;
            while (s > 0 && fs > 0 && text.charCodeAt(s - 1) === form.charCodeAt(fs - 1)) {
              s -= 1;
              fs -= 1;
            }
            let e = i + w;
            let fe = offset + w;
            while (e < text.length && fe < form.length && text.charCodeAt(e) === form.charCodeAt(fe)) {
              e += 1;
              fe += 1;
            }
            if (s < start) start = s;
            if (e > end) end = e;
          }
          spans.push([start, end]);
          i = end - 1; // the rest of this match is masked already
        }
      }
      if (spans.length === 0) return text;
      spans.sort((a, b) => a[0] - b[0]);
      let out = '';
      let from = 0;
      for (const [s, e] of spans) {
        if (e <= from) continue;
        out += text.slice(from, Math.max(from, s)) + (s >= from ? mask : '');
        from = e;
      }
      return out + text.slice(from);
    },
  };
}

/** The text a base64 secret encodes, when its bytes are UTF-8 text (a PEM); null for binary or non-base64. */
function base64Text(value: string): string | null {
  if (value.length < 8 || !isBase64(value)) return null;
  const bytes = Buffer.from(value, 'base64');
  // Key material is random bytes: a control character turns up within the first few, and the
  // decoder (which throws on binary) is never asked.
  for (const b of bytes) if (b < 32 && b !== 9 && b !== 10 && b !== 13) return null;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    // Mostly printable: a DER key that happens to decode as UTF-8 is not text anyone would echo.
    let printable = 0;
    for (let i = 0; i < text.length; i += 1) {
      const c = text.charCodeAt(i);
      if (c >= 32 || c === 9 || c === 10 || c === 13) printable += 1;
    }
    return printable >= text.length * 0.95 ? text : null;
  } catch {
    return null; // not UTF-8: binary key material, whose raw and base64 forms are indexed
  }
}

/**
 * `text` with the user name and password of any URL in it masked (`https://***@host`), also when
 * the URL does not parse (a port typo): for messages that quote a server URL as given.
 */
export function maskUrlCredentials(text: string): string {
  // Up to the last `@` of the token: a password may hold `@` or `/` unencoded, and a URL that
  // does not parse has no reliable end of its authority.
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)\S*@/gi, (_, scheme: string) => `${scheme}***@`);
}
