// A word after `&` that names an Object.prototype member (`&toString`, `&constructor`) is not an
// HTML entity: scrubbing such text must neither throw nor decode it (a random surrounding found
// the TypeError in test/api/redact.test.ts).
import { describe, expect, it } from 'vitest';
import { createRedactor } from '../../src/api/redact.js';

describe('createRedactor and entity-like words', () => {
  it('leaves &toString, &constructor and &__proto__ as they are, and still masks the secret', () => {
    const secret = 'c2VjcmV0LXZhbHVlLWZvci1hLXRlc3Q=';
    const redactor = createRedactor();
    redactor.remember(secret);
    for (const word of ['&toString', '&constructor;', '&hasOwnProperty', '&valueOf']) {
      const out = redactor.scrub(`${word} ${secret} ${word}`);
      expect(out).not.toContain(secret);
      expect(out.startsWith(word)).toBe(true);
    }
  });
});
