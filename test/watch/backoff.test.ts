// Per-resource backoff: doubling from 1 s to 5 min with equal jitter, independent per key.
import { describe, expect, it } from 'vitest';
import { Backoff, DEFAULT_BACKOFF, backoffDelay } from '../../src/watch/backoff.js';

describe('backoffDelay', () => {
  it.each([
    [1, 0, 500],
    [1, 0.999999, 1000],
    [2, 0, 1000],
    [3, 0.5, 3000],
    [9, 1, 256_000],
    [10, 1, 300_000], // capped at 5 min
    [60, 0, 150_000], // no overflow however long it fails
  ])('failure %i with jitter draw %f waits %i ms', (failures, r, ms) => {
    expect(backoffDelay(failures, DEFAULT_BACKOFF, r)).toBe(Math.round(ms));
  });
});

describe('Backoff', () => {
  it('holds a failed key back until its delay passed, others not at all', () => {
    const b = new Backoff({ baseMs: 1000, maxMs: 8000 }, () => 1);
    expect(b.fail('a', 10_000)).toBe(1000);
    expect(b.ready('a', 10_999)).toBe(false);
    expect(b.ready('a', 11_000)).toBe(true);
    expect(b.ready('b', 10_000)).toBe(true);
    expect(b.fail('a', 11_000)).toBe(2000);
    expect(b.failures('a')).toBe(2);
    expect(b.nextDue(11_000)).toBe(13_000);
    b.fail('b', 11_500);
    expect(b.nextDue(11_000)).toBe(12_500);
    b.clear('a');
    expect(b.ready('a', 0)).toBe(true);
    expect(b.keys()).toEqual(['b']);
    expect(b.nextDue(20_000)).toBeNull();
  });
});
