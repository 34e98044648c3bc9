// isBase64 against an independent reference: a regular expression of canonical, padded standard
// base64, applied to the text with whitespace removed.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isBase64 } from '../src/secret.js';

const CANONICAL = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const reference = (text: string) => {
  const bare = text.replace(/\s+/g, '');
  return bare.length > 0 && CANONICAL.test(bare);
};

describe('isBase64', () => {
  it('agrees with the reference on fixed cases', () => {
    const cases = [
      'QUJD',
      'QQ==',
      'QUI=',
      'Q===',
      '====',
      '=QUI',
      'QU=I',
      'QUJ',
      '',
      ' ',
      'QU JD',
      'QUJD\n',
      'QQ=\n=',
      'QUJD*',
      'QUJDé',
      '\u00a0QUJD',
    ];
    for (const c of cases) expect(isBase64(c), JSON.stringify(c)).toBe(reference(c));
  });

  it('agrees with the reference on generated text', () => {
    const char = fc.constantFrom(...'ABCXYZabxyz0189+/=', ' ', '\n', '\t', '*', '-', '_', '\u00a0', '\u2028', 'é');
    fc.assert(
      fc.property(fc.array(char, { maxLength: 24 }), (chars) => {
        const text = chars.join('');
        expect(isBase64(text)).toBe(reference(text));
      }),
      { numRuns: 5000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        const text = Buffer.from(bytes).toString('base64');
        expect(isBase64(text)).toBe(reference(text));
      }),
    );
  });
});
