// Figure 5: peak RSS of `apply --skip-material-checks` of 10,000 creates (from an empty server),
// emulator without latency, concurrency 16, on a real-material tree (bench/gen-manifests.mjs).
// Peak RSS is the kernel's high-water mark of the CLI process (bench/lib/proc.mjs: /usr/bin/time
// %M, else VmHWM sampling). The no-op plan's peak RSS is in figure 2 (bench/floor.mjs).
// Run after `npm run build`: node bench/rss.mjs   (BENCH_RUNS, BENCH_QUICK; see bench/README.md)
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { timedApply } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { resetEmulator, startBenchEmulator } from './lib/emulator.mjs';
import { int, mb, ms, spread, textTable } from './lib/format.mjs';
import { removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { RSS_METHOD } from './lib/proc.mjs';
import { repeat, summarise } from './lib/stats.mjs';

/** Peak RSS target at 10,000 resources, in KiB (issue 22: 200 MB). */
export const TARGET_RSS_KB = 200 * 1024;

const APPLY_ARGS = ['--skip-material-checks'];

/**
 * Applies a tree of `resources` from empty `runs` times; leaves the emulator holding the tree, so
 * a no-op plan can follow on the same `shared` {emulator, dir}.
 */
export async function measureApplyRss({ resources, runs, shared }) {
  const samples = await repeat(runs, async () => {
    resetEmulator(shared.emulator);
    const s = await timedApply(shared.emulator, shared.dir, { concurrency: 16, extraArgs: APPLY_ARGS });
    if ((s.report?.summary?.created ?? 0) !== resources)
      throw new Error(`apply: created ${s.report?.summary?.created} of ${resources}`);
    return s;
  });
  return {
    resources,
    wall: summarise(samples.map((s) => s.ms)),
    cpu: summarise(samples.map((s) => s.cpuMs ?? Number.NaN)),
    rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
  };
}

/** Makes the tree (real material) and emulator that figures 1, 2 and 5 share; `close()` removes them. */
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

/** Makes sure the shared emulator holds the whole tree (one apply when it does not), for a no-op plan. */
export async function seedShared(shared, resources) {
  if (shared.emulator.store.size() >= resources) return;
  resetEmulator(shared.emulator);
  const s = await timedApply(shared.emulator, shared.dir, { concurrency: 16, extraArgs: APPLY_ARGS });
  if ((s.report?.summary?.created ?? 0) !== resources)
    throw new Error(`apply (seeding): created ${s.report?.summary?.created} of ${resources}`);
}

/** Peak RSS of apply as [header, rows], for textTable or markdownTable. */
export function rssRows(apply) {
  return [
    [
      'command',
      'resources',
      'peak RSS median (min - max)',
      'wall median (min - max)',
      'CPU median',
      `target < ${mb(TARGET_RSS_KB)}`,
    ],
    [
      [
        'apply --skip-material-checks from empty, concurrency 16, no latency',
        int(apply.resources),
        spread(apply.rss, mb),
        spread(apply.wall),
        ms(apply.cpu.median),
        apply.rss.max < TARGET_RSS_KB ? 'holds (largest run)' : 'MISSED (largest run)',
      ],
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const shared = await sharedTree(config.sizes.rss);
  try {
    const apply = await measureApplyRss({ resources: config.sizes.rss, runs: config.runs, shared });
    console.log(`Peak RSS (${RSS_METHOD}), ${config.runs} runs\n`);
    console.log(textTable(...rssRows(apply)));
  } finally {
    await shared.close();
  }
}
