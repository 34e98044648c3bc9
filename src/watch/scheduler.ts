// When watch cycles run, on a Clock so tests drive time: requests (files changed, a resync due, a
// retry due) merge while a cycle runs into exactly one follow-up; one cycle runs at a time; named
// timers re-arm rather than stack. The debouncer turns a stream of file events into quiet batches.
import type { Clock } from '../clock.js';

/** What a cycle is asked to do; requests made while one runs merge into one. */
export interface CycleRequest {
  /** Paths that changed (from the watcher). */
  files: Set<string>;
  /** A full, list-based cycle (the start, or after the server could not be read). */
  full: boolean;
  /** The periodic resync. */
  resync: boolean;
  /** Read every file again to confirm removals seen a quiet period ago. */
  confirm: boolean;
}

export interface Scheduler {
  /** Asks for a cycle; merged into the pending one, which runs when the current one has finished. */
  request(r: Partial<CycleRequest>): void;
  /** Requests `r` after `ms`, replacing whatever the timer named `name` had armed. */
  after(name: string, ms: number, r: Partial<CycleRequest>): void;
  /** Disarms the named timer. */
  cancel(name: string): void;
  /** Resolves when no cycle runs and none is pending. */
  idle(): Promise<void>;
  /** Starts nothing new, disarms every timer, and resolves when the cycle in flight has finished. */
  stop(): Promise<void>;
  readonly stopped: boolean;
}

/** Creates the scheduler; `run` does one cycle and must not reject (the loop logs and goes on if it does). */
export function createScheduler(clock: Clock, run: (req: CycleRequest) => Promise<void>): Scheduler {
  let pending: CycleRequest | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const timers = new Map<string, ResettableTimer>();

  const kick = (): void => {
    if (running || stopped || !pending) return;
    running = (async () => {
      try {
        while (pending && !stopped) {
          const next = pending;
          pending = null;
          await run(next).catch(() => undefined);
        }
      } finally {
        running = null;
      }
    })().then(kick);
  };

  const scheduler: Scheduler = {
    request(r) {
      if (stopped) return;
      pending ??= { files: new Set(), full: false, resync: false, confirm: false };
      for (const f of r.files ?? []) pending.files.add(f);
      pending.full ||= r.full === true;
      pending.resync ||= r.resync === true;
      pending.confirm ||= r.confirm === true;
      kick();
    },
    after(name, ms, r) {
      if (stopped) return;
      let t = timers.get(name);
      if (!t) timers.set(name, (t = resettableTimer(clock)));
      t.set(ms, () => scheduler.request(r));
    },
    cancel(name) {
      timers.get(name)?.clear();
    },
    async idle() {
      while (running) await running;
    },
    async stop() {
      stopped = true;
      pending = null;
      for (const t of timers.values()) t.clear();
      await running;
    },
    get stopped() {
      return stopped;
    },
  };
  return scheduler;
}

export interface ResettableTimer {
  /** Fires `fire` after `ms`, cancelling what was armed before. */
  set(ms: number, fire: () => void): void;
  clear(): void;
}

/** One resettable timer on a Clock. */
export function resettableTimer(clock: Clock): ResettableTimer {
  let controller: AbortController | null = null;
  return {
    set(ms, fire) {
      controller?.abort();
      const c = new AbortController();
      controller = c;
      clock.sleep(ms, c.signal).then(
        () => {
          if (controller !== c) return;
          controller = null;
          fire();
        },
        () => undefined,
      );
    },
    clear() {
      controller?.abort();
      controller = null;
    },
  };
}

export interface DebouncerOptions {
  clock: Clock;
  /** Quiet period: a batch is released only after no event for this long. */
  quietMs: number;
  /** A file modified more recently than this postpones the batch (its last events may have been folded). */
  settleMs: number;
  /** A batch is never postponed by modification times for longer than this after its first event. */
  maxPostponeMs: number;
  /** The newest modification time (epoch ms, on the clock's scale) among the paths; 0 when none exist. */
  newestModification: (paths: string[]) => Promise<number>;
  onBatch: (paths: string[]) => void;
}

export interface Debouncer {
  /** One file-system event. */
  add(path: string): void;
  /** Drops the batch and releases nothing more. */
  close(): void;
}

/** Files whose mtime is checked before a batch is released; a bigger batch (a branch switch) is checked on a sample. */
const MAX_STAT_PER_BATCH = 500;

/**
 * Batches events: every event (re)starts the quiet period, so an editor's save, a `git pull` of 200
 * files or a branch switch is one batch. Before releasing, the files' modification times are checked
 * (write-finish detection): one modified within `settleMs` postpones the batch a little.
 */
export function createDebouncer(o: DebouncerOptions): Debouncer {
  const timer = resettableTimer(o.clock);
  let batch = new Set<string>();
  let firstEventAt = 0;
  let generation = 0;
  let closed = false;

  const release = async (): Promise<void> => {
    if (closed || batch.size === 0) return;
    const seen = generation;
    if (o.clock.now() - firstEventAt <= o.maxPostponeMs) {
      const newest = await o.newestModification([...batch].slice(-MAX_STAT_PER_BATCH));
      const age = o.clock.now() - newest;
      // Still being written (or its last events were folded away): give it a moment more.
      if (age >= 0 && age < o.settleMs) {
        if (!closed && generation === seen) timer.set(o.settleMs - age + 5, () => void release());
        return;
      }
    }
    // An event while the files were being checked re-armed the timer: that later release takes it all.
    if (closed || generation !== seen) return;
    const paths = [...batch];
    batch = new Set();
    o.onBatch(paths);
  };

  return {
    add(path) {
      if (closed) return;
      if (batch.size === 0) firstEventAt = o.clock.now();
      generation += 1;
      batch.add(path);
      timer.set(o.quietMs, () => void release());
    },
    close() {
      closed = true;
      timer.clear();
      batch = new Set();
    },
  };
}
