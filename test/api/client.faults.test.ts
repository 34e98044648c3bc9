// Retries, timeouts, aborts and authentication against the real emulator over real HTTP. The
// fake clock makes backoff waits instant and records them; no test waits for a real backoff.
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createApiClient, type ClientOptions } from '../../src/api/client.js';
import type { RetryEvent } from '../../src/api/types.js';
import { UsageError } from '../../src/cli/command.js';
import { startEmulator, type RunningEmulator } from '../../src/emulator/index.js';
import { aKey } from '../support/builders.js';
import { useEmulator } from '../support/emulator.js';
import { fakeClock } from './fake-clock.js';

const TOKEN_ROUTE = 'POST /apiops/auth/token';

function clientFor(emulator: RunningEmulator, extra: Partial<ClientOptions> = {}) {
  const clock = fakeClock();
  const retries: RetryEvent[] = [];
  const client = createApiClient({
    server: emulator.url,
    auth: { token: emulator.token },
    timeoutMs: 5000,
    clock,
    random: () => 0.5,
    apiGeneration: 'legacy', // transport behaviour only: no generation probe in the counts
    onRetry: (e) => retries.push(e),
    ...extra,
  });
  return { client, clock, retries };
}

describe('retries of transient failures', () => {
  const emulator = useEmulator({ seed: 7, retryAfterSeconds: 0 });

  async function withFaults<T>(kinds: ('500' | '429' | '503' | 'reset')[], run: () => Promise<T>): Promise<T> {
    emulator().configure({ failRate: 1, failKinds: kinds });
    emulator().resetStats();
    try {
      return await run();
    } finally {
      emulator().configure({ failRate: 0 });
    }
  }

  it.each([
    ['500', 'server', 500],
    ['503', 'server', 503],
    ['429', 'rate-limited', 429],
    ['reset', 'network', null],
  ] as const)('retries a GET under %s, 4 attempts in all, with growing jittered waits', async (fault, kind, status) => {
    const { client, clock, retries } = clientFor(emulator());
    try {
      const r = await withFaults([fault], () => client.list('Payments', 'Key'));
      expect(r.ok).toBe(false);
      if (r.ok) return;
      expect(r.error).toMatchObject({ kind, status, attempts: 4 });
      expect(emulator().stats().total).toBe(4);
      expect(retries.map((e) => e.attempt)).toEqual([1, 2, 3]);
      expect(
        retries.every(
          (e) => e.reason === kind && e.status === status && e.request === 'GET /apiops/projects/Payments/keys/',
        ),
      ).toBe(true);
      // random() = 0.5: half of 200, 400, 800 ms
      expect(clock.sleeps).toEqual([100, 200, 400]);
      expect(retries.map((e) => e.delayMs)).toEqual([100, 200, 400]);
    } finally {
      await client.close();
    }
  });

  it('succeeds when the fault clears before the attempts run out', async () => {
    const { client, retries } = clientFor(emulator(), {
      onRetry: (e) => {
        retries.push(e);
        if (retries.length === 2) emulator().configure({ failRate: 0 });
      },
    });
    try {
      emulator().configure({ failRate: 1, failKinds: ['503', 'reset'] });
      const r = await client.listProjects();
      expect(r.ok).toBe(true);
      expect(retries).toHaveLength(2);
    } finally {
      emulator().configure({ failRate: 0 });
      await client.close();
    }
  });

  it('retries 500, 503, reset and 429 on every write method (SPEC §5)', async () => {
    const { client, retries } = clientFor(emulator());
    try {
      const created = await withFaults(['500'], () => client.create(aKey({ name: 'w500' })));
      expect(created.ok ? 'ok' : created.error).toMatchObject({ kind: 'server', status: 500, attempts: 4 });
      expect(emulator().stats().total).toBe(4);
      for (const fault of ['500', '503', 'reset', '429'] as const) {
        const r = await withFaults([fault], () => client.update(aKey({ name: 'w' })));
        expect(r.ok ? 'ok' : r.error.attempts).toBe(4);
      }
      const deleted = await withFaults(['500'], () => client.delete({ kind: 'Key', project: 'Payments', name: 'w' }));
      expect(deleted.ok ? 'ok' : deleted.error.attempts).toBe(4);
      expect(retries).toHaveLength(3 * 6);
      expect(retries.filter((e) => e.request.startsWith('PUT '))).toHaveLength(12);
    } finally {
      await client.close();
    }
  });

  it('answers a repeated create with already-exists, the cue for the caller to switch to an update', async () => {
    // What a retried POST meets when its first attempt committed but the answer was lost.
    const { client } = clientFor(emulator());
    const key = aKey({ name: 'twice' });
    try {
      expect((await client.create(key)).ok).toBe(true);
      const second = await client.create(key);
      expect(second.ok ? 'ok' : second.error.kind).toBe('already-exists');
      await client.delete(key);
    } finally {
      await client.close();
    }
  });

  it('waits at least what the server asks for (Retry-After / retry_after)', async () => {
    const { client, clock } = clientFor(emulator(), { attempts: 3 });
    try {
      emulator().configure({ retryAfterSeconds: 3 });
      await withFaults(['429'], () => client.list('Payments', 'Key'));
      expect(clock.sleeps).toEqual([3000, 3000]);
    } finally {
      emulator().configure({ retryAfterSeconds: 0 });
      await client.close();
    }
  });

  it('gives up at once when the server asks for a wait longer than a minute', async () => {
    const { client, clock } = clientFor(emulator());
    try {
      emulator().configure({ retryAfterSeconds: 600 });
      const r = await withFaults(['429'], () => client.list('Payments', 'Key'));
      expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'rate-limited', attempts: 1 });
      if (!r.ok)
        expect(r.error.hint).toMatch(
          /^the server asked to wait 600 s, more than the 60 s this tool waits, so the call was not retried/,
        );
      expect(clock.sleeps).toEqual([]);
    } finally {
      emulator().configure({ retryAfterSeconds: 0 });
      await client.close();
    }
  });

  it('honours a configured number of attempts', async () => {
    const { client, retries } = clientFor(emulator(), { attempts: 1 });
    try {
      const r = await withFaults(['503'], () => client.listProjects());
      expect(r.ok ? 'ok' : r.error.attempts).toBe(1);
      expect(retries).toHaveLength(0);
    } finally {
      await client.close();
    }
  });
});

describe('timeouts and aborts', () => {
  const emulator = useEmulator({ latencyMs: 3000 });

  it('times out a slow answer, naming the seconds and --timeout', async () => {
    const { client, retries } = clientFor(emulator(), { timeoutMs: 150, attempts: 2 });
    try {
      const r = await client.listProjects();
      expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'timeout', status: null, attempts: 2 });
      // Said once: the message has the seconds, the hint what to do.
      if (!r.ok)
        expect([r.error.message, r.error.hint]).toEqual([
          'no complete answer within 0.2 s',
          expect.stringMatching(/^raise --timeout \(seconds\)/),
        ]);
      expect(retries.map((e) => e.reason)).toEqual(['timeout']);
    } finally {
      await client.close();
    }
  });

  it('stops a pending request when the signal is aborted', async () => {
    const controller = new AbortController();
    const { client } = clientFor(emulator(), { signal: controller.signal });
    try {
      const pending = client.list('Payments', 'Key');
      setTimeout(() => controller.abort(), 50);
      const r = await pending;
      expect(r.ok ? 'ok' : r.error.kind).toBe('aborted');
      const after = await client.listProjects();
      expect(after.ok ? 'ok' : after.error.kind).toBe('aborted');
    } finally {
      await client.close();
    }
  });

  it('stops a backoff wait when the signal is aborted', async () => {
    emulator().configure({ latencyMs: 0, failRate: 1, failKinds: ['503'] });
    const controller = new AbortController();
    const client = createApiClient({
      server: emulator().url,
      auth: { token: emulator().token },
      signal: controller.signal,
      backoff: { baseMs: 60_000, capMs: 60_000 },
      random: () => 1,
      onRetry: () => setTimeout(() => controller.abort(), 20),
    });
    try {
      const r = await client.listProjects();
      expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'aborted', attempts: 1 });
    } finally {
      emulator().configure({ latencyMs: 3000, failRate: 0 });
      await client.close();
    }
  });
});

describe('the connection pool', () => {
  const emulator = useEmulator({ latencyMs: 150 });

  it('does not count time queued for a connection against the timeout', async () => {
    const { client, retries } = clientFor(emulator(), { concurrency: 1, timeoutMs: 400, attempts: 1 });
    try {
      emulator().resetStats();
      const results = await Promise.all(Array.from({ length: 6 }, () => client.listProjects()));
      expect(results.map((r) => (r.ok ? 'ok' : r.error.kind))).toEqual(Array(6).fill('ok'));
      expect(retries).toHaveLength(0);
      expect(emulator().stats().maxInFlight).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('network errors', () => {
  it('names the server and says to check --server / network when nothing listens', async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const { port: p } = s.address() as { port: number };
        s.close(() => resolve(p));
      });
    });
    const clock = fakeClock();
    const client = createApiClient({ server: `http://127.0.0.1:${port}`, auth: { token: 't' }, clock });
    try {
      const r = await client.listProjects();
      expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'network', code: 'ECONNREFUSED', status: null, attempts: 4 });
      if (!r.ok) expect(r.error.hint).toBe(`could not reach http://127.0.0.1:${port}: check --server / network`);
      expect(clock.sleeps).toHaveLength(3);
    } finally {
      await client.close();
    }
  });
});

describe('authentication', () => {
  const emulator = useEmulator({ users: [{ username: 'deployer', password: 'pa ss&word' }] });
  const credentials = { username: 'deployer', password: 'pa ss&word' };

  it('stops on a refused token with the token hint, without retrying', async () => {
    const { client, retries } = clientFor(emulator(), { auth: { token: 'wrong-token' } });
    try {
      emulator().resetStats();
      const r = await client.list('Payments', 'Key');
      expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'unauthorized', status: 401, attempts: 1 });
      if (!r.ok) expect(r.error.hint).toBe('the token is invalid, expired or revoked: set a valid APINIZER_TOKEN');
      expect(retries).toHaveLength(0);
      expect(emulator().stats().total).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('exchanges username and password once for 16 concurrent calls', async () => {
    const { client } = clientFor(emulator(), { auth: credentials, concurrency: 16 });
    try {
      emulator().resetStats();
      const results = await Promise.all(Array.from({ length: 16 }, () => client.list('Payments', 'Key')));
      expect(results.every((r) => r.ok)).toBe(true);
      const stats = emulator().stats();
      expect(stats.byRoute[TOKEN_ROUTE]).toBe(1);
      expect(stats.byRoute['GET /apiops/projects/{project}/keys/']).toBe(16);
    } finally {
      await client.close();
    }
  });

  it('renews a revoked token once and retries the call', async () => {
    const { client } = clientFor(emulator(), { auth: credentials, concurrency: 8 });
    try {
      expect((await client.listProjects()).ok).toBe(true);
      emulator().revokeTokens();
      emulator().resetStats();
      const results = await Promise.all(Array.from({ length: 8 }, () => client.list('Payments', 'Key')));
      expect(results.every((r) => r.ok)).toBe(true);
      expect(emulator().stats().byRoute[TOKEN_ROUTE]).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('renews an expired token', async () => {
    emulator().configure({ tokenTtlSeconds: 0.3 });
    const { client } = clientFor(emulator(), { auth: credentials, clock: undefined });
    try {
      expect((await client.listProjects()).ok).toBe(true);
      await new Promise((r) => setTimeout(r, 350));
      emulator().resetStats();
      expect((await client.listProjects()).ok).toBe(true);
      expect(emulator().stats().byRoute[TOKEN_ROUTE]).toBe(1);
    } finally {
      emulator().configure({ tokenTtlSeconds: 3600 });
      await client.close();
    }
  });

  it('says which variables to fix when the password is wrong, and asks only once', async () => {
    const { client } = clientFor(emulator(), { auth: { username: 'deployer', password: 'nope' } });
    try {
      emulator().resetStats();
      const [a, b] = await Promise.all([client.listProjects(), client.listProjects()]);
      const c = await client.listProjects();
      for (const r of [a, b, c]) {
        expect(r.ok ? 'ok' : r.error.kind).toBe('unauthorized');
        if (!r.ok) expect(r.error.hint).toMatch(/APINIZER_USERNAME and APINIZER_PASSWORD/);
      }
      expect(emulator().stats().byRoute[TOKEN_ROUTE]).toBe(1);
    } finally {
      await client.close();
    }
  });
});

describe('the plain-http guard', () => {
  it.each(['http://apinizer.example.com', 'http://10.0.0.5:8080', 'http://[fe80::1]/'])(
    'refuses %s, naming the flag',
    (server) => {
      expect(() => createApiClient({ server, auth: { token: 't' } })).toThrow(UsageError);
      expect(() => createApiClient({ server, auth: { token: 't' } })).toThrow(/--allow-insecure-http/);
    },
  );

  it.each(['http://127.0.0.1:1', 'http://localhost:1', 'http://[::1]:1', 'http://127.8.9.10'])(
    'allows loopback %s',
    async (server) => {
      await createApiClient({ server, auth: { token: 't' } }).close();
    },
  );

  it('allows any host with allowInsecureHttp, and https always', async () => {
    await createApiClient({
      server: 'http://apinizer.example.com',
      auth: { token: 't' },
      allowInsecureHttp: true,
    }).close();
    await createApiClient({ server: 'https://apinizer.example.com', auth: { token: 't' } }).close();
  });

  it('works against an emulator reached over loopback', async () => {
    const emu = await startEmulator();
    const client = createApiClient({ server: emu.url.replace('127.0.0.1', 'localhost'), auth: { token: emu.token } });
    try {
      expect((await client.listProjects()).ok).toBe(true);
    } finally {
      await client.close();
      await emu.close();
    }
  });
});
