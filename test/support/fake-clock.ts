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

/**
 * A clock whose sleeps wait until the test moves time past them: `advance(ms)` fires every timer
 * due on the way, in time order, letting the code each one wakes run before the next (so a timer
 * set by a fired one within the same span fires too). Nothing waits for real time.
 */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in order; resolves once their effects settled. */
  advance(ms: number): Promise<void>;
  /** Lets pending promise chains (and real I/O callbacks already queued) run, without moving time. */
  settle(): Promise<void>;
  /** The delays of the timers still waiting, from now. */
  pending(): number[];
}

interface Timer {
  due: number;
  seq: number;
  fire: () => void;
}

/** A ManualClock starting at `start` ms since the epoch. */
export function manualClock(start = Date.UTC(2025, 0, 1)): ManualClock {
  let now = start;
  let seq = 0;
  const timers = new Set<Timer>();
  // A few turns of the event loop: enough for chains of awaits over already-resolved promises.
  const settle = async () => {
    for (let i = 0; i < 20; i++) await new Promise<void>((r) => setImmediate(r));
  };
  return {
    now: () => now,
    sleep(ms, signal) {
      if (signal?.aborted) return Promise.reject(new Error('aborted'));
      return new Promise<void>((resolve, reject) => {
        const t: Timer = { due: now + Math.max(0, ms), seq: seq++, fire: resolve };
        timers.add(t);
        signal?.addEventListener(
          'abort',
          () => {
            timers.delete(t);
            reject(new Error('aborted'));
          },
          { once: true },
        );
      });
    },
    async advance(ms) {
      const target = now + ms;
      await settle();
      for (;;) {
        let next: Timer | undefined;
        for (const t of timers)
          if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.seq < next.seq))) next = t;
        if (!next) break;
        timers.delete(next);
        now = Math.max(now, next.due);
        next.fire();
        await settle();
      }
      now = target;
      await settle();
    },
    settle,
    pending: () => [...timers].map((t) => t.due - now).sort((a, b) => a - b),
  };
}
