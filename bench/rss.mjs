// Figure 5: peak RSS of `apply` (from an empty server) and `plan` (no changes) at 10,000
// resources, emulator without latency, concurrency 16. Peak RSS is the kernel's high-water mark
// of the CLI process (see bench/lib/proc.mjs: /usr/bin/time %M, else VmHWM sampling).
// Run after `npm run build`: node bench/rss.mjs   (BENCH_RUNS, BENCH_QUICK; see bench/README.md)
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { timedApply } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { resetEmulator, startBenchEmulator } from './lib/emulator.mjs';
import { int, mb, spread, textTable } from './lib/format.mjs';
import { removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { RSS_METHOD } from './lib/proc.mjs';
import { repeat, summarise } from './lib/stats.mjs';
import { measurePlanNoop } from './plan-noop.mjs';

/** Peak RSS target at 10,000 resources, in KiB (250 MB). */
export const TARGET_RSS_KB = 200 * 1024; // issue 13

/**
 * Applies a tree of `resources` from empty `runs` times; leaves the emulator holding the tree, so
 * a no-op plan can follow on the same `shared` {emulator, dir}.
 */
export async function measureApplyRss({ resources, runs, shared }) {
  const samples = await repeat(runs, async () => {
    resetEmulator(shared.emulator);
    const s = await timedApply(shared.emulator, shared.dir, { concurrency: 16 });
    if ((s.report?.summary?.created ?? 0) !== resources)
      throw new Error(`apply: created ${s.report?.summary?.created} of ${resources}`);
    return s;
  });
  return {
    resources,
    wall: summarise(samples.map((s) => s.ms)),
    rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
  };
}

/** Makes the tree and emulator both figures share; `close()` removes them. */
export async function sharedTree(resources) {
  const root = await tempDir();
  const dir = join(root, 'manifests');
  await writeManifestTree(dir, { resources });
  const emulator = await startBenchEmulator();
  return {
    dir,
    emulator,
    async close() {
      await emulator.close();
      await removeTree(root);
    },
  };
}

/** Peak RSS of apply and plan as [header, rows], for textTable or markdownTable. */
export function rssRows(apply, plan) {
  const row = (what, f) => [
    what,
    int(f.resources),
    spread(f.rss, mb),
    spread(f.wall),
    f.rss.max < TARGET_RSS_KB ? 'holds' : 'MISSED',
  ];
  return [
    ['command', 'resources', 'peak RSS median (min - max)', 'wall median (min - max)', `target < ${mb(TARGET_RSS_KB)}`],
    [row('apply from empty, concurrency 16, no latency', apply), row('plan, no changes', plan)],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const shared = await sharedTree(config.sizes.rss);
  try {
    const apply = await measureApplyRss({ resources: config.sizes.rss, runs: config.runs, shared });
    const plan = await measurePlanNoop({ resources: config.sizes.rss, runs: config.runs, shared });
    console.log(`Peak RSS (${RSS_METHOD}), ${config.runs} runs each\n`);
    console.log(textTable(...rssRows(apply, plan)));
  } finally {
    await shared.close();
  }
}
