// An adaptive concurrency limit for apply (SPEC §5): repeated 429s halve the number of writes in
// flight for the rest of the run; a long enough run of successes gives one slot back at a time.
// The limit itself is p-limit, whose `concurrency` can be changed while tasks are queued.
import pLimit, { type LimitFunction } from 'p-limit';
import type { RetryEvent } from '../api/types.js';
import { systemClock, type Clock } from '../clock.js';

export interface AdaptiveLimiterOptions {
  clock?: Clock;
  /** How many 429s within `windowMs` trigger a halving. */
  threshold?: number;
  windowMs?: number;
  /** Successes in a row (without a 429) needed to give back one slot. */
  recoverAfter?: number;
  /** Told about every change, e.g. to log it. */
  onChange?: (change: { from: number; to: number; reason: 'rate-limited' | 'recovered' }) => void;
}

/** A p-limit whose concurrency falls on repeated 429s and recovers slowly. */
export interface AdaptiveLimiter {
  /** Runs `fn` when a slot is free. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  /** The limit now in force. */
  readonly concurrency: number;
  /** The limit the run started with (the ceiling for recovery). */
  readonly max: number;
  /** The lowest limit reached during the run. */
  readonly lowest: number;
  readonly activeCount: number;
  /** Feed the API client's retry events here (`ClientOptions.onRetry`). */
  onRetry(event: RetryEvent): void;
  /** Call when a call was answered 429 after all its retries. */
  recordRateLimited(): void;
  /** Call when a write finished without being rate limited. */
  recordSuccess(): void;
}

/** Creates the adaptive limiter that apply runs its writes under. */
export function createAdaptiveLimiter(max: number, options: AdaptiveLimiterOptions = {}): AdaptiveLimiter {
  const clock = options.clock ?? systemClock;
  const threshold = options.threshold ?? 2;
  const windowMs = options.windowMs ?? 5_000;
  const recoverAfter = options.recoverAfter ?? 10;
  const ceiling = Math.max(1, Math.floor(max));
  const limit: LimitFunction = pLimit(ceiling);
  let lowest = ceiling;
  let recent: number[] = [];
  let streak = 0;

  const set = (to: number, reason: 'rate-limited' | 'recovered') => {
    const from = limit.concurrency;
    if (to === from) return;
    limit.concurrency = to;
    lowest = Math.min(lowest, to);
    options.onChange?.({ from, to, reason });
  };

  const rateLimited = () => {
    streak = 0;
    const now = clock.now();
    recent = recent.filter((t) => now - t < windowMs);
    recent.push(now);
    if (recent.length >= threshold) {
      // Clear the window so the next halving needs fresh evidence, not the same burst counted twice.
      recent = [];
      set(Math.max(1, Math.floor(limit.concurrency / 2)), 'rate-limited');
    }
  };

  return {
    run: (fn) => limit(fn),
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
    onRetry(event) {
      if (event.status === 429 || event.reason === 'rate-limited') rateLimited();
    },
    recordRateLimited: rateLimited,
    recordSuccess() {
      streak += 1;
      // Recover slowly: one slot per `recoverAfter` successes, never past the starting limit.
      if (streak >= recoverAfter && limit.concurrency < ceiling) {
        streak = 0;
        set(limit.concurrency + 1, 'recovered');
      }
    },
  };
}
