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

describe('createLogger', () => {
  function sinkLines(): { sink: Writable; lines: string[] } {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(chunk.toString('utf8'));
        done();
      },
    });
    return { sink, lines };
  }

  it('writes the lines at or above its level and drops the others before pino is ever made', () => {
    const { sink, lines } = sinkLines();
    const logger = createLogger({ format: 'json', level: 'warn', destination: sink });
    logger.info({ n: 1 }, 'below the level');
    logger.debug('below the level too');
    expect(lines).toEqual([]);
    expect(logger.level).toBe('warn');
    logger.warn({ n: 2 }, 'at the level');
    logger.error('above it');
    expect(lines.map((l) => (JSON.parse(l) as { msg: string; level: number }).msg)).toEqual([
      'at the level',
      'above it',
    ]);
    expect((JSON.parse(lines[0] ?? '{}') as { n?: number; level?: number }).level).toBe(40);
    expect(logger.isLevelEnabled('info')).toBe(false);
  });

  it('writes nothing at level silent, and refuses a level pino does not know', () => {
    const { sink, lines } = sinkLines();
    const logger = createLogger({ format: 'json', level: 'silent', destination: sink });
    logger.fatal('never');
    logger.error('never');
    expect(lines).toEqual([]);
    expect(() => createLogger({ format: 'json', level: 'loud', destination: sink })).toThrow(/level/);
  });
});
