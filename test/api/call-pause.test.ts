// A wait before a retry goes through the call's `pause` (ResourceActions.pausing) only when the
// fault was the request's own: a 500, a 503 without Retry-After, a reset connection. A 429, or any
// answer naming a Retry-After, is the server asking for less, and the wait keeps the caller's slot.
import { describe, expect, it } from 'vitest';
import { createCaller } from '../../src/api/call.js';
import type { HttpAnswer } from '../../src/api/dialect.js';
import type { Transport } from '../../src/api/http.js';
import { DEFAULT_RETRY_POLICY } from '../../src/api/retry.js';
import { silentLogger } from '../../src/log.js';
import type { Clock } from '../../src/clock.js';

/** A clock whose sleeps end at once (the delays are the policy's; only their route is tested). */
const instant: Clock = { now: () => Date.now(), sleep: () => Promise.resolve() };

/** A transport answering from a script, then 200 {} for anything more. */
function scripted(answers: (HttpAnswer | Error)[]): Transport {
  return {
    send: () => {
      const next = answers.shift() ?? { status: 200, headers: {}, text: '{}' };
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
    },
    close: () => Promise.resolve(),
  };
}

async function pausesFor(answers: (HttpAnswer | Error)[]): Promise<{ pauses: number; ok: boolean }> {
  const c = createCaller({
    transport: scripted(answers),
    auth: { token: 'token-for-the-pause-tests' },
    basePath: '/apiops',
    server: 'http://127.0.0.1',
    timeoutMs: 1000,
    policy: { ...DEFAULT_RETRY_POLICY, baseMs: 1 },
    clock: instant,
    random: () => 0.5,
    logger: silentLogger(),
    signal: undefined,
    onRetry: undefined,
    onAnswer: undefined,
  });
  let pauses = 0;
  const path = '/apiops/projects/Payments/keys/';
  const r = await c.perform({
    ctx: c.context('create', 'POST', path),
    template: path,
    path,
    body: '{}',
    contentType: 'application/json',
    authenticated: true,
    pause: async (wait) => {
      pauses += 1;
      await wait();
    },
  });
  return { pauses, ok: r.ok };
}

const json = (status: number, headers: HttpAnswer['headers'] = {}): HttpAnswer => ({
  status,
  headers,
  text: JSON.stringify({ status: 'FAILURE', errors: [{ message: `failed with ${status}` }] }),
});
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });

describe('waits before a retry and the caller slot', () => {
  it.each([
    ['a 500', [json(500)]],
    ['a 503 without Retry-After', [json(503)]],
    ['a 502 then a reset connection', [json(502), reset()]],
  ])('lends the slot while waiting after %s', async (_name, answers) => {
    const faults = answers.length;
    const { pauses, ok } = await pausesFor([...answers]);
    expect(ok).toBe(true);
    expect(pauses).toBe(faults);
  });

  it.each([
    ['a 429 with Retry-After', [json(429, { 'retry-after': '0' })]],
    ['a 429 without Retry-After', [json(429)]],
    ['a 503 with Retry-After', [json(503, { 'retry-after': '0' })]],
  ])('keeps the slot while waiting after %s', async (_name, answers) => {
    const { pauses, ok } = await pausesFor([...answers]);
    expect(ok).toBe(true);
    expect(pauses).toBe(0);
  });
});
