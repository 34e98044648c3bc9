// Figures 1 and 2 of issue 22: `validate --skip-material-checks` and a no-op `plan
// --skip-material-checks` as ratios to their floor, a bare `js-yaml` loadAll of the same files in
// one Node process (bench/lib/bare-parse.mjs), measured in the same run. The floor and the product
// alternate run by run, after one unmeasured warm-up each, so that a burst of other work on the
// machine hits both alike and the ratio moves less than either time.
// Targets (10,000 resources in 1,000 files, a quiet machine): validate <= 1.5x the bare parse;
// plan <= 2.2x the bare parse with a peak RSS under 200 MB.
//   node bench/floor.mjs            both figures (BENCH_RUNS, BENCH_QUICK)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkdir } from 'node:fs/promises';
import { timedPlan } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { requestCounts } from './lib/emulator.mjs';
import { int, mb, ms, ratio, spread, textTable } from './lib/format.mjs';
import { manifestEnv, treeScopes } from './lib/manifests.mjs';
import { ROOT, cleanEnv, expectExit, timeChild, timeCli } from './lib/proc.mjs';
import { median, summarise } from './lib/stats.mjs';
import { sharedTree, seedShared } from './rss.mjs';

export const TARGET_VALIDATE_RATIO = 1.5;
export const TARGET_PLAN_RATIO = 2.2;
export const TARGET_PLAN_RSS_KB = 200 * 1024;

const BARE = join(ROOT, 'bench', 'lib', 'bare-parse.mjs');

/** One run of the floor: the bare js-yaml parse of `dir` in a fresh Node process. */
export async function timeBareParse(dir) {
  return expectExit(await timeChild(process.execPath, [BARE, dir], { env: cleanEnv() }), [0], 'bare parse');
}

/** Wall and CPU of `samples` against the floor's: ratio of the medians, and the median of the run-by-run ratios. */
function against(samples, floor) {
  const wall = summarise(samples.map((s) => s.ms));
  const cpu = summarise(samples.map((s) => s.cpuMs ?? Number.NaN));
  return {
    wall,
    cpu,
    rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
    ratio: wall.median / floor.wall.median,
    cpuRatio: cpu.median / floor.cpu.median,
    pairRatio: median(samples.map((s, i) => s.ms / (floor.samples[i]?.ms ?? Number.NaN))),
  };
}

function floorOf(samples) {
  return {
    samples,
    wall: summarise(samples.map((s) => s.ms)),
    cpu: summarise(samples.map((s) => s.cpuMs ?? Number.NaN)),
    rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
  };
}

/** Figure 1: the bare parse, `validate --skip-material-checks` and validate on an empty folder, alternating. */
export async function measureValidateFloor({ dir, runs }) {
  const empty = join(dir, '..', 'empty-folder');
  await mkdir(empty, { recursive: true });
  const env = cleanEnv(manifestEnv(dir));
  const bare = [];
  const validate = [];
  const start = [];
  let summaryLine = '';
  for (let r = -1; r < runs; r += 1) {
    const b = await timeBareParse(dir);
    const v = expectExit(await timeCli(['validate', dir, '--skip-material-checks'], { env }), [0], 'validate');
    const e = expectExit(await timeCli(['validate', empty], { env }), [0], 'validate (empty folder)');
    summaryLine = v.stdout.trim().split('\n').pop() ?? '';
    if (r < 0) continue; // warm-up: page cache, and the exit checks
    bare.push(b);
    validate.push(v);
    start.push(e);
  }
  const floor = floorOf(bare);
  return {
    runs,
    summaryLine,
    floorLine: bare[0]?.stdout.trim() ?? '',
    floor,
    validate: against(validate, floor),
    startup: against(start, floor),
    target: TARGET_VALIDATE_RATIO,
  };
}

/**
 * Figure 2: the bare parse and a no-op `plan --skip-material-checks` (text output) against an
 * emulator holding the tree, alternating; also the requests of each plan.
 */
export async function measurePlanFloor({ shared, resources, runs }) {
  await seedShared(shared, resources);
  const args = { extraArgs: ['--skip-material-checks'] };
  const bare = [];
  const plans = [];
  for (let r = -1; r < runs; r += 1) {
    const b = await timeBareParse(shared.dir);
    const p = await timedPlan(shared.emulator, shared.dir, args);
    if (r < 0) continue;
    bare.push(b);
    plans.push(p);
  }
  const floor = floorOf(bare);
  const scopes = await treeScopes(shared.dir);
  // On a legacy server each project costs the generation probe (404) and the legacy environments call.
  const expected = { ...scopes, probes: scopes.environments, total: scopes.lists + 2 * scopes.environments };
  const counts = plans.map((s) => requestCounts(s.stats));
  return {
    resources,
    runs,
    floor,
    plan: against(plans, floor),
    startup: summarise(plans.map((s) => s.startupMs)),
    api: summarise(plans.map((s) => s.apiMs)),
    requests: counts[0],
    expected,
    minimal: counts.every(
      (c) =>
        c.total === expected.total &&
        c.lists === expected.lists &&
        c.environments === expected.environments &&
        c.probes === expected.probes,
    ),
    summaryLine: plans[0]?.summaryLine ?? '',
    target: TARGET_PLAN_RATIO,
    rssTarget: TARGET_PLAN_RSS_KB,
  };
}

const verdict = (ok) => (ok ? 'holds' : 'MISSED');

/** Figure 1 as [header, rows]. */
export function validateFloorRows(f) {
  return [
    ['process', 'wall median (min - max)', 'CPU median', 'peak RSS median', 'wall / bare parse', 'CPU / bare parse'],
    [
      [
        `bare js-yaml loadAll (the floor): ${f.floorLine}`,
        spread(f.floor.wall),
        ms(f.floor.cpu.median),
        mb(f.floor.rss.median),
        '1.00x',
        '1.00x',
      ],
      [
        `validate --skip-material-checks (target <= ${ratio(f.target)}: ${verdict(f.validate.ratio <= f.target)})`,
        spread(f.validate.wall),
        ms(f.validate.cpu.median),
        mb(f.validate.rss.median),
        `${ratio(f.validate.ratio)} (run by run ${ratio(f.validate.pairRatio)})`,
        ratio(f.validate.cpuRatio),
      ],
      [
        'validate on an empty folder (start-up alone)',
        spread(f.startup.wall),
        ms(f.startup.cpu.median),
        mb(f.startup.rss.median),
        ratio(f.startup.ratio),
        ratio(f.startup.cpuRatio),
      ],
    ],
  ];
}

/** Figure 2 as [header, rows]. */
export function planFloorRows(f) {
  return [
    [
      'process',
      'wall median (min - max)',
      'CPU median',
      'peak RSS median (max)',
      'wall / bare parse',
      'before 1st request',
      'API phase',
      'requests',
    ],
    [
      [
        'bare js-yaml loadAll (the floor)',
        spread(f.floor.wall),
        ms(f.floor.cpu.median),
        mb(f.floor.rss.median),
        '1.00x',
        '',
        '',
        '',
      ],
      [
        `no-op plan --skip-material-checks (target <= ${ratio(f.target)}: ${verdict(f.plan.ratio <= f.target)}; RSS < ${mb(f.rssTarget)}: ${verdict(f.plan.rss.max < f.rssTarget)})`,
        spread(f.plan.wall),
        ms(f.plan.cpu.median),
        `${mb(f.plan.rss.median)} (${mb(f.plan.rss.max)})`,
        `${ratio(f.plan.ratio)} (run by run ${ratio(f.plan.pairRatio)}); CPU ${ratio(f.plan.cpuRatio)}`,
        ms(f.startup.median),
        ms(f.api.median),
        `${f.requests.total} (${f.requests.lists} lists + ${f.requests.environments} environments + ${f.requests.probes} generation probes; minimal ${f.expected.total}): ${f.minimal ? 'minimal' : 'NOT minimal'}`,
      ],
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const shared = await sharedTree(config.sizes.plan);
  try {
    const v = await measureValidateFloor({ dir: shared.dir, runs: config.runs });
    console.log(
      `1. validate against the bare parse, ${int(config.sizes.plan)} resources, ${config.runs} runs: "${v.summaryLine}"\n`,
    );
    console.log(textTable(...validateFloorRows(v)));
    const p = await measurePlanFloor({ shared, resources: config.sizes.plan, runs: config.runs });
    console.log(`\n2. no-op plan against the bare parse, ${config.runs} runs: "${p.summaryLine}"\n`);
    console.log(textTable(...planFloorRows(p)));
  } finally {
    await shared.close();
  }
}
