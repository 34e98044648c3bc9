// Figure 4: the same apply as a user's naive shell loop (bench/naive-curl.sh: one `curl` POST
// per resource, sequential, bodies pre-generated), against the same emulator with the same
// latency, as the baseline. The bodies are the product's own (loadManifests + toApiBody from the
// build), so both send the same bytes. Needs curl (not installed by `npm ci`).
// Run after `npm run build`: node bench/naive-curl.mjs   (BENCH_RUNS, BENCH_QUICK, BENCH_FULL)
import { execFileSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toApiBody } from '../dist/api/mapping.js';
import { loadManifests } from '../dist/manifest/load.js';
import { benchConfig } from './lib/config.mjs';
import { resetEmulator, startBenchEmulator } from './lib/emulator.mjs';
import { int, ms, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { ROOT, cleanEnv, expectExit, timeChild } from './lib/proc.mjs';
import { repeat, summarise } from './lib/stats.mjs';

const SCRIPT = join(ROOT, 'bench', 'naive-curl.sh');

/** The curl version line, or null when curl is missing. */
export function curlVersion() {
  try {
    return execFileSync('curl', ['--version'], { encoding: 'utf8' }).split('\n')[0];
  } catch {
    return null;
  }
}

/** Writes one JSON body per resource of `dir` and the LIST file naive-curl.sh reads; returns its path. */
export async function writeCurlInputs(dir, out) {
  const load = await loadManifests([dir], { cwd: dir, env: { ...process.env, ...manifestEnv(dir) } });
  if (!load.state) throw new Error(`the generated manifests do not load: ${load.diagnostics[0]?.message}`);
  await mkdir(join(out, 'bodies'), { recursive: true });
  const lines = [];
  let i = 0;
  for (const r of load.state.resources) {
    const file = join(out, 'bodies', `${i++}.json`);
    await writeFile(file, JSON.stringify(toApiBody(r)));
    lines.push(
      `/apiops/projects/${encodeURIComponent(r.project)}/${r.kind === 'Key' ? 'keys' : 'keystores'}/\t${file}`,
    );
  }
  const list = join(out, 'list.tsv');
  await writeFile(list, `${lines.join('\n')}\n`);
  return { list, resources: lines.length };
}

/** Times naive-curl.sh over `resources` generated resources, `runs` times, from an empty emulator. */
export async function measureNaiveCurl({ resources, runs, latencyMs }) {
  const version = curlVersion();
  if (!version) return { missing: true };
  const root = await tempDir();
  const emulator = await startBenchEmulator({ latencyMs });
  try {
    await writeManifestTree(join(root, 'manifests'), { resources });
    const { list } = await writeCurlInputs(join(root, 'manifests'), root);
    const env = cleanEnv({ APINIZER_URL: emulator.url, APINIZER_TOKEN: emulator.token });
    const samples = await repeat(runs, async () => {
      resetEmulator(emulator);
      const run = expectExit(await timeChild('bash', [SCRIPT, list], { env, rss: false }), [0], 'naive-curl.sh');
      const writes = emulator.stats().writes;
      if (writes !== resources) throw new Error(`naive-curl.sh: ${writes} writes for ${resources} resources`);
      return run;
    });
    const wall = summarise(samples.map((s) => s.ms));
    return { version, resources, runs, latencyMs, wall, perResourceMs: wall.median / resources };
  } finally {
    await emulator.close();
    await removeTree(root);
  }
}

/**
 * The figure as [header, rows]; `ours` ({concurrency, resources, runs, wall}) is apply at
 * concurrency 16, for the speed-up. Null when curl is missing.
 */
export function naiveCurlRows(f, ours) {
  if (f.missing) return null;
  const rows = [
    ['naive curl loop (sequential)', int(f.resources), f.runs, spread(f.wall), `${f.perResourceMs.toFixed(1)} ms`, ''],
  ];
  if (ours) {
    const loopAtN = f.perResourceMs * ours.resources;
    const extrapolated = ours.resources !== f.resources;
    rows.push([
      `apinizer-gitops apply --concurrency ${ours.concurrency}`,
      int(ours.resources),
      ours.runs,
      spread(ours.wall),
      `${(ours.wall.median / ours.resources).toFixed(1)} ms`,
      `${(loopAtN / ours.wall.median).toFixed(1)}x faster than the loop${extrapolated ? ` (loop at ${int(ours.resources)}: ${ms(loopAtN)}, extrapolated linearly)` : ''}`,
    ]);
  }
  return [['what', 'resources', 'runs', 'wall median (min - max)', 'per resource', 'speed-up'], rows];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measureNaiveCurl({ resources: config.sizes.curl, runs: config.runs, latencyMs: config.latencyMs });
  console.log(`Naive shell loop, ${f.version ?? 'curl missing'}, emulator latency ${config.latencyMs} ms\n`);
  const rows = naiveCurlRows(f);
  console.log(
    rows ? textTable(...rows) : 'curl is not installed: the baseline was not measured (apt-get install -y curl)',
  );
}
