/**
 * Scrubbing secrets out of text that is about to be printed: server messages, network errors,
 * URLs, pull-request comments. Output must be safe and true at once (docs/troubleshooting.md,
 * "What redaction masks"):
 *
 * **Safe: decode, then search.** A server may echo a secret in any encoding, or a mix of them, and
 * may cut it. The text is decoded first (HTML entities named, decimal and hex; percent-encoding in
 * either case, UTF-8 sequences included; JSON escapes `\uXXXX`, `\/`, `\n` ...; repeated, so that
 * double encoding is undone too), then whitespace is dropped (base64 re-wrapped at any width; a
 * secret with spaces is also searched with `+` for them, as form encoding writes it). Each secret is searched in that stream in the forms an
 * encoder cannot produce by escaping characters: the value, the text a base64 value encodes (a
 * PEM), the base64 of a short value, and the hex of its bytes (any case). A match is mapped back to
 * the characters of the original text it came from, which are masked.
 *
 *   - Any fragment of 12 or more characters of a form that begins or ends where the form does (a
 *     message quoting a body cut off mid-secret) is masked; so is a fragment from the middle once it
 *     holds one of the windows indexed for the form (every window of a short form, at most
 *     WINDOWS_PER_FORM spread over a long one).
 *   - Why 12: twelve base64 characters carry 72 bits, so a shorter fragment leaves at least 184
 *     bits of a 256-bit key unknown; and a twelve-character window of random text does not occur
 *     in ordinary text by accident.
 *   - A strong short secret (a random password or token under SHORT_SECRET characters) also has
 *     its first and last 6 characters searched, unless the fragment found is only letters (a word).
 *
 * **True: a short or word-like secret is matched as a whole value only.** A secret under 12
 * characters, or one of at most 20 made of letters with at most four digits after them (`test`,
 * `changeit`, `Password1`), is masked only where it stands as a complete value: the whole text, a quoted
 * string, the value after `=` or `:` or after `Bearer` / `Basic` (except after a key that names something public: name,
 * environment, project, alias, type). So "Deployment to environment test failed" stays as the
 * server wrote it, and `"password":"test"` is masked. Its base64 and hex are masked as whole tokens.
 *
 * Cost: an apply of 10,000 resources remembers 10,000+ secrets. Forms are indexed by fixed-length
 * windows in hash maps (window text -> where it occurs), so `scrub` reads its text once per window
 * length, whatever the number of secrets: not quadratic.
 */
import { SENSITIVE, isBase64 } from '../secret.js';

/** Shortest fragment of a secret that is masked wherever it stands. */
export const MIN_FRAGMENT = 12;
/** Shortest end fragment of a strong short secret (under SHORT_SECRET characters) that is masked. */
export const MIN_SHORT_FRAGMENT = 6;
/** Forms shorter than this are passwords or short tokens: their 6-character ends are searched too. */
export const SHORT_SECRET = 32;
/** Shortest secret remembered at all: shorter values would mask ordinary words. */
export const MIN_SECRET = 4;
/** Longest secret that counts as word-like when it is letters (and a few digits): a passphrase word or two. */
const MAX_WORD = 20;
/** Windows indexed along a long form; a short one has every window indexed. */
const WINDOWS_PER_FORM = 64;
/** Longest secret whose base64 and hex are remembered too (passwords, tokens; not key material). */
const MAX_REENCODED = 256;
/** Longest form indexed (longer values are not key material anyone sends). */
const OFFSET_SPAN = 2 ** 25;
/** Most entries kept for one window text (the same window in many forms: a few suffice to extend from). */
const MAX_ENTRIES = 64;
/** Multiplier of the windows' polynomial hash (odd; arithmetic is mod 2^32). */
const HASH_BASE = 0x01000193;
/** A hash is cut to 30 bits: a small integer, so a map key costs no allocation. */
const HASH_MASK = 0x3fffffff;
/** Passes of decoding: enough for double encoding (`%252F`, `&amp;#x2F;`) and one more. */
const DECODE_PASSES = 3;

/** Remembers secrets and removes every form of them from text. */
export interface Redactor {
  /** Adds a secret (idempotent and cheap for a value already known). */
  remember(value: string): void;
  /** `text` with every remembered secret, in every form and fragment, replaced by the mask. */
  scrub(text: string): string;
}

/**
 * True for a secret that could spell an ordinary word or value: under 12 characters, or letters
 * followed by at most four digits. Such a secret is masked as a whole value only (see above).
 */
export function isWordLike(value: string): boolean {
  return value.length < MIN_FRAGMENT || (value.length <= MAX_WORD && /^\p{L}+\d{0,4}$/u.test(value));
}

/**
 * One index of windows of one length: hash of the window text -> entries (numbers into the
 * redactor's entry arrays: form and offset). Hashes, not the windows' text: a remembered secret
 * costs its forms and a few numbers per window, not a string per window. Two windows may share a
 * hash, so every hit is compared with the form's own text before it counts.
 */
type WindowIndex = Map<number, number | number[]>;

/** The raw (uncut) hash of source[start, start + w). */
function windowHash(source: string, start: number, w: number): number {
  let h = 0;
  for (let k = 0; k < w; k += 1) h = (Math.imul(h, HASH_BASE) + source.charCodeAt(start + k)) | 0;
  return h;
}

/** HASH_BASE^(w - 1) mod 2^32: what the first character of a window weighs, to roll it out. */
function leadWeight(w: number): number {
  let p = 1;
  for (let k = 1; k < w; k += 1) p = Math.imul(p, HASH_BASE);
  return p;
}

/** True when a[at, at + w) and b[bt, bt + w) are the same characters. */
function sameWindow(a: string, at: number, b: string, bt: number, w: number): boolean {
  for (let k = 0; k < w; k += 1) if (a.charCodeAt(at + k) !== b.charCodeAt(bt + k)) return false;
  return true;
}

/** A new, empty redactor; `mask` replaces what is scrubbed (default `(sensitive value)`). */
export function createRedactor(mask: string = SENSITIVE): Redactor {
  const known = new Set<string>();
  /** Forms searched in the compact stream; `hex` forms are compared ignoring case. */
  const forms: { text: string; hex: boolean }[] = [];
  /** window length -> index, for case-sensitive forms and for hex forms (lower-cased). */
  const exact = new Map<number, WindowIndex>();
  const hexes = new Map<number, WindowIndex>();
  /** Entry n of an index: window at entryOffset[n] of forms[entryForm[n]] (small integers, packed arrays). */
  const entryForm: number[] = [];
  const entryOffset: number[] = [];
  /** Word-like secrets, matched as whole values in the decoded text. */
  const words = new Set<string>();
  /** The base64 and hex of word-like secrets, matched as whole tokens. */
  const wordTokens = new Set<string>();

  const index = (hex: boolean, form: number, offset: number, length: number) => {
    const byLength = hex ? hexes : exact;
    let byText = byLength.get(length);
    if (!byText) byLength.set(length, (byText = new Map<number, number | number[]>()));
    const text = forms[form]?.text ?? '';
    const key = windowHash(text, offset, length) & HASH_MASK;
    const had = byText.get(key);
    if (had !== undefined && typeof had !== 'number' && had.length >= MAX_ENTRIES) {
      // Full for this window text? Other windows sharing its hash still get their own entries.
      let same = 0;
      for (const e of had) {
        const other = forms[entryForm[e] ?? 0]?.text ?? '';
        if (sameWindow(other, entryOffset[e] ?? 0, text, offset, length)) same += 1;
      }
      if (same >= MAX_ENTRIES) return;
    }
    const entry = entryForm.push(form) - 1;
    entryOffset.push(offset);
    if (had === undefined)
      byText.set(key, entry); // the common case: no array allocated
    else if (typeof had === 'number') byText.set(key, [had, entry]);
    else had.push(entry);
  };

  /** Indexes a strong form: its ends, windows along it, and for a short one its 6-character ends. */
  const addForm = (raw: string, hex: boolean) => {
    const text = hex ? raw.toLowerCase() : compact(raw);
    if (text.length < MIN_FRAGMENT || text.length >= OFFSET_SPAN) return;
    const n = forms.push({ text, hex }) - 1;
    const w = MIN_FRAGMENT;
    const last = text.length - w;
    // Hex forms are rarely echoed in part: fewer windows keep ten thousand keys cheap to remember.
    const stride = Math.max(1, Math.ceil(last / (hex ? WINDOWS_PER_FORM / 4 : WINDOWS_PER_FORM)));
    for (let o = 0; o < last; o += stride) index(hex, n, o, w);
    index(hex, n, last, w);
    if (!hex && text.length < SHORT_SECRET) {
      index(hex, n, 0, MIN_SHORT_FRAGMENT);
      index(hex, n, text.length - MIN_SHORT_FRAGMENT, MIN_SHORT_FRAGMENT);
    }
  };

  /** A text form, and as form encoding writes it: a space as `+`, which no decoding can tell from a real `+`. */
  const addText = (value: string) => {
    addForm(value, false);
    if (value.includes(' ')) addForm(value.replace(/ /g, '+'), false);
  };

  return {
    remember(value) {
      if (value.length < MIN_SECRET || known.has(value)) return;
      known.add(value);
      const bytes = Buffer.from(value, 'utf8');
      if (isWordLike(value)) {
        words.add(value);
        wordTokens.add(bytes.toString('base64'));
        wordTokens.add(bytes.toString('base64').replace(/=+$/, ''));
        wordTokens.add(bytes.toString('hex'));
        return;
      }
      addText(value);
      if (value.length <= MAX_REENCODED) {
        if (!isBase64(value)) addForm(bytes.toString('base64'), false);
        addForm(bytes.toString('hex'), true);
      }
      const decoded =
        isBase64(value) && value.length >= 8 ? Buffer.from(value.replace(/\s+/g, ''), 'base64') : undefined;
      const text = decoded ? base64Text(decoded) : null;
      if (text !== null) addText(text);
      if (decoded && decoded.length <= 4096) addForm(decoded.toString('hex'), true);
    },

    scrub(text) {
      if ((forms.length === 0 && words.size === 0) || text.length < MIN_SECRET) return text;
      if (cannotHold(text)) return text;
      // Every level is searched, the raw text included: decoding can destroy a secret that was
      // there as written (`%50AAAA...` is a base64 secret after a '%', and "P" once decoded).
      const spans: [number, number][] = [];
      for (const decoded of decodeLevels(text)) {
        if (forms.length > 0) findForms(decoded, spans);
        if (words.size > 0) findWords(decoded, spans);
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

  /**
   * True when scrubbing `text` cannot mask anything, proved by the very lookups the full scrub
   * makes, without the position bookkeeping: the text has nothing to decode (no `%`, `&`, `\\`,
   * so decoding leaves it as written and it is its only level), no window of its compact stream
   * is in any index, and no token of it is a word-like secret or its base64 or hex. Any hit, even
   * one the full scrub would then reject, goes to the full scrub; so the answer is the same.
   */
  function cannotHold(text: string): boolean {
    if (/[%&\\]/.test(text)) return false;
    if (forms.length > 0) {
      const stream = compact(text);
      if (hitsIndex(stream, exact)) return false;
      if (hexes.size > 0 && hitsIndex(stream.toLowerCase(), hexes)) return false;
    }
    if (words.size > 0) {
      if (words.has(text.trim())) return false;
      for (const m of text.matchAll(/[A-Za-z0-9+/=_-]{4,}/g)) if (wordTokens.has(m[0])) return false;
      for (const m of text.matchAll(/[^\s"'`=:&,;()[\]{}<>]+/gu)) if (words.has(m[0])) return false;
    }
    return true;
  }

  /** Strong forms in the compact stream; spans in the original text. */
  function findForms(decoded: Decoded, spans: [number, number][]): void {
    const stream = squeeze(decoded);
    const lower = hexes.size > 0 ? stream.text.toLowerCase() : '';
    for (const hex of [false, true]) {
      const source = hex ? lower : stream.text;
      for (const [w, byText] of hex ? hexes : exact) {
        if (source.length < w) continue;
        const lead = leadWeight(w);
        let h = windowHash(source, 0, w);
        for (let i = 0; i + w <= source.length; i += 1) {
          if (i > 0) {
            h =
              (Math.imul(h - Math.imul(source.charCodeAt(i - 1), lead), HASH_BASE) + source.charCodeAt(i + w - 1)) | 0;
          }
          const found = byText.get(h & HASH_MASK);
          if (found === undefined) continue;
          let start = -1;
          let end = -1;
          for (const entry of typeof found === 'number' ? [found] : found) {
            const form = forms[entryForm[entry] ?? 0]?.text ?? '';
            const offset = entryOffset[entry] ?? 0;
            if (!sameWindow(source, i, form, offset, w)) continue; // another window with the same hash
            let s = i;
            let fs = offset;
            while (s > 0 && fs > 0 && source.charCodeAt(s - 1) === form.charCodeAt(fs - 1)) {
              s -= 1;
              fs -= 1;
            }
            let e = i + w;
            let fe = offset + w;
            while (e < source.length && fe < form.length && source.charCodeAt(e) === form.charCodeAt(fe)) {
              e += 1;
              fe += 1;
            }
            // A short end fragment that is only letters is a word, not half a password.
            if (e - s < MIN_FRAGMENT && fe - fs < form.length && /^\p{L}+$/u.test(source.slice(s, e))) continue;
            if (start < 0 || s < start) start = s;
            if (e > end) end = e;
          }
          if (start < 0) continue;
          spans.push([stream.starts[start] ?? 0, stream.ends[end - 1] ?? 0]);
          const next = end - 1; // the rest of this match is masked already
          if (next > i && next + w <= source.length) h = windowHash(source, next, w);
          i = next;
        }
      }
    }
  }

  /** Word-like secrets as whole values, their base64 and hex as whole tokens. */
  function findWords(decoded: Decoded, spans: [number, number][]): void {
    const d = decoded.text;
    const trimmed = d.trim();
    if (words.has(trimmed)) {
      const lead = d.length - d.trimStart().length;
      spans.push([decoded.starts[lead] ?? 0, decoded.ends[lead + trimmed.length - 1] ?? 0]);
      return;
    }
    for (const m of d.matchAll(/[A-Za-z0-9+/=_-]{4,}/g)) {
      if (!wordTokens.has(m[0])) continue;
      spans.push([decoded.starts[m.index] ?? 0, decoded.ends[m.index + m[0].length - 1] ?? 0]);
    }
    for (const m of d.matchAll(/[^\s"'`=:&,;()[\]{}<>]+/gu)) {
      if (!words.has(m[0]) || !inValuePosition(d, m.index, m.index + m[0].length)) continue;
      spans.push([decoded.starts[m.index] ?? 0, decoded.ends[m.index + m[0].length - 1] ?? 0]);
    }
  }
}

/** Keys whose values are public names: a word-like secret after them is a name, not the secret. */
const PUBLIC_KEYS =
  /(?:^|[^A-Za-z])(?:name|env|environment|environmentName|envName|project|projectName|alias|type|keyType|kind)$/i;

/**
 * True when text[start, end) stands as a complete value: a whole quoted string, or the value after
 * `=` or `:` up to a delimiter (not after a key naming something public).
 */
function inValuePosition(text: string, start: number, end: number): boolean {
  const before = text[start - 1];
  const after = text[end];
  if ((before === '"' || before === "'") && after === before) {
    // `"name":"test"` is a name; `"password":"test"` and a lone quoted value are values.
    const key = /["']?\s*[:=]\s*$/.exec(text.slice(0, start - 1));
    if (!key) return true;
    return !PUBLIC_KEYS.test(text.slice(0, key.index).replace(/["'\s]+$/, ''));
  }
  if (after !== undefined && !/[\s"'&,;)\]}]/.test(after)) return false;
  // A credential after its scheme: `Authorization: Bearer dev-token`, `Basic ...`.
  if (/\b(?:Bearer|Basic|Token)\s+$/i.test(text.slice(Math.max(0, start - 16), start))) return true;
  const lead = /([A-Za-z0-9_.-]*)["']?\s*[:=]\s*$/.exec(text.slice(Math.max(0, start - 64), start));
  if (!lead) return false;
  return !PUBLIC_KEYS.test(lead[1] ?? '');
}

/** True when the hash of some window of `source` is a key of one of `indexes` (window length -> index). */
function hitsIndex(source: string, indexes: Map<number, WindowIndex>): boolean {
  for (const [w, byText] of indexes) {
    if (source.length < w) continue;
    const lead = leadWeight(w);
    let h = windowHash(source, 0, w);
    if (byText.has(h & HASH_MASK)) return true;
    for (let i = 1; i + w <= source.length; i += 1) {
      h = (Math.imul(h - Math.imul(source.charCodeAt(i - 1), lead), HASH_BASE) + source.charCodeAt(i + w - 1)) | 0;
      if (byText.has(h & HASH_MASK)) return true;
    }
  }
  return false;
}

/** Text with whitespace removed: how a form is compared with the compact stream. */
function compact(text: string): string {
  return text.replace(/\s+/g, '');
}

/** Decoded text, and for each of its characters the original text's [start, end). */
interface Decoded {
  text: string;
  starts: number[];
  ends: number[];
}

/** The compact stream of decoded text (whitespace and `+` dropped), positions kept. */
function squeeze(d: Decoded): Decoded {
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  for (let i = 0; i < d.text.length; i += 1) {
    const c = d.text[i] ?? '';
    if (/\s/.test(c)) continue;
    text += c;
    starts.push(d.starts[i] ?? 0);
    ends.push(d.ends[i] ?? 0);
  }
  return { text, starts, ends };
}

/** `text` decoded up to DECODE_PASSES times, each character mapped to where it came from. */
export function decode(text: string): Decoded {
  return decodeLevels(text).at(-1)!;
}

/** `text` as written, then after each decoding pass that changed it (at most DECODE_PASSES). */
function decodeLevels(text: string): Decoded[] {
  let current: Decoded = {
    text,
    starts: Array.from({ length: text.length }, (_, i) => i),
    ends: Array.from({ length: text.length }, (_, i) => i + 1),
  };
  const levels = [current];
  for (let pass = 0; pass < DECODE_PASSES; pass += 1) {
    const next = decodeOnce(current);
    if (next.text === current.text) break;
    current = next;
    levels.push(current);
  }
  return levels;
}

const NAMED_ENTITIES: Record<string, string> = {
  amp: '&',
  lt: '<',
  gt: '>',
  quot: '"',
  apos: "'",
  sol: '/',
  bsol: '\\',
  plus: '+',
  equals: '=',
  colon: ':',
  semi: ';',
  comma: ',',
  period: '.',
  lpar: '(',
  rpar: ')',
  num: '#',
  percnt: '%',
  excl: '!',
  quest: '?',
  dollar: '$',
  lowbar: '_',
  hyphen: '-',
  dash: '-',
  ast: '*',
  commat: '@',
  lsqb: '[',
  rsqb: ']',
  lcub: '{',
  rcub: '}',
  verbar: '|',
  grave: '`',
  tilde: '~',
  Hat: '^',
  nbsp: '\u00a0',
  NewLine: '\n',
  Tab: '\t',
};

const JSON_ESCAPES: Record<string, string> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

/** One pass over `d`: entities, percent-encoding (as UTF-8) and JSON escapes decoded. */
function decodeOnce(d: Decoded): Decoded {
  const src = d.text;
  let text = '';
  const starts: number[] = [];
  const ends: number[] = [];
  const emit = (chars: string, from: number, to: number) => {
    for (const c of chars) {
      for (let k = 0; k < c.length; k += 1) {
        text += c[k];
        starts.push(d.starts[from] ?? 0);
        ends.push(d.ends[to - 1] ?? 0);
      }
    }
  };
  let i = 0;
  while (i < src.length) {
    const c = src[i];
    if (c === '&') {
      const m = /^&(?:#[xX]([0-9a-fA-F]{1,6})|#([0-9]{1,7})|([A-Za-z][A-Za-z0-9]{1,31}));?/.exec(src.slice(i, i + 40));
      const code = m?.[1] !== undefined ? parseInt(m[1], 16) : m?.[2] !== undefined ? parseInt(m[2], 10) : undefined;
      const named = m?.[3] !== undefined && Object.hasOwn(NAMED_ENTITIES, m[3]) ? NAMED_ENTITIES[m[3]] : undefined;
      if (m && (named !== undefined || (code !== undefined && code <= 0x10ffff))) {
        emit(named ?? String.fromCodePoint(code ?? 0), i, i + m[0].length);
        i += m[0].length;
        continue;
      }
    } else if (c === '%') {
      // A run of %XX: bytes, decoded as UTF-8 where they form it, else one character per byte.
      let j = i;
      const bytes: number[] = [];
      while (/^%[0-9a-fA-F]{2}$/.test(src.slice(j, j + 3))) {
        bytes.push(parseInt(src.slice(j + 1, j + 3), 16));
        j += 3;
      }
      if (bytes.length > 0) {
        let b = 0;
        while (b < bytes.length) {
          const lead = bytes[b] ?? 0;
          const size = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
          const piece = Buffer.from(bytes.slice(b, b + size));
          const utf8 = size > 1 && piece.length === size ? utf8Char(piece) : undefined;
          const used = utf8 !== undefined ? size : 1;
          emit(utf8 ?? String.fromCharCode(lead), i + b * 3, i + (b + used) * 3);
          b += used;
        }
        i = j;
        continue;
      }
    } else if (c === '\\') {
      const next = src[i + 1] ?? '';
      if (next === 'u' && /^[0-9a-fA-F]{4}$/.test(src.slice(i + 2, i + 6))) {
        emit(String.fromCharCode(parseInt(src.slice(i + 2, i + 6), 16)), i, i + 6);
        i += 6;
        continue;
      }
      const escaped = JSON_ESCAPES[next];
      if (escaped !== undefined) {
        emit(escaped, i, i + 2);
        i += 2;
        continue;
      }
    }
    emit(c ?? '', i, i + 1);
    i += 1;
  }
  return { text, starts, ends };
}

/** One UTF-8 character from its bytes, or undefined when they are not one. */
function utf8Char(bytes: Buffer): string | undefined {
  try {
    const s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
    return [...s].length === 1 ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The text a base64 secret's bytes are, when they are UTF-8 text (a PEM); null for binary. */
function base64Text(bytes: Buffer): string | null {
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
    return null; // not UTF-8: binary key material, whose raw, base64 and hex forms are indexed
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
