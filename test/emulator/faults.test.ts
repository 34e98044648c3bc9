import { afterEach, describe, expect, it } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { keyBody } from './builders.js';
import { call, requestToken } from './http.js';

const started: RunningEmulator[] = [];
async function emulatorWith(options: EmulatorOptions): Promise<RunningEmulator> {
  const e = await startEmulator(options);
  started.push(e);
  return e;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.close()));
});

/** The status of a call, or 'reset' when the connection was dropped without an answer. */
async function outcome(
  e: RunningEmulator,
  method = 'GET',
  path = '/apiops/projects/Payments/keys/',
  body?: unknown,
): Promise<number | 'reset'> {
  try {
    return (await call(e, method, path, { body })).status;
  } catch (err) {
    expect(String((err as Error).cause ?? err)).toMatch(/socket|ECONNRESET|closed|terminated/i);
    return 'reset';
  }
}

describe('emulator fault injection', () => {
  it.each([
    ['500', 500, { error: 'internal_error' }],
    ['503', 503, { error: 'service_unavailable' }],
    ['429', 429, { error: 'rate_limit_exceeded', retry_after: 0 }],
  ] as const)('injects %s with its documented body', async (kind, status, body) => {
    const e = await emulatorWith({ failRate: 1, failKinds: [kind], retryAfterSeconds: 0 });
    const reply = await call(e, 'GET', '/apiops/projects/');
    expect(reply.status).toBe(status);
    expect(reply.body).toMatchObject(body);
    expect(reply.body.error_description).toEqual(expect.any(String));
    if (kind === '429') expect(reply.headers.get('retry-after')).toBe('0');
    expect(e.stats().faults).toBe(1);
  });

  it('sends Retry-After and retry_after with the configured seconds, in both dialects', async () => {
    const e = await emulatorWith({ failRate: 1, failKinds: ['429'] });
    const documented = await call(e, 'GET', '/apiops/projects/');
    expect(documented.headers.get('retry-after')).toBe('1');
    expect(documented.body.retry_after).toBe(1);
    e.configure({ dialect: 'status', retryAfterSeconds: 3 });
    const status = await call(e, 'GET', '/apiops/projects/');
    expect(status.status).toBe(429);
    expect(status.headers.get('retry-after')).toBe('3');
    expect(status.body).toEqual({ status: 'FAILURE', resultMessage: expect.any(String), retry_after: 3 });
  });

  it('resets the connection without an answer', async () => {
    const e = await emulatorWith({ failRate: 1, failKinds: ['reset'] });
    expect(await outcome(e)).toBe('reset');
    expect(e.stats().faults).toBe(1);
  });

  it.each(['500', '429', '503', 'reset'] as const)('a create failed with %s changes nothing', async (kind) => {
    const e = await emulatorWith({ failRate: 1, failKinds: [kind], retryAfterSeconds: 0 });
    expect(await outcome(e, 'POST', '/apiops/projects/Payments/keys/', keyBody('k'))).not.toBe(200);
    expect(e.store.size()).toBe(0);
    expect(e.stats().writes).toBe(0);
    e.configure({ failRate: 0 });
    expect(await outcome(e, 'POST', '/apiops/projects/Payments/keys/', keyBody('k'))).toBe(200);
  });

  it('repeats the same fault sequence for the same seed, and another for another seed', async () => {
    const sequence = async (seed: number) => {
      const e = await emulatorWith({ failRate: 0.5, seed, retryAfterSeconds: 0 });
      const seen: (number | 'reset')[] = [];
      for (let i = 0; i < 24; i++) seen.push(await outcome(e));
      return seen;
    };
    const a = await sequence(42);
    expect(await sequence(42)).toEqual(a);
    expect(await sequence(7)).not.toEqual(a);
    expect(new Set(a)).toEqual(new Set([200, 500, 429, 503, 'reset']));
  });

  it('restarts the sequence when configure() gets a seed', async () => {
    const e = await emulatorWith({ failRate: 0.5, seed: 5, failKinds: ['500'] });
    const run = async () => {
      const seen = [];
      for (let i = 0; i < 10; i++) seen.push(await outcome(e));
      return seen;
    };
    const first = await run();
    e.configure({ seed: 5 });
    expect(await run()).toEqual(first);
  });

  it('never faults token issuance or the /__emulator endpoints', async () => {
    const e = await emulatorWith({ failRate: 1, failKinds: ['500'] });
    expect((await requestToken(e, 'admin', 'admin')).status).toBe(200);
    expect((await call(e, 'GET', '/__emulator/stats')).status).toBe(200);
    expect((await call(e, 'POST', '/__emulator/reset-stats')).status).toBe(200);
  });

  it('decides the fault before authentication: a faulted request without a token gets the fault', async () => {
    const e = await emulatorWith({ failRate: 1, failKinds: ['503'] });
    expect((await call(e, 'GET', '/apiops/projects/', { token: null })).status).toBe(503);
  });
});

describe('emulator latency and concurrency', () => {
  it('delays every API answer by latencyMs', async () => {
    const e = await emulatorWith({ latencyMs: 150 });
    for (const path of ['/apiops/projects/', '/apiops/projects/Payments/keys/missing/']) {
      const t0 = performance.now();
      await call(e, 'GET', path);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(140);
    }
    const t0 = performance.now();
    await call(e, 'GET', '/__emulator/stats');
    expect(performance.now() - t0).toBeLessThan(140); // the control endpoints are not delayed
  });

  it('handles concurrent requests at once: 8 requests with 100 ms latency give maxInFlight 8', async () => {
    const e = await emulatorWith({ latencyMs: 100 });
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody(`k${i}`) }),
      ),
    );
    const stats = e.stats();
    expect(stats.maxInFlight).toBe(8);
    expect(stats.inFlight).toBe(0);
    expect(stats.writes).toBe(8);
  });

  it('closes promptly with requests waiting out their latency, committing none of them', async () => {
    const e = await emulatorWith({ latencyMs: 5000 });
    const pending = call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('late') }).catch(
      () => 'dropped',
    );
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    await e.close();
    expect(performance.now() - t0).toBeLessThan(2000);
    expect(await pending).toBe('dropped');
    expect(e.store.size()).toBe(0);
  });
});

describe('emulator stats', () => {
  it('counts requests by method and route template, writes and faults, and resets', async () => {
    const e = await emulatorWith({});
    await call(e, 'GET', '/apiops/projects/');
    await call(e, 'GET', '/apiops/environments/Payments');
    await call(e, 'GET', '/apiops/environments/');
    await requestToken(e, 'admin', 'admin');
    await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('a') });
    await call(e, 'POST', '/apiops/projects/Payments/keys', { body: keyBody('a') }); // already exist: not a write
    await call(e, 'PUT', '/apiops/projects/Payments/keys/a/', { body: keyBody('a') });
    await call(e, 'GET', '/apiops/projects/Identity/keystores/');
    await call(e, 'POST', '/apiops/projects/Identity/keystores/', { body: {} }); // invalid: not a write
    await call(e, 'DELETE', '/apiops/projects/Payments/keys/a');
    await call(e, 'GET', '/apiops/projects/Payments/keystores/x/');
    const stats = (await call(e, 'GET', '/__emulator/stats')).body;
    expect(stats).toEqual({
      total: 11,
      byRoute: {
        'GET /apiops/projects/': 1,
        'GET /apiops/environments/{project}': 1,
        'GET /apiops/environments/': 1,
        'POST /apiops/auth/token': 1,
        'POST /apiops/projects/{project}/keys/': 2,
        'PUT /apiops/projects/{project}/keys/{name}/': 1,
        'GET /apiops/projects/{project}/keystores/': 1,
        'POST /apiops/projects/{project}/keystores/': 1,
        'DELETE /apiops/projects/{project}/keys/{name}/': 1,
        'GET /apiops/projects/{project}/keystores/{name}/': 1,
      },
      writes: 3,
      faults: 0,
      maxInFlight: 1,
      inFlight: 0,
      exports: 0,
      exportsServed: 0,
      exportsRefused: 0,
      byQuery: {},
    });
    expect(e.stats()).toEqual(stats);
    const reset = await call(e, 'POST', '/__emulator/reset-stats');
    expect(reset.body).toEqual({
      total: 0,
      byRoute: {},
      writes: 0,
      faults: 0,
      maxInFlight: 0,
      inFlight: 0,
      exports: 0,
      exportsServed: 0,
      exportsRefused: 0,
      byQuery: {},
    });
    expect((await call(e, 'GET', '/__emulator/requests')).body).toEqual({ total: 0, dropped: 0, requests: [] });
    await call(e, 'GET', '/apiops/projects/');
    e.resetStats();
    expect(e.stats().total).toBe(0);
  });
});
