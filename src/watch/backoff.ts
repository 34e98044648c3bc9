// Per-resource retry backoff for watch mode: a resource whose write failed waits before it is tried
// again (1 s, doubling, capped at 5 min, with jitter), so one broken resource neither hammers the
// API nor holds the others back. Pure apart from the `random` it is given; time is passed in.

export interface BackoffPolicy {
  /** Delay after the first failure. */
  baseMs: number;
  /** Largest delay, however many failures in a row. */
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000 };

interface Entry {
  failures: number;
  /** Epoch ms before which the key is not retried. */
  until: number;
}

/** Failure counts and retry times by key. */
export class Backoff {
  readonly #entries = new Map<string, Entry>();

  constructor(
    private readonly policy: BackoffPolicy = DEFAULT_BACKOFF,
    private readonly random: () => number = Math.random,
  ) {}

  /**
   * Records a failure at `now` and returns the delay before the next try: base * 2^(n-1), capped,
   * then "equal jitter" (half fixed, half random) so many resources failing together do not
   * retry in lockstep, yet none retries sooner than half its delay.
   */
  fail(key: string, now: number): number {
    const failures = (this.#entries.get(key)?.failures ?? 0) + 1;
    const delay = backoffDelay(failures, this.policy, this.random());
    this.#entries.set(key, { failures, until: now + delay });
    return delay;
  }

  /** Forgets a key (it succeeded, or is no longer managed). */
  clear(key: string): void {
    this.#entries.delete(key);
  }

  /** True when the key has no pending backoff at `now`. */
  ready(key: string, now: number): boolean {
    const e = this.#entries.get(key);
    return e === undefined || e.until <= now;
  }

  /** Failures in a row recorded for the key (0 when none). */
  failures(key: string): number {
    return this.#entries.get(key)?.failures ?? 0;
  }

  /** The earliest retry time still in the future of `now`, or null when nothing waits. */
  nextDue(now: number): number | null {
    let next: number | null = null;
    for (const e of this.#entries.values()) {
      if (e.until > now && (next === null || e.until < next)) next = e.until;
    }
    return next;
  }

  /** Keys with a recorded failure (waiting or due). */
  keys(): string[] {
    return [...this.#entries.keys()];
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The delay after `failures` failures in a row, with `r` in [0, 1) as the jitter draw. */
export function backoffDelay(failures: number, policy: BackoffPolicy, r: number): number {
  const exponent = Math.min(Math.max(failures - 1, 0), 30);
  const full = Math.min(policy.maxMs, policy.baseMs * 2 ** exponent);
  return Math.round(full / 2 + (full / 2) * Math.min(Math.max(r, 0), 1));
}
