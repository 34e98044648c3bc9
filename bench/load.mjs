// Times `apinizer-gitops validate` as a whole process (what CI pays) on a generated tree of
// 10,000 resources in 1,000 files: median of 5 runs, after one warm-up run that fills the page
// cache. Also times validate on an empty folder (start-up: Node, module loading, schema
// compilation) so that documents/second counts only the work that grows with the tree.
// CPU time is printed too: on a machine shared with other work it moves far less than wall time.
// Prints figures; asserts nothing about time. Run after `npm run build`:
//
//   node bench/load.mjs            # BENCH_RESOURCES (10000), BENCH_PER_FILE (10), BENCH_RUNS (5)
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, mkdir, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateManifests } from './gen-manifests.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'apinizer-gitops.js');
const RESOURCES = Number(process.env.BENCH_RESOURCES ?? 10_000);
const PER_FILE = Number(process.env.BENCH_PER_FILE ?? 10);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

// CPU time (user + system) of the child is less disturbed than wall time by other work on a shared
// machine; GNU time reports it (getrusage of the child) when it is installed.
const GNU_TIME = '/usr/bin/time';
const HAS_TIME = existsSync(GNU_TIME);
const CPU_MARK = '@@cpu ';

/** Runs the CLI once; resolves to { ms, cpuMs, code, stdout, stderr }. */
function timeCli(args, env) {
  return new Promise((resolve, reject) => {
    const start = performance.now();
    const argv = HAS_TIME
      ? [GNU_TIME, ['-f', `${CPU_MARK}%U %S`, process.execPath, CLI, ...args]]
      : [process.execPath, [CLI, ...args]];
    const child = spawn(argv[0], argv[1], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - start;
      const mark = stderr.lastIndexOf(CPU_MARK);
      let cpuMs = Number.NaN;
      if (mark >= 0) {
        const [user, sys] = stderr
          .slice(mark + CPU_MARK.length)
          .trim()
          .split(/\s+/)
          .map(Number);
        cpuMs = (user + sys) * 1000;
        stderr = stderr.slice(0, mark);
      }
      resolve({ ms, cpuMs, code, stdout, stderr });
    });
  });
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

async function series(args, env, runs) {
  await timeCli(args, env); // warm-up: page cache, and the check below
  const times = [];
  const cpu = [];
  let last = '';
  for (let i = 0; i < runs; i += 1) {
    const r = await timeCli(args, env);
    if (r.code !== 0)
      throw new Error(`validate exited ${r.code}:\n${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`);
    times.push(r.ms);
    cpu.push(r.cpuMs);
    last = r.stdout.trim().split('\n').pop();
  }
  return { times, median: median(times), cpuMedian: median(cpu), last };
}

if (!existsSync(join(ROOT, 'dist', 'cli', 'main.js'))) {
  process.stderr.write('bench/load.mjs: dist/ is missing; run `npm run build` first\n');
  process.exit(1);
}

const dir = await mkdtemp(join(tmpdir(), 'agitops-bench-load-'));
try {
  const tree = join(dir, 'tree');
  const empty = join(dir, 'empty');
  await mkdir(empty);
  const gen = await generateManifests(tree, { resources: RESOURCES, perFile: PER_FILE });
  const startup = await series(['validate', empty], {}, RUNS);
  const full = await series(['validate', tree], gen.env, RUNS);
  const work = Math.max(1, full.median - startup.median);
  const cpuWork = Math.max(1, full.cpuMedian - startup.cpuMedian);
  const fmt = (x) => (Number.isFinite(x) ? `${Math.round(x).toLocaleString('en-US')} ms` : 'n/a');
  const rate = (ms) =>
    Number.isFinite(ms) ? `${Math.round((gen.resources / ms) * 1000).toLocaleString('en-US')} documents/s` : 'n/a';
  const lines = [
    `validate: ${gen.resources.toLocaleString('en-US')} resources in ${gen.files.toLocaleString('en-US')} files (${(gen.bytes / 1024 / 1024).toFixed(1)} MiB), median of ${RUNS} runs`,
    `  machine: ${cpus().length} cores, ${cpus()[0]?.model?.trim() ?? 'unknown CPU'}, Node ${process.version}, load ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}`,
    `  output: ${full.last}`,
    `  wall time, whole process:   ${fmt(full.median)}   (runs: ${full.times.map(fmt).join(', ')})`,
    `  start-up (empty folder):    ${fmt(startup.median)}   (runs: ${startup.times.map(fmt).join(', ')})`,
    `  after start-up:             ${fmt(work)}   = ${rate(work)}`,
    `  overall:                    ${rate(full.median)}`,
    `  CPU time (user+sys), median: ${fmt(full.cpuMedian)} whole, ${fmt(startup.cpuMedian)} start-up, ${fmt(cpuWork)} after start-up = ${rate(cpuWork)}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await rm(dir, { recursive: true, force: true });
}
