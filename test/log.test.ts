import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger, redactPaths } from '../src/log.js';

describe('log redaction', () => {
  it('hides every secret field of every kind and the credentials, wherever they sit in a log object', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    const logger = createLogger({ format: 'json', level: 'info', destination: sink });
    const secrets = ['PUB-1', 'PRIV-2', 'CONTENT-3', 'FILE-4', 'PASSWORD-5', 'TOKEN-6'];
    logger.info(
      {
        publicKey: secrets[0],
        body: { privateKey: secrets[1], content: secrets[2], file: secrets[3], password: secrets[4] },
        token: secrets[5],
      },
      'x',
    );
    const out = lines.join('');
    for (const s of secrets) expect(out).not.toContain(s);
    expect(redactPaths()).toEqual(expect.arrayContaining(['content', '*.content', 'password', '*.file']));
  });
});
