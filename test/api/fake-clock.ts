import type { Clock } from '../../src/clock.js';

/** A clock whose sleeps return at once, advancing its time and recording each requested pause. */
export interface FakeClock extends Clock {
  sleeps: number[];
  advance(ms: number): void;
}

/** A FakeClock starting at `start` ms since the epoch. */
export function fakeClock(start = Date.UTC(2025, 0, 1)): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(new Error('aborted'));
      sleeps.push(ms);
      now += ms;
      return Promise.resolve();
    },
  };
}
