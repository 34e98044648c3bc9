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
