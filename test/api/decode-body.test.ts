import { describe, expect, it } from 'vitest';
import { decodeBody } from '../../src/api/http.js';

/** What the transport gave before: WHATWG TextDecoder (BOM dropped, invalid bytes as U+FFFD). */
const decoded = (bytes: Buffer) => new TextDecoder('utf-8').decode(bytes);

describe('decodeBody', () => {
  it('decodes an answer exactly as TextDecoder does', () => {
    const samples = [
      Buffer.from('{"resultList":[{"name":"k1","publicKey":"QUJD"}]}'),
      Buffer.from(''),
      Buffer.from('\ufeff{"a":"b"}'),
      Buffer.from('{"name":"Schlüssel – ключ 鍵 🔑"}'),
      Buffer.from([0x7b, 0x22, 0xc3, 0x28, 0xe2, 0x82, 0xff, 0xf0, 0x9f, 0x94, 0x22, 0x7d]),
      Buffer.from([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, 0x31]),
    ];
    for (const bytes of samples) expect(decodeBody(bytes)).toBe(decoded(bytes));
  });
});
