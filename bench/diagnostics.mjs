// Figure 8, diagnostics at scale: `validate` with the material checks on a tree whose material is
// random bytes (bench/gen-manifests.mjs --fake-material), so every checked value warns: about
// 36,000 identical-looking findings at 10,000 resources. Text output groups them (a few locations
// each, then "and N more like this"); `--format json` keeps every one. Measured: wall, CPU, peak
// RSS and output size of both, against validate --skip-material-checks on the same tree (the same
// work without a finding), alternating, after one warm-up.
//   node bench/diagnostics.mjs      (BENCH_RUNS, BENCH_QUICK)
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { benchConfig } from './lib/config.mjs';
import { int, mb, ms, ratio, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { cleanEnv, expectExit, timeCli } from './lib/proc.mjs';
import { summarise } from './lib/stats.mjs';

/** Runs the three variants alternately and summarises each. */
export async function measureDiagnostics({ resources, runs }) {
  const root = await tempDir();
  try {
    const dir = join(root, 'manifests');
    await writeManifestTree(dir, { resources, material: 'fake' });
    const env = cleanEnv(manifestEnv(dir));
    const variants = {
      text: ['validate', dir],
      json: ['validate', dir, '--format', 'json'],
      skip: ['validate', dir, '--skip-material-checks'],
    };
    const samples = { text: [], json: [], skip: [] };
    let findings = 0;
    let textLines = 0;
    let summaryLine = '';
    for (let r = -1; r < runs; r += 1) {
      for (const [name, args] of Object.entries(variants)) {
        const run = expectExit(await timeCli(args, { env }), [0], args.join(' '));
        if (r < 0 && name === 'json') findings = JSON.parse(run.stdout).diagnostics.length;
        if (r < 0 && name === 'text') {
          textLines = run.stdout.split('\n').length - 1;
          summaryLine = run.stdout.trim().split('\n').pop() ?? '';
        }
        if (r >= 0) samples[name].push(run);
      }
    }
    const sum = (name) => ({
      wall: summarise(samples[name].map((s) => s.ms)),
      cpu: summarise(samples[name].map((s) => s.cpuMs ?? Number.NaN)),
      rss: summarise(samples[name].map((s) => s.maxRssKb ?? Number.NaN)),
      bytes: samples[name][0]?.stdout.length ?? 0,
    });
    return {
      resources,
      runs,
      findings,
      textLines,
      summaryLine,
      text: sum('text'),
      json: sum('json'),
      skip: sum('skip'),
    };
  } finally {
    await removeTree(root);
  }
}

/** The figure as [header, rows]. */
export function diagnosticsRows(f) {
  const row = (what, m) => [
    what,
    spread(m.wall),
    ms(m.cpu.median),
    mb(m.rss.median),
    `${int(m.bytes / 1024)} KiB`,
    ratio(m.wall.median / f.skip.wall.median),
  ];
  return [
    [
      'validate, fake material',
      'wall median (min - max)',
      'CPU median',
      'peak RSS median',
      'stdout',
      'wall / no findings',
    ],
    [
      row(`text (${int(f.findings)} findings in ${int(f.textLines)} lines)`, f.text),
      row(`--format json (all ${int(f.findings)} findings)`, f.json),
      row('--skip-material-checks (no findings: the baseline)', f.skip),
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measureDiagnostics({ resources: config.sizes.plan, runs: config.runs });
  console.log(`Diagnostics at scale, ${int(f.resources)} resources, ${config.runs} runs each; "${f.summaryLine}"\n`);
  console.log(textTable(...diagnosticsRows(f)));
}
