// The scheduler and the debouncer on a manual clock: one cycle at a time, requests made during a
// cycle merged into exactly one follow-up, timers that re-arm instead of stacking, and batches
// released only after a quiet period and once the files stopped changing. No real time passes.
import { describe, expect, it } from 'vitest';
import { createDebouncer, createScheduler, type CycleRequest } from '../../src/watch/scheduler.js';
import { manualClock } from '../support/fake-clock.js';

/** A cycle function whose runs wait for the test to let them finish. */
function gatedRuns() {
  const runs: { req: CycleRequest; finish: () => void }[] = [];
  const run = (req: CycleRequest) => new Promise<void>((finish) => runs.push({ req, finish }));
  return { runs, run };
}

describe('createScheduler', () => {
  it('runs one cycle at a time and merges every request made meanwhile into one follow-up', async () => {
    const clock = manualClock();
    const { runs, run } = gatedRuns();
    const s = createScheduler(clock, run);
    s.request({ full: true });
    await clock.settle();
    expect(runs).toHaveLength(1);
    s.request({ files: new Set(['a.yaml']) });
    s.request({ files: new Set(['b.yaml', 'a.yaml']) });
    s.request({ resync: true });
    await clock.settle();
    expect(runs).toHaveLength(1); // still the first
    runs[0]!.finish();
    await clock.settle();
    expect(runs).toHaveLength(2);
    expect(runs[1]!.req).toEqual({ files: new Set(['a.yaml', 'b.yaml']), full: false, resync: true, confirm: false });
    runs[1]!.finish();
    await s.idle();
    expect(runs).toHaveLength(2);
  });

  it('fires a named timer once, re-arming replaces it, and stop disarms it and waits for the cycle in flight', async () => {
    const clock = manualClock();
    const { runs, run } = gatedRuns();
    const s = createScheduler(clock, run);
    s.after('resync', 1_000, { resync: true });
    s.after('resync', 3_000, { resync: true }); // replaces the first
    await clock.advance(2_000);
    expect(runs).toHaveLength(0);
    await clock.advance(1_000);
    expect(runs.map((r) => r.req.resync)).toEqual([true]);
    s.after('retry', 500, {});
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await clock.settle();
    expect(stopped).toBe(false); // the cycle in flight has not finished
    runs[0]!.finish();
    await stopping;
    await clock.advance(10_000);
    expect(runs).toHaveLength(1); // the retry timer was disarmed, and requests after stop start nothing
    s.request({ full: true });
    await clock.settle();
    expect(runs).toHaveLength(1);
  });

  it('keeps looping after a cycle that throws', async () => {
    const clock = manualClock();
    let calls = 0;
    const s = createScheduler(clock, () => {
      calls += 1;
      return calls === 1 ? Promise.reject(new Error('bug')) : Promise.resolve();
    });
    s.request({ full: true });
    await s.idle();
    s.request({});
    await s.idle();
    expect(calls).toBe(2);
  });
});

describe('createDebouncer', () => {
  const setup = (newest: () => number = () => 0) => {
    const clock = manualClock();
    const batches: string[][] = [];
    const d = createDebouncer({
      clock,
      quietMs: 300,
      settleMs: 50,
      maxPostponeMs: 3_000,
      newestModification: () => Promise.resolve(newest()),
      onBatch: (b) => batches.push(b),
    });
    return { clock, batches, d };
  };

  it('hands on a burst as one batch, once nothing happened for the quiet period', async () => {
    const { clock, batches, d } = setup();
    for (let i = 0; i < 200; i++) {
      d.add(`k${i}.yaml`);
      await clock.advance(10); // events 10 ms apart: never quiet for 300 ms
    }
    expect(batches).toHaveLength(0);
    await clock.advance(289);
    expect(batches).toHaveLength(0);
    await clock.advance(1);
    expect(batches).toHaveLength(1);
    expect(batches[0]).toHaveLength(200);
  });

  it('waits for a file modified just now (its last write may be folded into an earlier event), but not for ever', async () => {
    let modified = 0;
    const { clock, batches, d } = setup(() => modified);
    d.add('a.yaml');
    await clock.advance(290);
    modified = clock.now() + 10; // written at the moment the quiet period ends
    await clock.advance(10);
    expect(batches).toHaveLength(0); // postponed: modified 0 ms ago
    await clock.advance(60);
    expect(batches).toEqual([['a.yaml']]);

    // A file written for ever is released after maxPostponeMs.
    d.add('log.yaml');
    const first = clock.now();
    for (let t = 0; t < 4_000 && batches.length === 1; t += 20) {
      modified = clock.now();
      await clock.advance(20);
    }
    expect(batches).toHaveLength(2);
    expect(clock.now() - first).toBeLessThanOrEqual(3_000 + 300 + 60);
  });

  it('releases nothing after close', async () => {
    const { clock, batches, d } = setup();
    d.add('a.yaml');
    d.close();
    d.add('b.yaml');
    await clock.advance(1_000);
    expect(batches).toHaveLength(0);
  });
});
