// Sizes and run counts for every figure, from the environment:
//   BENCH_RUNS=N   runs per figure (default 5; concurrency 1 uses min(N, 3))
//   BENCH_QUICK=1  small sizes and 3 runs, for checking that the bench works (figures meaningless)
//   BENCH_FULL=1   no shortcuts: concurrency 1 and the curl loop at the full 2,000 resources (slow)
//   BENCH_CONCURRENCY=16,64  the concurrencies of the apply figure (default 16,64, the targets;
//                            BENCH_FULL: 1,4,16,64). Keeps a default run under about 10 minutes.

/** The configuration the figures read. */
export function benchConfig(env = process.env) {
  const quick = env.BENCH_QUICK === '1';
  const full = env.BENCH_FULL === '1' && !quick;
  const runs = Math.max(1, Number(env.BENCH_RUNS ?? (quick ? 3 : 5)) || 5);
  return {
    quick,
    full,
    runs,
    /** Concurrency 1 costs N x latency per run: fewer runs, and fewer resources unless BENCH_FULL. */
    runsC1: full ? runs : Math.min(runs, 3),
    latencyMs: 50,
    sizes: quick
      ? {
          load: [100, 1000],
          plan: 1000,
          apply: 200,
          applyC1: 50,
          curl: 50,
          rss: 1000,
          faults: 100,
          material: 1000,
          sops: 1000,
          planCurrent: 1000,
        }
      : {
          load: [1000, 10000],
          plan: 10000,
          apply: 2000,
          applyC1: full ? 2000 : 400,
          curl: full ? 2000 : 200,
          rss: 10000,
          faults: 500,
          material: 10000,
          sops: 10000,
          planCurrent: 10000,
        },
    /** The sequential curl loop costs N x latency per run: fewer runs unless BENCH_FULL. */
    runsCurl: full ? runs : Math.min(runs, 3),
    concurrencies: (env.BENCH_CONCURRENCY ?? (full ? '1,4,16,64' : '16,64'))
      .split(',')
      .map(Number)
      .filter((c) => c >= 1 && c <= 64),
  };
}
