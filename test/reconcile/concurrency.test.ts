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
