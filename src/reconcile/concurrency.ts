// An adaptive concurrency limit for apply and watch (SPEC §5): the limit reacts to the SHARE of
// answers that are 429, over a sliding window of recent answers, not to their count. A 429 now
// and then among many successes is noise (a busy moment, a fault); a sustained share means the
// server is shedding load, and sending half as much is the polite answer. As the share falls the
// limit comes back one slot at a time. The limit itself is p-limit, whose `concurrency` can be
// changed while tasks are queued.
import pLimit, { type LimitFunction } from 'p-limit';
import type { AnswerEvent } from '../api/types.js';
import type { Pause } from './actions.js';
import { systemClock, type Clock } from '../clock.js';

export interface AdaptiveLimiterOptions {
  clock?: Clock;
  /** Answers older than this leave the window (a burst long past says nothing about now). */
  windowMs?: number;
  /** The window holds at most this many answers (at least twice the starting limit). */
  windowSize?: number;
  /** Fewer answers than this in the window decide nothing (5 % of 20 is one 429). */
  minAnswers?: number;
  /** The share of 429s in the window at or above which the limit is halved. */
  halveAt?: number;
  /** The share of 429s in the window below which the limit may grow again. */
  recoverBelow?: number;
  /** Answers needed since the last change before the limit grows by one slot. */
  recoverAfter?: number;
  /** Told about every change, e.g. to log it. */
  onChange?: (change: { from: number; to: number; reason: 'rate-limited' | 'recovered' }) => void;
}

/** A p-limit whose concurrency falls when a sustained share of answers is 429, and recovers. */
export interface AdaptiveLimiter {
  /**
   * Runs `fn` when a slot is free. `pause` lends the slot to the next task while its wait runs
   * and takes a slot again (waiting its turn) before it resolves.
   */
  run<T>(fn: (pause: Pause) => Promise<T>): Promise<T>;
  /** The limit now in force. */
  readonly concurrency: number;
  /** The limit the run started with (the ceiling for recovery). */
  readonly max: number;
  /** The lowest limit reached during the run. */
  readonly lowest: number;
  readonly activeCount: number;
  /** Feed every HTTP answer here (`ClientOptions.onAnswer`): successes, failures, retried attempts. */
  onAnswer(answer: Pick<AnswerEvent, 'status'>): void;
}

/** Defaults: 20 % faults spread over four kinds (5 % 429s) must never halve; 25 % of 429s must. */
export const LIMITER_DEFAULTS = {
  windowMs: 30_000,
  windowSize: 100,
  minAnswers: 40,
  halveAt: 0.25,
  recoverBelow: 0.1,
  recoverAfter: 20,
};

/** Creates the adaptive limiter that apply and watch run their writes under. */
export function createAdaptiveLimiter(max: number, options: AdaptiveLimiterOptions = {}): AdaptiveLimiter {
  const clock = options.clock ?? systemClock;
  const ceiling = Math.max(1, Math.floor(max));
  const windowMs = options.windowMs ?? LIMITER_DEFAULTS.windowMs;
  const windowSize = Math.max(options.windowSize ?? LIMITER_DEFAULTS.windowSize, 2 * ceiling);
  const minAnswers = Math.min(options.minAnswers ?? LIMITER_DEFAULTS.minAnswers, windowSize);
  const halveAt = options.halveAt ?? LIMITER_DEFAULTS.halveAt;
  const recoverBelow = options.recoverBelow ?? LIMITER_DEFAULTS.recoverBelow;
  const recoverAfter = options.recoverAfter ?? LIMITER_DEFAULTS.recoverAfter;
  const limit: LimitFunction = pLimit(ceiling);
  let lowest = ceiling;

  // The window: a ring of (time, limited) answers, oldest at `head`.
  const times = new Float64Array(windowSize);
  const limited = new Uint8Array(windowSize);
  let head = 0;
  let size = 0;
  let limitedCount = 0;
  // Answers since the last change: after a halving, the answers to requests sent at the old
  // limit are still arriving and say nothing about the new one.
  let sinceChange = 0;
  let settleAfter = 0;

  const dropOldest = () => {
    limitedCount -= limited[head] ?? 0;
    head = (head + 1) % windowSize;
    size -= 1;
  };

  const set = (to: number, reason: 'rate-limited' | 'recovered') => {
    const from = limit.concurrency;
    sinceChange = 0;
    if (to === from) return;
    limit.concurrency = to;
    lowest = Math.min(lowest, to);
    options.onChange?.({ from, to, reason });
  };

  // A slot is a p-limit task that lasts until its holder lets go: so a holder can give it back
  // while it waits (pause) and queue for one again, and a lowered limit applies to that too.
  const acquire = (): Promise<() => void> =>
    new Promise((granted) => {
      void limit(() => new Promise<void>((release) => granted(release)));
    });

  return {
    async run(fn) {
      let release = await acquire();
      let holding = true;
      let done = false;
      let regaining: Promise<void> | undefined;
      // Calls of one task may wait side by side: the slot is lent once and taken back once, by the
      // first wait to end; a slot taken back after the task ended is handed on at once.
      const pause: Pause = async (wait) => {
        if (holding) {
          holding = false;
          release();
        }
        try {
          await wait();
        } finally {
          if (!holding) {
            regaining ??= acquire().then((next) => {
              regaining = undefined;
              if (done) next();
              else {
                release = next;
                holding = true;
              }
            });
            await regaining;
          }
        }
      };
      try {
        return await fn(pause);
      } finally {
        done = true;
        if (holding) {
          holding = false;
          release();
        }
      }
    },
    get concurrency() {
      return limit.concurrency;
    },
    max: ceiling,
    get lowest() {
      return lowest;
    },
    get activeCount() {
      return limit.activeCount;
    },
    onAnswer({ status }) {
      // A network failure or timeout is no answer: it says nothing about rate limiting.
      if (status === null) return;
      const now = clock.now();
      while (size > 0 && now - (times[head] ?? 0) >= windowMs) dropOldest();
      if (size === windowSize) dropOldest();
      const at = (head + size) % windowSize;
      times[at] = now;
      limited[at] = status === 429 ? 1 : 0;
      limitedCount += limited[at] ?? 0;
      size += 1;
      sinceChange += 1;
      if (size < minAnswers || sinceChange < settleAfter) return;
      const share = limitedCount / size;
      if (share >= halveAt && limit.concurrency > 1) {
        // Fresh evidence for the next step: clear the window and wait for the calls in flight.
        settleAfter = limit.concurrency;
        while (size > 0) dropOldest();
        set(Math.max(1, Math.floor(limit.concurrency / 2)), 'rate-limited');
      } else if (share < recoverBelow && sinceChange >= recoverAfter && limit.concurrency < ceiling) {
        settleAfter = 0;
        set(limit.concurrency + 1, 'recovered');
      }
    },
  };
}
