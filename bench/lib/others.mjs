// Spawning the benchmark scripts other owners wrote, and reading the figures from what they
// print. Their output is meant for people, so each parser names the line it could not find.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, cleanEnv, expectExit, timeChild } from './proc.mjs';
import { summarise } from './stats.mjs';

const num = (t) => Number(String(t).replace(/,/g, ''));
const msList = (t) => [...String(t).matchAll(/([\d,]+) ms/g)].map((m) => num(m[1]));

/** Runs bench/NAME with `args` and `env` (added to a clean environment); resolves its output. */
export async function runBenchScript(name, args = [], env = {}, timeoutMs = 900_000) {
  const file = join(ROOT, 'bench', name);
  if (!existsSync(file)) return null;
  const run = await timeChild(process.execPath, [file, ...args], { env: cleanEnv(env), rss: false, timeoutMs });
  return expectExit(run, [0], `bench/${name}`);
}

/** bench/load.mjs at `resources`: wall (per run), start-up (per run), docs/s after start-up and overall. */
export async function loadFigure(resources, runs) {
  const run = await runBenchScript('load.mjs', [], { BENCH_RESOURCES: resources, BENCH_RUNS: runs });
  if (!run) return null;
  const out = run.stdout;
  const wall = /wall time, whole process:\s+[\d,]+ ms\s+\(runs: ([^)]*)\)/.exec(out);
  const startup = /start-up \(empty folder\):\s+[\d,]+ ms\s+\(runs: ([^)]*)\)/.exec(out);
  const after = /after start-up:\s+([\d,]+) ms\s+=\s+([\d,]+) documents\/s/.exec(out);
  const overall = /overall:\s+([\d,]+) documents\/s/.exec(out);
  if (!wall || !startup || !after) throw new Error(`bench/load.mjs: unexpected output:\n${out}`);
  return {
    resources,
    wall: summarise(msList(wall[1])),
    startup: summarise(msList(startup[1])),
    workMs: num(after[1]),
    docsPerSecond: num(after[2]),
    overallDocsPerSecond: overall ? num(overall[1]) : Number.NaN,
    raw: out.trim(),
  };
}

/** bench/emulator-throughput.mjs: median requests/s of list and create at concurrency 16, no latency. */
export async function emulatorThroughput(requests, runs) {
  const run = await runBenchScript('emulator-throughput.mjs', [], { BENCH_REQUESTS: requests, BENCH_RUNS: runs });
  if (!run) return null;
  const rate = (label) => {
    const line = run.stdout.split('\n').find((l) => l.startsWith(label));
    const m = line ? /([\d,]+)\s*$/.exec(line) : null;
    return m ? num(m[1]) : Number.NaN;
  };
  return { list: rate('list'), create: rate('create'), raw: run.stdout.trim() };
}

/**
 * bench/watch.mjs: save-to-write latency (median, p95, min, max over its edits, and the
 * debounce) and the idle watcher's RSS per tree layout.
 */
export async function watchFigure(quick) {
  const run = await runBenchScript('watch.mjs', [], quick ? { BENCH_QUICK: '1' } : {});
  if (!run) return null;
  const out = run.stdout;
  const lat = /median (\d+) ms, p95 (\d+) ms, min (\d+) ms, max (\d+) ms/.exec(out);
  const head = /debounce (\d+) ms, (\d+) edits/.exec(out);
  if (!lat || !head) throw new Error(`bench/watch.mjs: unexpected output:\n${out}`);
  const idle = [
    ...out.matchAll(
      /([\d,]+) files \((\d+) per file\): idle RSS ([\d.]+) MB, peak ([\d.]+) MB; start apply of ([\d,]+) creates took ([\d.]+) s/g,
    ),
  ].map((m) => ({
    files: num(m[1]),
    perFile: num(m[2]),
    idleMb: Number(m[3]),
    peakMb: Number(m[4]),
    resources: num(m[5]),
    startSeconds: Number(m[6]),
  }));
  const alone = [
    ...out.matchAll(
      /watcher ([\w-]+): idle RSS ([\d.]+) MB \(\+([-\d.]+) MB\), ([\d,]+) inotify watches, watching after ([\d,]+) ms/g,
    ),
  ].map((m) => ({
    mode: m[1],
    idleMb: Number(m[2]),
    overBareMb: Number(m[3]),
    watches: num(m[4]),
    readyMs: num(m[5]),
  }));
  return {
    alone,
    debounceMs: Number(head[1]),
    edits: Number(head[2]),
    median: Number(lat[1]),
    p95: Number(lat[2]),
    min: Number(lat[3]),
    max: Number(lat[4]),
    idle,
    raw: out.trim(),
  };
}
