// Figure 2b: `plan` with no changes at 10,000 resources against an emulator speaking the CURRENT
// API generation (SPEC §2b), no latency, `--concurrency 16`, after an apply that made them. A
// current server never returns material in reads, so the plan compares it through the export-file
// endpoints: the minimal no-op plan makes one list per (project, kind), one environments call per
// project (the generation probe, GET /apiops/projects/{project}/environments/, answers) and one
// export per (object, environment): 4 + 2 + 20,000 for the generated tree.
// The tree is bench/gen-current.mjs's (real material, so the material checks pass as they would).
// Run after `npm run build`: node bench/plan-noop-current.mjs   (BENCH_RUNS, BENCH_QUICK)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { timedApply, timedPlan } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { startBenchEmulator } from './lib/emulator.mjs';
import { int, mb, ms, spread, textTable } from './lib/format.mjs';
import { removeTree, tempDir, treeScopes, writeCurrentManifestTree } from './lib/manifests.mjs';
import { repeat, summarise } from './lib/stats.mjs';

export const PLAN_CONCURRENCY = 16;

/** Counts a current-generation plan's requests from a stats snapshot: lists, environments, exports, other. */
export function currentRequestCounts(stats) {
  const c = { total: stats.total, lists: 0, environments: 0, exports: 0, other: 0, byRoute: stats.byRoute };
  for (const [route, n] of Object.entries(stats.byRoute)) {
    if (route.includes('/export-file/')) c.exports += n;
    else if (/^GET \/apiops\/projects\/\{project\}\/key(store)?s\/$/.test(route)) c.lists += n;
    else if (route === 'GET /apiops/projects/{project}/environments/' || route === 'GET /apiops/environments/{project}')
      c.environments += n;
    else c.other += n;
  }
  return c;
}

/** Seeds a current-generation emulator with a tree of `resources` and plans it with no changes, `runs` times. */
export async function measurePlanNoopCurrent({ resources, runs }) {
  const root = await tempDir();
  const dir = join(root, 'manifests');
  const emulator = await startBenchEmulator({ generation: 'current' });
  try {
    await writeCurrentManifestTree(dir, { resources });
    const seed = await timedApply(emulator, dir, { concurrency: PLAN_CONCURRENCY });
    if ((seed.report?.summary?.created ?? 0) !== resources)
      throw new Error(`apply: created ${seed.report?.summary?.created} of ${resources}`);
    const args = { extraArgs: ['--concurrency', String(PLAN_CONCURRENCY)] };
    // One unmeasured run: page cache and the emulator's JIT warm, as for a CI runner's second plan.
    await timedPlan(emulator, dir, args);
    const samples = await repeat(runs, () => timedPlan(emulator, dir, args));
    const scopes = await treeScopes(dir);
    const expected = { lists: scopes.lists, environments: scopes.environments, exports: scopes.objectEnvironments };
    expected.total = expected.lists + expected.environments + expected.exports;
    const counts = samples.map((s) => currentRequestCounts(s.stats));
    const minimal = counts.every(
      (c) =>
        c.total === expected.total &&
        c.lists === expected.lists &&
        c.environments === expected.environments &&
        c.exports === expected.exports,
    );
    return {
      resources,
      seedMs: seed.ms,
      wall: summarise(samples.map((s) => s.ms)),
      cpu: summarise(samples.map((s) => s.cpuMs ?? Number.NaN)),
      rss: summarise(samples.map((s) => s.maxRssKb ?? Number.NaN)),
      startup: summarise(samples.map((s) => s.startupMs)),
      api: summarise(samples.map((s) => s.apiMs)),
      requests: counts[0],
      expected,
      minimal,
      summaryLine: samples[0].summaryLine,
    };
  } finally {
    await emulator.close();
    await removeTree(root);
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function planNoopCurrentRows(f) {
  const r = f.requests;
  return [
    [
      'resources',
      'wall median (min - max)',
      'CPU',
      'before 1st request',
      'API phase',
      'peak RSS',
      'requests (lists + envs + exports + other)',
      'minimal (lists + envs + one export per object and environment)',
    ],
    [
      [
        int(f.resources),
        spread(f.wall),
        ms(f.cpu.median),
        ms(f.startup.median),
        ms(f.api.median),
        mb(f.rss.median),
        `${int(r.total)} (${r.lists} + ${r.environments} + ${int(r.exports)} + ${r.other})`,
        `${int(f.expected.total)} (${f.expected.lists} + ${f.expected.environments} + ${int(f.expected.exports)}): ${f.minimal ? 'holds' : 'NOT minimal'}`,
      ],
    ],
  ];
}

/** The requests of one run by route, one line each, for the record. */
export function routeLines(f) {
  return Object.entries(f.requests.byRoute)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([route, n]) => `${route}  ${int(n)}`)
    .join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measurePlanNoopCurrent({ resources: config.sizes.planCurrent, runs: config.runs });
  console.log(
    `No-op plan on a current-generation emulator, --concurrency ${PLAN_CONCURRENCY}, ${config.runs} runs; "${f.summaryLine}"\n`,
  );
  console.log(textTable(...planNoopCurrentRows(f)));
  console.log(`\nrequests of one run, by route:\n${routeLines(f)}`);
}
