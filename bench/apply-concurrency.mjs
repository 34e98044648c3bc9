// Figure 3: apply from an empty server, emulator latency 50 ms, at concurrency 1, 4, 16 and 64,
// on a bench/gen-manifests.mjs tree. Each concurrency is one run of bench/apply.mjs (the apply
// owner's timing of the whole CLI process, with its read and write phases seen from the
// emulator) on that tree; this script adds the ideal, the ratios and the targets.
//
// The ideal (the model): every API call costs exactly the latency and nothing else costs
// anything. The product reads before it writes: the environments of all P projects and the lists
// of all S (project, kind) scopes in one round, limited by the concurrency (the client's
// connection pool): ceil((P + S)/c) round trips. Then the N creates, c at a time, Keys and
// Keystores side by side: ceil(N/c) round trips.
// ideal = (ceil((P + S)/c) + ceil(N/c)) x latency. Process start-up and manifest loading
// are not in the ideal: the wall/ideal ratio charges them to the product; the API phase (first
// request to last write, seen from the emulator) is shown beside it.
// Run after `npm run build`: node bench/apply-concurrency.mjs   (BENCH_RUNS, BENCH_QUICK, BENCH_FULL)
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { benchConfig } from './lib/config.mjs';
import { int, ms, ratio, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, treeScopes, writeManifestTree } from './lib/manifests.mjs';
import { ROOT, cleanEnv, expectExit, timeChild } from './lib/proc.mjs';
import { summarise } from './lib/stats.mjs';

const APPLY_BENCH = join(ROOT, 'bench', 'apply.mjs');

/** Targets: measured/ideal at these concurrencies (issue 7). */
export const TARGET_RATIO = { 16: 1.15, 64: 1.3 };

/** The ideal wall time of an apply from empty (see the model above); `scopes` from treeScopes. */
export function idealApplyMs(n, c, latencyMs, scopes) {
  const rounds = Math.ceil((scopes.environments + scopes.lists) / c) + Math.ceil(n / c);
  return { ms: rounds * latencyMs, rounds };
}

function number(text) {
  return Number(text.replace(/,/g, ''));
}

/** Reads bench/apply.mjs's output: per-run wall and write phase (stderr), phase medians (stdout). */
export function parseApplyBench(stdout, stderr) {
  const runs = [...stderr.matchAll(/run \d+\/\d+: wall ([\d,]+) ms, writes ([\d,]+) ms, maxInFlight (\d+)/g)].map(
    (m) => ({
      wall: number(m[1]),
      writes: number(m[2]),
      maxInFlight: number(m[3]),
    }),
  );
  const line = (label) => {
    const m = new RegExp(`${label}\\s+([\\d,]+) ms`).exec(stdout);
    if (!m) throw new Error(`bench/apply.mjs printed no "${label}" line:\n${stdout}`);
    return number(m[1]);
  };
  if (runs.length === 0) throw new Error(`bench/apply.mjs printed no run lines:\n${stderr}`);
  const requests = /requests total per run: (\d+)/.exec(stdout);
  return {
    runs,
    startup: line('start-up \\+ manifest load'),
    reads: line('reads \\(environments \\+ lists\\)'),
    writes: line('writes \\(first POST to last\\)'),
    requests: requests ? Number(requests[1]) : Number.NaN,
  };
}

/** Runs bench/apply.mjs on `dir` (n resources) at concurrency c, `runs` times. */
async function applyBench(dir, n, c, latencyMs, runs) {
  const run = await timeChild(process.execPath, [APPLY_BENCH, String(n), String(c), String(latencyMs)], {
    env: cleanEnv({ BENCH_MANIFESTS: dir, BENCH_RUNS: runs, ...manifestEnv(dir) }),
    rss: false,
  });
  expectExit(run, [0], `bench/apply.mjs ${n} ${c} ${latencyMs}`);
  return { ...parseApplyBench(run.stdout, run.stderr), raw: run.stdout };
}

/**
 * Applies a generated tree from empty at each concurrency. `sizes`: {apply, applyC1}; concurrency 1
 * uses `applyC1` resources and `runsC1` runs (it costs N x latency per run).
 */
export async function measureApplyConcurrency({ sizes, runs, runsC1, latencyMs, concurrencies }) {
  const root = await tempDir();
  try {
    const trees = new Map();
    for (const n of new Set([sizes.apply, sizes.applyC1])) {
      const dir = join(root, `n${n}`);
      await writeManifestTree(dir, { resources: n });
      trees.set(n, { dir, scopes: await treeScopes(dir) });
    }
    const rows = [];
    for (const c of concurrencies) {
      const n = c === 1 ? sizes.applyC1 : sizes.apply;
      const r = c === 1 ? runsC1 : runs;
      const tree = trees.get(n);
      const b = await applyBench(tree.dir, n, c, latencyMs, r);
      const ideal = idealApplyMs(n, c, latencyMs, tree.scopes);
      const wall = summarise(b.runs.map((x) => x.wall));
      const api = b.reads + b.writes;
      rows.push({
        concurrency: c,
        resources: n,
        runs: r,
        wall,
        startup: b.startup,
        reads: b.reads,
        writes: b.writes,
        api,
        ideal,
        ratio: wall.median / ideal.ms,
        apiRatio: api / ideal.ms,
        maxInFlight: Math.max(...b.runs.map((x) => x.maxInFlight)),
        requests: b.requests,
        target: TARGET_RATIO[c],
      });
    }
    return { latencyMs, rows };
  } finally {
    await removeTree(root);
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function applyConcurrencyRows(f) {
  return [
    [
      'concurrency',
      'resources',
      'runs',
      'wall median (min - max)',
      'ideal',
      'wall/ideal',
      'start-up + load',
      'API phase (reads + writes)',
      'API/ideal',
      'maxInFlight',
      'target',
    ],
    f.rows.map((r) => [
      r.concurrency,
      int(r.resources),
      r.runs,
      spread(r.wall),
      `${ms(r.ideal.ms)} (${r.ideal.rounds} x ${f.latencyMs} ms)`,
      ratio(r.ratio),
      ms(r.startup),
      `${ms(r.api)} (${ms(r.reads)} + ${ms(r.writes)})`,
      ratio(r.apiRatio),
      r.maxInFlight,
      r.target === undefined ? '' : `<= ${ratio(r.target)}: ${r.ratio <= r.target ? 'holds' : 'MISSED'}`,
    ]),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measureApplyConcurrency(config);
  console.log(`Apply from empty, emulator latency ${config.latencyMs} ms (each row: bench/apply.mjs)\n`);
  console.log(textTable(...applyConcurrencyRows(f)));
}
