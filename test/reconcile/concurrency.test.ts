// The adaptive limiter (SPEC §5) reacts to the share of 429s among recent answers, not to their
// count: scattered 429s never move it, a sustained share halves it, and it recovers as the share
// falls. A fake clock drives the sliding window; a seeded PRNG makes "scattered" repeatable.
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../src/emulator/faults.js';
import { createAdaptiveLimiter } from '../../src/reconcile/concurrency.js';
import { fakeClock } from '../api/fake-clock.js';

/** Feeds `n` answers, `every` ms apart, each a 429 with probability `share` (seeded). */
function feed(
  l: { onAnswer(a: { status: number | null }): void },
  clock: { advance(ms: number): void },
  n: number,
  share: number,
  seed = 1,
  every = 10,
) {
  const random = mulberry32(seed);
  for (let i = 0; i < n; i++) {
    clock.advance(every);
    l.onAnswer({ status: random() < share ? 429 : 200 });
  }
}

describe('createAdaptiveLimiter', () => {
  it.each([1, 2, 3, 4, 5, 6, 7, 8])('does not move on 5 %% scattered 429s over 5,000 answers (seed %i)', (seed) => {
    const clock = fakeClock();
    const changes: string[] = [];
    const l = createAdaptiveLimiter(64, { clock, onChange: (c) => changes.push(`${c.from}->${c.to}`) });
    feed(l, clock, 5_000, 0.05, seed);
    expect(changes).toEqual([]);
    expect(l.lowest).toBe(64);
  });

  it('does not move on 429s that are many but a small share (the count alone means nothing)', () => {
    const clock = fakeClock();
    const l = createAdaptiveLimiter(16, { clock });
    // 200 429s in all, one in every 12 answers.
    for (let i = 0; i < 2_400; i++) {
      clock.advance(5);
      l.onAnswer({ status: i % 12 === 0 ? 429 : 201 });
    }
    expect(l.lowest).toBe(16);
  });

  it('halves on a sustained share, waits for the calls in flight before halving again, never below 1', () => {
    const clock = fakeClock();
    const changes: string[] = [];
    const l = createAdaptiveLimiter(16, { clock, onChange: (c) => changes.push(`${c.from}->${c.to}`) });
    feed(l, clock, 39, 1);
    expect(l.concurrency).toBe(16); // fewer answers than the window needs decide nothing
    feed(l, clock, 1, 1);
    expect(changes).toEqual(['16->8']);
    // A halving starts the window afresh: the answers to the 16 requests sent at the old limit,
    // still arriving, are not enough evidence for another.
    feed(l, clock, 16, 1);
    expect(l.concurrency).toBe(8);
    feed(l, clock, 24, 1);
    expect(l.concurrency).toBe(4);
    feed(l, clock, 400, 1);
    expect(l.concurrency).toBe(1);
    expect(l.lowest).toBe(1);
    expect(changes).toEqual(['16->8', '8->4', '4->2', '2->1']);
  });

  it('halves at a sustained 30 % share mixed with successes', () => {
    const clock = fakeClock();
    const l = createAdaptiveLimiter(32, { clock });
    feed(l, clock, 200, 0.3, 3);
    expect(l.concurrency).toBeLessThan(32);
  });

  it('recovers one slot at a time as the share falls, up to the starting limit', () => {
    const clock = fakeClock();
    const changes: string[] = [];
    const l = createAdaptiveLimiter(8, {
      clock,
      recoverAfter: 20,
      onChange: (c) => changes.push(`${c.reason} ${c.to}`),
    });
    feed(l, clock, 40, 1);
    expect(l.concurrency).toBe(4);
    // A share between the two thresholds: neither halve nor recover.
    for (let i = 0; i < 60; i++) {
      clock.advance(10);
      l.onAnswer({ status: i % 7 === 0 ? 429 : 200 });
    }
    expect(l.concurrency).toBe(4);
    expect(changes.filter((c) => c.startsWith('recovered'))).toEqual([]);
    feed(l, clock, 200, 0);
    expect(l.concurrency).toBe(8);
    expect(changes.filter((c) => c.startsWith('recovered'))).toEqual([
      'recovered 5',
      'recovered 6',
      'recovered 7',
      'recovered 8',
    ]);
  });

  it('forgets answers older than the window', () => {
    const clock = fakeClock();
    const l = createAdaptiveLimiter(8, { clock, windowMs: 1_000 });
    feed(l, clock, 30, 1, 1, 1);
    clock.advance(5_000);
    // The old 429s have left the window: 39 fresh successes plus them would have been a 43 % share.
    feed(l, clock, 39, 0, 1, 1);
    expect(l.concurrency).toBe(8);
  });

  it('ignores failures without an answer (network errors, timeouts)', () => {
    const clock = fakeClock();
    const l = createAdaptiveLimiter(8, { clock });
    for (let i = 0; i < 100; i++) l.onAnswer({ status: null });
    feed(l, clock, 39, 1);
    expect(l.concurrency).toBe(8);
  });
});

describe('a slot lent while its task waits (pause)', () => {
  /** A promise and the function that settles it. */
  function gate(): { promise: Promise<void>; open: () => void } {
    let open = () => undefined as void;
    const promise = new Promise<void>((resolve) => (open = resolve));
    return { promise, open };
  }

  it('lets the next task run while one waits, and never runs more than the limit outside waits', async () => {
    const l = createAdaptiveLimiter(1);
    const events: string[] = [];
    let running = 0;
    let most = 0;
    const enter = () => (most = Math.max(most, ++running));
    const bStarted = gate();
    const a = l.run(async (pause) => {
      enter();
      events.push('a starts');
      running -= 1;
      // A waits until B has run: without the slot lent, B could never start.
      await pause(() => bStarted.promise);
      enter();
      events.push('a resumes');
      running -= 1;
    });
    const b = l.run(async () => {
      enter();
      events.push('b runs');
      bStarted.open();
      await new Promise((r) => setTimeout(r, 20));
      events.push('b ends');
      running -= 1;
    });
    await Promise.all([a, b]);
    await new Promise((r) => setImmediate(r));
    expect(events).toEqual(['a starts', 'b runs', 'b ends', 'a resumes']);
    expect(most).toBe(1);
    expect(l.activeCount).toBe(0);
  });

  it('lends once and takes back once when one task waits twice side by side, and leaks no slot', async () => {
    const l = createAdaptiveLimiter(2);
    await l.run(async (pause) => {
      await Promise.all([pause(() => new Promise((r) => setTimeout(r, 10))), pause(() => Promise.resolve())]);
      expect(l.activeCount).toBe(1);
    });
    // A task that ends while its wait is still running hands the slot it takes back on at once.
    let late: Promise<void> = Promise.resolve();
    await l.run((pause) => {
      late = pause(() => new Promise((r) => setTimeout(r, 10)));
      return Promise.resolve();
    });
    await late;
    await new Promise((r) => setImmediate(r)); // p-limit counts a finished task a tick later
    expect(l.activeCount).toBe(0);
    // Both slots are free: two tasks run at once.
    const both = gate();
    let inside = 0;
    await Promise.all(
      [1, 2].map(() =>
        l.run(async () => {
          if (++inside === 2) both.open();
          await both.promise;
        }),
      ),
    );
    expect(inside).toBe(2);
  });
});
