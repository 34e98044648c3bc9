// Figure 1b: what the material checks (SPEC §2c) add to load + validate. The whole CLI process,
// `validate DIR` against `validate DIR --skip-material-checks`, on a bench/gen-current.mjs tree of
// 10,000 resources whose secrets are real material (RSA keys, certificates and PKCS12 stores,
// a few shared by many resources and some distinct), plus validate on an empty folder (start-up).
// The three alternate run by run, after one unmeasured warm-up each, so that a burst of other
// work on this shared machine hits all three alike. CPU time (user + system) beside wall time.
// Target: with the checks on, validate costs under 30 % more than with them off.
// Run after `npm run build`: node bench/material-cost.mjs   (BENCH_RUNS, BENCH_QUICK)
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig } from './lib/config.mjs';
import { int, ms, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeCurrentManifestTree } from './lib/manifests.mjs';
import { cleanEnv, expectExit, timeCli } from './lib/proc.mjs';
import { summarise } from './lib/stats.mjs';

/** The most the checks may add to validate's wall time, as a fraction of validate without them. */
export const TARGET_MATERIAL_OVERHEAD = 0.3;

const pct = (x) => (Number.isFinite(x) ? `${(x * 100).toFixed(0)} %` : 'n/a');

/** Times validate with the checks on, off, and on an empty folder, `runs` times each, alternating. */
export async function measureMaterialCost({ resources, runs }) {
  const root = await tempDir();
  try {
    const dir = join(root, 'manifests');
    const empty = join(root, 'empty');
    await mkdir(empty);
    const tree = await writeCurrentManifestTree(dir, { resources });
    const env = cleanEnv(manifestEnv(dir));
    const variants = {
      on: ['validate', dir],
      off: ['validate', dir, '--skip-material-checks'],
      empty: ['validate', empty],
    };
    const samples = { on: [], off: [], empty: [] };
    let summaryLine = '';
    for (let r = -1; r < runs; r += 1) {
      for (const [name, args] of Object.entries(variants)) {
        const run = expectExit(await timeCli(args, { env }), [0], args.join(' '));
        if (name === 'on') summaryLine = run.stdout.trim().split('\n').pop() ?? '';
        if (r >= 0) samples[name].push(run); // r = -1 is the warm-up: page cache, and the exit check
      }
    }
    const wall = (name) => summarise(samples[name].map((s) => s.ms));
    const cpu = (name) => summarise(samples[name].map((s) => s.cpuMs ?? Number.NaN));
    const f = {
      resources,
      runs,
      files: tree.files,
      materialSets: tree.materialSets,
      summaryLine,
      on: { wall: wall('on'), cpu: cpu('on') },
      off: { wall: wall('off'), cpu: cpu('off') },
      empty: { wall: wall('empty'), cpu: cpu('empty') },
      target: TARGET_MATERIAL_OVERHEAD,
    };
    f.overhead = f.on.wall.median / f.off.wall.median - 1;
    f.cpuOverhead = f.on.cpu.median / f.off.cpu.median - 1;
    f.share = (f.on.wall.median - f.off.wall.median) / f.on.wall.median;
    f.cpuShare = (f.on.cpu.median - f.off.cpu.median) / f.on.cpu.median;
    return f;
  } finally {
    await removeTree(root);
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function materialCostRows(f) {
  const row = (what, m) => [what, int(f.resources), spread(m.wall), ms(m.cpu.median)];
  const verdict = f.overhead < f.target ? 'holds' : 'MISSED';
  return [
    [
      'validate',
      'resources',
      'wall median (min - max)',
      'CPU median',
      `checks' cost (target < ${pct(f.target)} over checks off)`,
    ],
    [
      [...row('checks on (default)', f.on), `+${pct(f.overhead)} wall, +${pct(f.cpuOverhead)} CPU: ${verdict}`],
      [...row('--skip-material-checks', f.off), ''],
      ['empty folder (start-up)', '0', spread(f.empty.wall), ms(f.empty.cpu.median), ''],
      [
        'checks alone (on - off)',
        '',
        ms(f.on.wall.median - f.off.wall.median),
        ms(f.on.cpu.median - f.off.cpu.median),
        `${pct(f.share)} of validate's wall time, ${pct(f.cpuShare)} of its CPU`,
      ],
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measureMaterialCost({ resources: config.sizes.material, runs: config.runs });
  console.log(`validate with material checks on / off, ${config.runs} runs each; "${f.summaryLine}"\n`);
  console.log(textTable(...materialCostRows(f)));
}
