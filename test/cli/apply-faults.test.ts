// apply under trouble against the emulator over real HTTP (SPEC §5): every fault kind at a 30%
// rate, and all kinds mixed at 25 %, converge in ONE run with nothing created twice; a sustained
// share of 429s lowers the concurrency; SIGTERM mid-apply gives a partial report and exit 143, and a
// re-run converges. The fault runs go through runCli in this process with the client's backoff
// scaled down (same attempts, same exponential growth and full jitter, 20 times shorter), so they
// do not sit out real 200 ms..10 s pauses; the SIGTERM run spawns the built CLI.
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { FaultKind } from '../../src/emulator/index.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { cleanEnv } from '../support/cli.js';
import { runCliInProcess } from '../support/run-cli.js';
import { TOKEN, cli, cliEnv, cliProcess, expectNoLeak, manifestFiles, namesOn, validJson } from './apply-fixtures.js';

vi.mock('../../src/api/client.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/api/client.js')>();
  // The default policy is base 200 ms, cap 10 s (src/api/retry.ts); only the time scale changes.
  const backoff = { baseMs: 10, capMs: 500 };
  return {
    ...real,
    createApiClient: (options: Parameters<typeof real.createApiClient>[0]) =>
      real.createApiClient({ backoff, ...options }),
  };
});

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().reset({ retryAfterSeconds: 0 });
});

const expectedKeys = (n: number) => Array.from({ length: n }, (_, i) => `key-${String(i).padStart(3, '0')}`);

describe('apply under faults', () => {
  it.each<[FaultKind, number]>([
    ['500', 11],
    ['429', 12],
    ['503', 13],
    ['reset', 14],
  ])('converges with "%s" answers to 30 percent of requests (seed %i), creating nothing twice', async (kind, seed) => {
    const dir = tempTree(manifestFiles({ keys: 8, keystores: 2 }));
    emulator().configure({ failRate: 0.3, failKinds: [kind], seed, retryAfterSeconds: 0 });
    // Every fault kind is retried for every method, and a resource whose attempts all met a fault
    // gets one more round: one run converges.
    const r = await cli(emulator(), dir, ['apply', 'manifests', '--concurrency', '4', '--format', 'json']);
    const outputs = [r.stdout, r.stderr];
    validJson('report', r.stdout);
    const code = r.code;
    expect(code, r.stderr).toBe(0);
    expect(emulator().stats().faults).toBeGreaterThan(0);
    // The emulator fails a request before acting on it, so each of the 10 objects must have been
    // committed exactly once: a second create (or a needless update) would show here.
    expect(emulator().stats().writes).toBe(10);
    emulator().configure({ failRate: 0 });
    expect(namesOn(emulator(), 'Key')).toEqual(expectedKeys(8));
    expect(emulator().store.list('Payments', 'Key')).toHaveLength(8);
    expect(namesOn(emulator(), 'Keystore')).toEqual(['store-000', 'store-001']);
    const plan = await cli(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode']);
    expect(plan.code, plan.stdout).toBe(0);
    expectNoLeak(...outputs, plan.stdout, plan.stderr);
  });

  it.each([21, 22])(
    'converges in one run under 25 percent faults of every kind mixed (seed %i), creating nothing twice',
    async (seed) => {
      const dir = tempTree(manifestFiles({ keys: 30, keystores: 10 }));
      emulator().configure({
        failRate: 0.25,
        failKinds: ['500', '429', '503', 'reset'],
        seed,
        retryAfterSeconds: 0,
        latencyMs: 5,
      });
      emulator().resetStats();
      const r = await cli(emulator(), dir, ['apply', 'manifests', '--concurrency', '4', '--format', 'json']);
      expect(r.code, r.stderr).toBe(0);
      const report = validJson('report', r.stdout) as { summary: { created: number; updated: number } };
      expect(report.summary.created + report.summary.updated).toBe(40);
      expect(emulator().stats().faults).toBeGreaterThan(10);
      // Faulted requests change nothing in the emulator, so 40 writes means each object written once.
      expect(emulator().stats().writes).toBe(40);
      // A write waiting to retry lends its slot to another write, never an extra one: at most 4
      // requests were in flight at any moment.
      expect(emulator().stats().maxInFlight).toBeLessThanOrEqual(4);
      emulator().configure({ failRate: 0 });
      expect(emulator().store.list('Payments', 'Key')).toHaveLength(30);
      expect(emulator().store.list('Payments', 'Keystore')).toHaveLength(10);
      // Scattered 429s (about 6 % of answers) are not sustained rate limiting.
      expect(r.stderr).not.toMatch(/concurrency lowered/);
      expectNoLeak(r.stdout, r.stderr);
    },
  );

  it('lowers its concurrency when the API keeps answering 429', async () => {
    const dir = tempTree(manifestFiles({ keys: 40, keystores: 0 }));
    emulator().configure({ failRate: 0.5, failKinds: ['429'], seed: 5, retryAfterSeconds: 0 });
    const r = await cli(emulator(), dir, ['apply', 'manifests', '--concurrency', '8']);
    expect([0, 1]).toContain(r.code);
    expect(r.stderr).toMatch(/"msg":"the API is rate limiting: concurrency lowered to [1-4]"/);
  });
});

describe('apply interrupted', () => {
  it('on SIGTERM finishes the calls in flight, starts nothing new, reports, exits 143; a re-run converges', async () => {
    const dir = tempTree(manifestFiles({ keys: 24, keystores: 0 }));
    emulator().configure({ latencyMs: 250 });
    let sent = false;
    const r = await cliProcess(emulator(), dir, ['apply', 'manifests', '--concurrency', '2', '--format', 'json'], {
      onSpawn: (child) => {
        child.stderr?.on('data', (chunk: Buffer | string) => {
          // Once the first write has finished, the run is under way: stop it.
          if (!sent && String(chunk).includes('"outcome"')) {
            sent = true;
            child.kill('SIGTERM');
          }
        });
      },
    });
    expect(sent).toBe(true);
    expect(r.code, r.stderr).toBe(143);
    const report = validJson('report', r.stdout) as {
      interrupted: boolean;
      summary: { created: number; skipped: number; failed: number };
    };
    expect(report.interrupted).toBe(true);
    expect(report.summary.skipped).toBeGreaterThan(0);
    expect(report.summary.failed).toBe(0);
    // Calls in flight were let finish: everything reported created is on the server, nothing more.
    const onServer = namesOn(emulator(), 'Key');
    expect(onServer).toHaveLength(report.summary.created);
    expect(report.summary.created + report.summary.skipped).toBe(24);

    emulator().configure({ latencyMs: 0 });
    const again = await cli(emulator(), dir, ['apply', 'manifests']);
    expect(again.code, again.stderr).toBe(0);
    expect(namesOn(emulator(), 'Key')).toEqual(expectedKeys(24));
    expect((await cli(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode'])).code).toBe(0);
  });
});

describe('apply interrupted while planning', () => {
  it.each([
    ['json', 'SIGINT', 130],
    ['text', 'SIGTERM', 143],
  ] as const)(
    '--format %s, %s before any write: prints the (empty) report, writes nothing, exits %i',
    async (format, name, code) => {
      const dir = tempTree(manifestFiles({ keys: 3, keystores: 0 }));
      emulator().configure({ latencyMs: 1500 });
      let sent = false;
      const r = await cliProcess(emulator(), dir, ['apply', 'manifests', '--format', format], {
        onSpawn: (child) => {
          // Once the plan's first reads are at the server, the run is planning: stop it.
          const poll = setInterval(() => {
            if (emulator().stats().inFlight > 0) {
              clearInterval(poll);
              sent = true;
              child.kill(name);
            }
          }, 20);
          child.on('exit', () => clearInterval(poll));
        },
      });
      expect(sent).toBe(true);
      expect(r.code, r.stderr).toBe(code);
      if (format === 'json') {
        const report = validJson('report', r.stdout) as { interrupted: boolean; summary: Record<string, number> };
        expect(report.interrupted).toBe(true);
        expect(report.summary).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
      } else {
        expect(r.stdout).toContain('Interrupted');
        expect(r.stdout).toContain('Apply: 0 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.');
      }
      expect(emulator().stats().writes).toBe(0);
      expectNoLeak(r.stdout, r.stderr);
    },
  );
});

describe('apply with a token the server stops accepting', () => {
  it('stops starting writes after the first 401, reports the rest skipped with the hint, and exits 1', async () => {
    const dir = tempTree(manifestFiles({ keys: 12, keystores: 0 }));
    emulator().configure({ latencyMs: 150 });
    let rotated = false;
    let requestsAtRotation = 0;
    const args = ['apply', 'manifests', '--concurrency', '2', '--format', 'json', '--log-level', 'trace'];
    const r = await runCliInProcess(args, {
      cwd: dir,
      env: cleanEnv(cliEnv(emulator())),
      onStderr: (chunk) => {
        if (!rotated && chunk.includes('"outcome"')) {
          rotated = true;
          requestsAtRotation = emulator().stats().total;
          // The token is revoked on the server side mid-run (rotated by an administrator).
          emulator().configure({ token: 'rotated-elsewhere' });
        }
      },
    });
    emulator().configure({ token: TOKEN, latencyMs: 0 });
    expect(rotated).toBe(true);
    expect(r.code).toBe(1);
    const report = validJson('report', r.stdout) as {
      results: { outcome: string; error: { kind: string; hint: string } | null }[];
      summary: { created: number; failed: number; skipped: number };
    };
    expect(report.summary.failed).toBeGreaterThanOrEqual(1);
    expect(report.summary.skipped).toBeGreaterThan(0);
    expect(report.summary.created + report.summary.failed + report.summary.skipped).toBe(12);
    const skipped = report.results.find((x) => x.outcome === 'skipped');
    expect(skipped?.error?.kind).toBe('unauthorized');
    expect(skipped?.error?.hint).not.toBe('');
    // Only the writes already in flight or queued behind them met the 401: no hammering.
    expect(emulator().stats().total - requestsAtRotation).toBeLessThanOrEqual(4);
    // Even at --log-level trace, no token or secret reaches the output.
    expectNoLeak(r.stdout, r.stderr);
  });
});
