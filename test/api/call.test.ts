// The call loop's own memory of secrets (createCaller): secrets are indexed after the requests of
// the moment are sent, and always before any text is scrubbed; a scrubbed message is reused only
// until the next secret arrives.
import { describe, expect, it } from 'vitest';
import { createCaller } from '../../src/api/call.js';
import { DEFAULT_RETRY_POLICY } from '../../src/api/retry.js';
import type { Transport } from '../../src/api/http.js';
import { systemClock } from '../../src/clock.js';
import { silentLogger } from '../../src/log.js';
import { SENSITIVE } from '../../src/secret.js';

const unused: Transport = {
  send: () => Promise.reject(new Error('no request is sent in these tests')),
  close: () => Promise.resolve(),
};

function caller() {
  return createCaller({
    transport: unused,
    auth: { token: 'token-for-the-call-tests' },
    basePath: '/apiops',
    server: 'http://127.0.0.1',
    timeoutMs: 1000,
    policy: DEFAULT_RETRY_POLICY,
    clock: systemClock,
    random: Math.random,
    logger: silentLogger(),
    signal: undefined,
    onRetry: undefined,
    onAnswer: undefined,
  });
}

describe('the call loop scrubs with every secret it was given', () => {
  it('masks a secret remembered just before, without waiting for the deferred indexing', () => {
    const c = caller();
    const secret = 'Zx9Qm2Lr7Tk4Wv8Np3Hs6Jd1';
    c.remember(secret);
    expect(c.scrub(`the server said: ${secret} is invalid`)).toBe(`the server said: ${SENSITIVE} is invalid`);
  });

  it('scrubs a message again once a new secret arrives, not from what it gave before', () => {
    const c = caller();
    const secret = 'Qa8Wz3Ek5Rt1Yu7Io2Pl9Km4';
    const text = `rejected ${secret} for production`;
    expect(c.scrub(text)).toBe(text); // nothing to mask yet
    c.remember(secret);
    expect(c.scrub(text)).toBe(`rejected ${SENSITIVE} for production`);
  });

  it('masks the token it was made with', () => {
    expect(caller().scrub('Bearer token-for-the-call-tests')).not.toContain('token-for-the-call-tests');
  });
});
