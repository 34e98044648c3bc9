// Pure: a JSON answer read as its bytes arrive, the elements of its list handed out one by one as
// soon as each is complete. A no-op plan over 10,000 resources reads about 50 MB of lists (every
// object with its key material). Read whole, that is the bytes, the text, and the parsed tree, all
// at once, the tree surviving long enough to be promoted and collected by a full GC. Read element
// by element, each element's strings die young, and JSON.parse of many small texts is also about
// three times faster than of one large one: no large-object-space strings, no promotions.
//
// What is split out: the elements of a top-level array, and of an array that is the value of one
// of `fields` in a top-level object (the list fields the dialect accepts). Everything else is kept,
// in order, as the skeleton: the document with each of those arrays replaced by a marker array
// (`{"success":true,"resultList":["<marker>#0"]}`), which the caller reads as the answer's body
// exactly as before (dialect, failure detection), and then asks `splitOf` which split array, if
// any, the body's list is (JSON.parse keeps the last of repeated keys, which may be one spelled
// with escapes that was not split). The document is JSON exactly when the skeleton is and every
// element is (each is checked by JSON.parse; an empty element, as in `[1,,2]` or `[1,]`, is not
// JSON either), so a document that is not JSON is still reported as such.
//
// Strings the caller already holds (`known`: key material it has read from the manifests) are
// recognised by their bytes and never decoded: an element is parsed with a placeholder in their
// place, which is then replaced by the caller's own string. In a no-op plan that is 90 % of the
// bytes, which would otherwise be copied twice (to text, then by JSON.parse) and collected.
import { isAscii } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import { decodeBody } from './http.js';

/** What the reader of a split list is told. */
export interface ListEvents {
  /** Split array number `id` opens, the value of `field` ('' for a top-level array). */
  open(id: number, field: string): void;
  /** One element of split array `id`, parsed. */
  element(id: number, value: unknown): void;
}

/** The document without its list elements, and what is known about the whole. */
export interface SplitEnd {
  /** The skeleton's text, decoded as the whole body would have been (a leading BOM dropped). */
  text: string;
  /** The whole body's length in characters (UTF-16 units of its UTF-8 text). */
  chars: number;
  /** True when an element was not JSON, or the document ended inside a string or container. */
  notJson: boolean;
}

/**
 * Strings recognised by the bytes of their JSON literal. `match` returns the string whose literal
 * (between the quotes) is exactly `bytes[start, end)`, if it knows one: only strings of printable
 * ASCII without `"` or `\\`, whose literal is their own bytes.
 */
export interface KnownStrings {
  match(bytes: Buffer, start: number, end: number): string | undefined;
}

/** Shorter strings are parsed as they are: not worth a lookup. */
const MIN_KNOWN_BYTES = 64;

/** Feeds a document's bytes in; `end()` when all have come. */
export interface ListSplitter {
  write(chunk: Buffer): void;
  end(): SplitEnd;
  /** The id of the split array that `list` (a value of the parsed skeleton) stands for, if it is one. */
  splitOf(list: unknown): number | undefined;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;
/** Longer keys are not list fields; their bytes are not kept. */
const MAX_KEY_BYTES = 64;

/**
 * Splits the list of a JSON document in `fields` (or a top-level array) as its bytes arrive.
 * `marker` names the split arrays in the skeleton and the known strings' placeholders:
 * unguessable by default, so that no answer can hold one.
 */
export function createListSplitter(
  fields: readonly string[],
  events: ListEvents,
  options: { marker?: string; known?: KnownStrings } = {},
): ListSplitter {
  const { marker = `list-stream:${randomUUID()}`, known } = options;
  const placeholder = `${marker}~`;
  const listFields = new Set(fields);
  let depth = 0;
  let top: 'unknown' | 'object' | 'array' | 'done' = 'unknown';
  let inString = false;
  /** Backslashes that ended the previous chunk inside the current string. */
  let carry = 0;
  // The last string at depth 1 of a top-level object (a key, in a document that is JSON).
  let capturing = false;
  let keyParts: Buffer[] = [];
  let keyBytes = 0;
  let lastKey: string | null = null;
  // The array being split: its id, the depth of its elements, the current element's pieces.
  let splits = 0;
  let field: string | null = null;
  let splitDepth = -1;
  let pieces: Buffer[] = [];
  /** Bytes of the current element in `pieces`, and whether they are all ASCII. */
  let pieceBytes = 0;
  let piecesAscii = true;
  /** Whether the chunk being read is all ASCII (checked once per chunk, not per element). */
  let chunkAscii = true;
  /** Known strings of the current element: where their literals are in its bytes, and the string. */
  let subs: { from: number; to: number; value: string }[] = [];
  /** Where the current string's opening quote is in this chunk; -1 when it began in an earlier one. */
  let stringStart = -1;
  /** Where the current element's bytes in the chunk being read start. */
  let elemFromNow = -1;
  let commas = 0;
  const skeleton: Buffer[] = [];
  let chars = 0;
  let notJson = false;

  const isJsonSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

  /** The element that ends before `end` in `chunk` (begun at `from`, or in earlier pieces). */
  function finishElement(chunk: Buffer, from: number, end: number, closing: boolean): void {
    const tail = chunk.subarray(from, end);
    const bytes = pieces.length === 0 ? tail : Buffer.concat([...pieces, tail]);
    const ascii = piecesAscii && chunkAscii;
    pieces = [];
    pieceBytes = 0;
    piecesAscii = true;
    const found = subs;
    subs = [];
    let k = 0;
    while (k < bytes.length && isJsonSpace(bytes[k] as number)) k += 1;
    if (k === bytes.length) {
      // `[]` (or `[ ]`) has no element; an empty one between commas or before `]` is not JSON.
      if (!closing || commas > 0) notJson = true;
      return;
    }
    const encoding = ascii ? 'latin1' : 'utf8';
    let text: string;
    if (found.length === 0) text = bytes.toString(encoding);
    else {
      // The known strings' literals replaced by placeholders (strings, so the JSON stays JSON).
      text = '';
      let at = 0;
      found.forEach((s, n) => {
        text += `${bytes.toString(encoding, at, s.from)}"${placeholder}${n}"`;
        at = s.to;
      });
      text += bytes.toString(encoding, at);
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      notJson = true;
      return;
    }
    events.element(splits - 1, found.length === 0 ? value : restore(value, found));
  }

  /** `value` with every placeholder string put back as the known string it stands for. */
  function restore(value: unknown, found: readonly { value: string }[]): unknown {
    if (typeof value === 'string') {
      if (!value.startsWith(placeholder)) return value;
      return found[Number(value.slice(placeholder.length))]?.value ?? value;
    }
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i += 1) value[i] = restore(value[i], found);
      return value;
    }
    const record = value as Record<string, unknown>;
    // A parsed object's keys are its own (Object.prototype has no enumerable ones); an own
    // `__proto__` key is an ordinary data property, so assigning to it does not touch the prototype.
    for (const key in record) {
      const v = record[key];
      const r = restore(v, found);
      if (r !== v) record[key] = r;
    }
    return record;
  }

  /** Records the string literal from the quote at `open` to the one at `close` if it is a known value. */
  function matchKnown(chunk: Buffer, open: number, close: number): void {
    // A key (followed by a colon) stays as it is; so does a string whose follower is in the next chunk.
    let k = close + 1;
    while (k < chunk.length && isJsonSpace(chunk[k] as number)) k += 1;
    if (k >= chunk.length || chunk[k] === COLON) return;
    const value = known?.match(chunk, open + 1, close);
    if (value === undefined) return;
    const base = pieceBytes - elemFromNow;
    subs.push({ from: base + open, to: base + close + 1, value });
  }

  function keyText(): string | null {
    if (keyBytes > MAX_KEY_BYTES) return null;
    return Buffer.concat(keyParts).toString('latin1');
  }

  function write(chunk: Buffer): void {
    const n = chunk.length;
    chunkAscii = isAscii(chunk);
    chars += chunkAscii ? n : utf16Length(chunk);
    if (notJson) return; // the answer is reported as not JSON; nothing more to split
    // Where the skeleton's or the element's bytes in this chunk start.
    let skelFrom = field === null ? 0 : -1;
    elemFromNow = field === null ? -1 : 0;
    let keyFrom = capturing ? 0 : -1;
    stringStart = -1;
    let i = 0;
    while (i < n) {
      if (inString) {
        let from = i; // where the current run of string bytes starts, for counting backslashes
        for (;;) {
          const q = nextQuote(chunk, i);
          if (q === -1) {
            // The string goes on in the next chunk: remember the backslashes it ends with.
            let k = n;
            while (k > from && chunk[k - 1] === BACKSLASH) k -= 1;
            carry = (k === from ? carry : 0) + (n - k);
            i = n;
            break;
          }
          let k = q;
          while (k > from && chunk[k - 1] === BACKSLASH) k -= 1;
          const run = q - k + (k === from ? carry : 0);
          carry = 0;
          if (run % 2 === 1) {
            i = q + 1; // an escaped quote
            from = i;
            continue;
          }
          inString = false;
          if (known !== undefined && field !== null && stringStart >= 0 && q - stringStart > MIN_KNOWN_BYTES)
            matchKnown(chunk, stringStart, q);
          if (capturing) {
            keyParts.push(chunk.subarray(keyFrom, q));
            keyBytes += q - keyFrom;
            lastKey = keyText();
            capturing = false;
            keyParts = [];
            keyFrom = -1;
          }
          i = q + 1;
          break;
        }
        continue;
      }
      const c = chunk[i] as number;
      if (c === QUOTE) {
        inString = true;
        carry = 0;
        stringStart = i;
        if (depth === 1 && top === 'object' && field === null) {
          capturing = true;
          keyParts = [];
          keyBytes = 0;
          keyFrom = i + 1;
        }
      } else if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
        let split: string | null = null;
        if (field === null) {
          if (depth === 0) {
            if (top === 'unknown') {
              top = c === OPEN_OBJECT ? 'object' : 'array';
              if (c === OPEN_ARRAY) split = '';
            }
          } else if (
            depth === 1 &&
            top === 'object' &&
            c === OPEN_ARRAY &&
            lastKey !== null &&
            listFields.has(lastKey)
          ) {
            split = lastKey;
          }
        }
        depth += 1;
        if (split !== null) {
          skeleton.push(Buffer.from(chunk.subarray(skelFrom, i + 1)));
          skeleton.push(Buffer.from(JSON.stringify(`${marker}#${splits}`)));
          skelFrom = -1;
          field = split;
          splitDepth = depth;
          commas = 0;
          pieces = [];
          pieceBytes = 0;
          piecesAscii = true;
          subs = [];
          elemFromNow = i + 1;
          events.open(splits, split);
          splits += 1;
        }
      } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        if (field !== null && depth === splitDepth) {
          finishElement(chunk, elemFromNow, i, true);
          field = null;
          elemFromNow = -1;
          skelFrom = i;
        }
        depth -= 1;
        if (depth < 0) notJson = true;
        if (depth === 0) top = top === 'unknown' ? 'unknown' : 'done';
      } else if (c === COMMA && field !== null && depth === splitDepth) {
        finishElement(chunk, elemFromNow, i, false);
        commas += 1;
        elemFromNow = i + 1;
      }
      if (notJson) return;
      i += 1;
    }
    if (capturing) {
      keyBytes += n - keyFrom;
      if (keyBytes <= MAX_KEY_BYTES) keyParts.push(Buffer.from(chunk.subarray(keyFrom, n)));
    }
    if (field !== null) {
      pieces.push(chunk.subarray(elemFromNow, n));
      piecesAscii &&= chunkAscii;
      pieceBytes += n - elemFromNow;
    } else skeleton.push(Buffer.from(chunk.subarray(skelFrom, n)));
  }

  return {
    write,
    end() {
      if (inString || depth !== 0 || field !== null) notJson = true;
      const bytes = Buffer.concat(skeleton);
      const text = decodeBody(bytes);
      // decodeBody drops a leading BOM of a UTF-8 body: the whole body's length loses it too.
      if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) chars -= 1;
      return { text, chars, notJson };
    },
    splitOf(list) {
      if (!Array.isArray(list) || list.length !== 1 || typeof list[0] !== 'string') return undefined;
      const m = /#(\d+)$/.exec(list[0]);
      return m && list[0] === `${marker}#${m[1]}` && Number(m[1]) < splits ? Number(m[1]) : undefined;
    },
  };
}

/** Strings up to this long are scanned here: a native indexOf call costs more than looking at them. */
const SHORT_SCAN = 32;

/** The index of the next `"` in `bytes` from `from`, or -1. */
function nextQuote(bytes: Buffer, from: number): number {
  const end = Math.min(bytes.length, from + SHORT_SCAN);
  for (let k = from; k < end; k += 1) if (bytes[k] === QUOTE) return k;
  return end < bytes.length ? bytes.indexOf(QUOTE, end) : -1;
}

/** UTF-16 length of UTF-8 bytes: one unit per sequence, two for a four-byte one (continuations add none). */
function utf16Length(bytes: Buffer): number {
  let units = 0;
  for (let i = 0; i < bytes.length; i += 1) {
    const b = bytes[i] as number;
    if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
  }
  return units;
}
