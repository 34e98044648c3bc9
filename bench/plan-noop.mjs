// Figure 2: `plan` with no changes at 10,000 resources against the emulator (no latency): wall
// time of the whole process, peak RSS, and the requests it made, from the emulator's counters.
// The minimum is one list call per (project, kind) the manifests touch plus one environments call
// per project: 2 projects x 2 kinds + 2 = 6 for the generated tree.
// Run after `npm run build`: node bench/plan-noop.mjs   (BENCH_RUNS, BENCH_QUICK; see bench/README.md)
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { timedApply, timedPlan } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { requestCounts, startBenchEmulator } from './lib/emulator.mjs';
import { int, mb, ms, spread, textTable } from './lib/format.mjs';
import { removeTree, tempDir, treeScopes, writeManifestTree } from './lib/manifests.mjs';
import { repeat, summarise } from './lib/stats.mjs';

export const TARGET_PLAN_MS = 1500;

/**
 * Plans a tree of `resources` with no changes, `runs` times. `shared` ({emulator, dir}) reuses a
 * tree and an emulator that another figure made; the emulator is seeded by one apply when empty.
 */
export async function measurePlanNoop({ resources, runs, shared }) {
  const own = !shared;
  const root = own ? await tempDir() : undefined;
  const dir = shared?.dir ?? join(root, 'manifests');
  const emulator = shared?.emulator ?? (await startBenchEmulator());
  try {
    if (own) await writeManifestTree(dir, { resources });
    if (emulator.store.size() < resources) await timedApply(emulator, dir, { concurrency: 16 });
    // One unmeasured run: page cache and the emulator's JIT warm, as for a CI runner's second plan.
    await timedPlan(emulator, dir);
    const samples = await repeat(runs, () => timedPlan(emulator, dir));
    const expected = await treeScopes(dir);
    const counts = samples.map((s) => requestCounts(s.stats));
    const minimal = counts.every(
      (c) => c.total === expected.total && c.lists === expected.lists && c.environments === expected.environments,
    );
    return {
      resources,
      wall: summarise(samples.map((s) => s.ms)),
      cpu: summarise(samples.map((s) => s.cpuMs ?? Number.NaN)),
      rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
      startup: summarise(samples.map((s) => s.startupMs)),
      api: summarise(samples.map((s) => s.apiMs)),
      requests: counts[0],
      expected,
      minimal,
      summaryLine: samples[0].summaryLine,
      target: TARGET_PLAN_MS,
    };
  } finally {
    if (own) {
      await emulator.close();
      await removeTree(root);
    }
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function planNoopRows(f) {
  return [
    [
      'resources',
      'wall median (min - max)',
      'CPU',
      'before 1st request',
      'API phase',
      'peak RSS',
      'requests (lists + envs)',
      `target <= ${ms(f.target)}, minimal requests`,
    ],
    [
      [
        int(f.resources),
        spread(f.wall),
        ms(f.cpu.median),
        ms(f.startup.median),
        ms(f.api.median),
        mb(f.rss.median),
        `${f.requests.total} (${f.requests.lists} + ${f.requests.environments}; minimal ${f.expected.total})`,
        `${f.wall.median <= f.target ? 'time holds' : 'time MISSED'}, ${f.minimal ? 'requests minimal' : 'requests NOT minimal'}`,
      ],
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measurePlanNoop({ resources: config.sizes.plan, runs: config.runs });
  console.log(`No-op plan, emulator without latency, ${config.runs} runs; "${f.summaryLine}"\n`);
  console.log(textTable(...planNoopRows(f)));
}
