// The list splitter must read exactly what the whole-body path read: the reference is the old path
// itself, JSON.parse of the decoded body (parseJson(decodeBody(bytes))), for valid documents and
// broken ones alike, however the bytes are cut into chunks.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LIST_FIELDS, parseJson } from '../../src/api/dialect.js';
import { decodeBody } from '../../src/api/http.js';
import { createListSplitter, type KnownStrings } from '../../src/api/list-stream.js';

/** The splitter's reading of `bytes` fed in `cuts` pieces: the body as JSON.parse would give it, or undefined. */
function splitRead(bytes: Buffer, cuts: number[], known?: KnownStrings): { body: unknown; chars: number } {
  const lists: unknown[][] = [];
  const splitter = createListSplitter(
    LIST_FIELDS,
    {
      open: (id) => (lists[id] = []),
      element: (id, value) => lists[id]!.push(value),
    },
    known ? { known } : {},
  );
  let at = 0;
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    splitter.write(bytes.subarray(at, cut));
    at = cut;
  }
  splitter.write(bytes.subarray(at));
  const end = splitter.end();
  if (end.notJson) return { body: undefined, chars: end.chars };
  let body = parseJson(end.text);
  if (body === undefined) return { body, chars: end.chars };
  // Put the elements back where the skeleton has a split array's marker.
  const id = splitter.splitOf(body);
  if (id !== undefined) body = lists[id];
  else if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    const record = body as Record<string, unknown>;
    for (const [field, v] of Object.entries(record)) {
      const at = splitter.splitOf(v);
      if (at !== undefined) record[field] = lists[at];
    }
  }
  return { body, chars: end.chars };
}

/** What the whole-body path read. */
const wholeRead = (bytes: Buffer) => parseJson(decodeBody(bytes));

/** Long strings, some of which a caller may hold: plain ASCII, and ones whose literal is not their text. */
const LONG = [
  'QUJD'.repeat(20),
  'MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAk87RZLkkBiddKGl5I1z7QB4KBOwmVnseWrPbzVbZr9TwUM5iF',
  `${'x'.repeat(70)}"quoted"`,
  `${'y'.repeat(70)}\\back`,
  `${'z'.repeat(70)}é`,
];

/** The contract of KnownStrings: plain ASCII texts only, matched by their bytes. */
function knownOf(texts: readonly string[]): KnownStrings {
  const plain = texts.filter((t) => /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/.test(t));
  return {
    match(b, start, end) {
      const t = b.toString('latin1', start, end);
      return plain.includes(t) ? t : undefined;
    },
  };
}

function expectSameReading(text: string | Buffer, cuts: number[] = [], known?: KnownStrings): void {
  const bytes = typeof text === 'string' ? Buffer.from(text) : text;
  const got = splitRead(bytes, cuts, known);
  expect(got.body).toEqual(wholeRead(bytes));
  expect(got.chars).toBe(decodeBody(bytes).length);
}

const SAMPLES = [
  '{"success":true,"resultList":[{"name":"k1","publicKey":"QUJD"},{"name":"k2"}]}',
  '{"status":"SUCCESS","resultList":[]}',
  '{"success":true,"resultList":[ ]}',
  '{"success":true}',
  '{"success":true,"resultList":null}',
  '[{"name":"a"},{"name":"b"}]',
  '[]',
  '  [ 1 , "two" , null , [3, [4]] , {"x":{"y":[]}} ]  ',
  '{"data":[{"name":"a"}],"result":[{"name":"b"}]}',
  '{"resultList":[{"name":"first"}],"resultList":[{"name":"second"}]}',
  '{"result\\u004cist":[{"name":"escaped"}],"resultList":[{"name":"plain"}]}',
  '{"resultList":[{"name":"plain"}],"result\\u004cist":[{"name":"escaped"}]}',
  '{"resultList":[[]],"result\\u004cist":[]}',
  '{"resultList":["list-stream:guess#0"]}',
  '{"a":{"resultList":[1,2]},"items":[{"n":"q\\"uote\\\\","m":"\\\\"},{"n":"\\\\\\""}]}',
  '{"resultList":[{"name":"Schlüssel – ключ 鍵 🔑"}]}',
  '\ufeff{"resultList":[{"name":"bom"}]}',
  '{"error":"bad_request","error_description":"no"}',
  // Not JSON, each in its own way.
  '{"resultList":[1,,2]}',
  '{"resultList":[1,2,]}',
  '{"resultList":[,]}',
  '{"resultList":[{"name":"a"} {"name":"b"}]}',
  '{"resultList":[{"name":"a"]}',
  '{"resultList":[{"name":"a"}}',
  '{"resultList":[{"name":"a"}]',
  '{"resultList":[{"name":"a',
  '{"resultList":["\\"]}',
  '{"a":"resultList" [1]}',
  '[1] [2]',
  '{"resultList":[1]}}',
  ']',
  '<html>502 Bad Gateway</html>',
  '',
  '   ',
  '{"resultList":[\ufeff1]}',
];

describe('createListSplitter', () => {
  it('reads every sample as the whole-body path does, cut at every byte', () => {
    for (const sample of SAMPLES) {
      const bytes = Buffer.from(sample);
      expectSameReading(bytes);
      for (let cut = 0; cut <= bytes.length; cut += 1) expectSameReading(bytes, [cut]);
    }
  });

  it('puts known strings back where they were, values only, however the bytes are cut', () => {
    const known = knownOf(LONG);
    const samples = [
      JSON.stringify({ resultList: LONG.map((l) => ({ name: 'a', v: l, list: [l, { deep: l }] })) }),
      JSON.stringify({ resultList: [Object.fromEntries(LONG.map((l, i) => [l, i]))] }),
      JSON.stringify({ resultList: [{ __proto__: LONG[0] }] }).replace('"__proto__"', '"__proto__"'),
      `{"resultList":[{"__proto__":"${LONG[0]}","k":"${LONG[1]}"  ,"j" : "${LONG[0]}"}]}`,
      JSON.stringify([LONG[0], LONG[1], 'short']),
      JSON.stringify({ message: LONG[0], resultList: [LONG[1]] }),
    ];
    for (const sample of samples) {
      const bytes = Buffer.from(sample);
      for (let cut = 0; cut <= bytes.length; cut += 7) expectSameReading(bytes, [cut], known);
    }
  });

  it('hands out the elements as they complete, before the document ends', () => {
    const seen: unknown[] = [];
    const splitter = createListSplitter(
      LIST_FIELDS,
      { open: () => {}, element: (_id, v) => seen.push(v) },
      { marker: 'M' },
    );
    splitter.write(Buffer.from('{"success":true,"resultList":[{"name":"a"},{"na'));
    expect(seen).toEqual([{ name: 'a' }]);
    splitter.write(Buffer.from('me":"b"}]}'));
    expect(seen).toEqual([{ name: 'a' }, { name: 'b' }]);
    expect(splitter.end()).toMatchObject({ text: '{"success":true,"resultList":["M#0"]}', notJson: false });
    expect(splitter.splitOf(['M#0'])).toBe(0);
    for (const other of [['M#1'], ['M#0', 'M#0'], 'M#0', ['N#0'], [], null])
      expect(splitter.splitOf(other)).toBeUndefined();
  });

  it('agrees with the whole-body path on generated documents, valid and broken, in random chunks', () => {
    const key = fc.constantFrom(...LIST_FIELDS, 'success', 'status', 'message', 'x', 'result\\u004cist', ...LONG);
    const value = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }),
      fc.constantFrom(...LONG),
      fc.dictionary(key, fc.constantFrom(...LONG)),
    );
    const doc = fc.oneof(
      fc.array(value, { maxLength: 5 }),
      fc.dictionary(key, fc.oneof(fc.array(value, { maxLength: 5 }), value), { maxKeys: 4 }),
    );
    fc.assert(
      fc.property(
        doc,
        fc.constantFrom(0, 1, 2),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.tuple(fc.nat(), fc.constantFrom('', ',', ']', '}', '"', '\\', '[', 'x', ' ')), { nil: undefined }),
        (value, indent, rawCuts, mutation) => {
          let text = JSON.stringify(value, null, indent).replace(/"result\\\\u004cist"/g, '"result\\u004cist"');
          if (mutation) {
            const [at, insert] = mutation;
            const i = at % (text.length + 1);
            text = insert === '' ? text.slice(0, i) : text.slice(0, i) + insert + text.slice(i);
          }
          const bytes = Buffer.from(text);
          const cuts = rawCuts.map((c) => c % (bytes.length + 1));
          expectSameReading(bytes, cuts);
          expectSameReading(bytes, cuts, knownOf(LONG));
        },
      ),
      { numRuns: 2000 },
    );
  });
});
