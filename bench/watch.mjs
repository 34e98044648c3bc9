// Figure 6: watch mode. Measurements of the real CLI (`watch`, a child process) against the
// emulator in this process, no emulator latency:
//
// 1. Save-to-write latency over small edits in a 20-file tree: the time from writeFile() of one
//    manifest to the moment the emulator stored the new version (its store's change listener, in
//    this process, so both ends read the same clock). The next edit waits until the previous one
//    landed and the watcher is idle again.
// 2. At 10,000 resources in 10,000 files (bench/gen-manifests.mjs, one document per file as
//    `export` writes them), WATCH_RUNS runs (default 1): each starts the watcher (the first on an
//    empty server, so its start apply creates everything; the later ones are restarts over the
//    applied server), reads VmRSS a few seconds after the start cycle (idle RSS) and VmHWM, then
//    times LARGE_EDITS single-file edits. Reported: medians over the runs, with min and max.
//    Targets: save-to-write median < debounce + 100 ms; idle RSS < 200 MB.
// 3. The file watcher alone over the same 10,000 files (bench/watcher-memory.mjs, one child per
//    watcher): idle RSS against a bare Node process, and the inotify watches it holds; chokidar too
//    when WATCH_CHOKIDAR names its index.js (installed outside the project, e.g. /tmp/chok).
//
// Prints figures; asserts nothing about time. About a minute and a half on 2 cores. Run after
// `npm run build`: node bench/watch.mjs
//   BENCH_QUICK=1 (1,000 resources)  WATCH_EDITS=N  WATCH_DEBOUNCE=MS  WATCH_RESOURCES=N  WATCH_RUNS=N
//   WATCH_POLL=MS (the latency edits with --poll MS)  WATCH_CHOKIDAR=/tmp/chok/node_modules/chokidar/index.js
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cliEnvFor, startBenchEmulator } from './lib/emulator.mjs';
import { int, mb } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { CLI_BIN, ROOT } from './lib/proc.mjs';
import { max, median, min, summarise } from './lib/stats.mjs';

const quick = process.env.BENCH_QUICK === '1';
const EDITS = Number(process.env.WATCH_EDITS ?? 20);
const DEBOUNCE_MS = Number(process.env.WATCH_DEBOUNCE ?? 300);
const RESOURCES = Number(process.env.WATCH_RESOURCES ?? (quick ? 1_000 : 10_000));
const IDLE_SETTLE_MS = 3_000;
const LARGE_EDITS = 5;
const RUNS = Number(process.env.WATCH_RUNS ?? 1);
const POLL_MS = process.env.WATCH_POLL ? Number(process.env.WATCH_POLL) : undefined;
const say = (text) => process.stderr.write(`bench watch: ${text}\n`);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Starts `watch DIR` as a child; resolves helpers once its start cycle has finished. */
async function startWatch(emulator, dir, env, extraArgs = []) {
  const args = [CLI_BIN, 'watch', dir, '--debounce', String(DEBOUNCE_MS), '--concurrency', '16', ...extraArgs];
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: cliEnvFor(emulator, { LOG_LEVEL: 'info', ...env }),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const cycles = [];
  let partial = '';
  let tail = '';
  child.stderr.setEncoding('utf8').on('data', (d) => {
    tail = (tail + d).slice(-4000);
    partial += d;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      if (!line.includes('"cycle"')) continue;
      try {
        cycles.push(JSON.parse(line));
      } catch {
        // not a log line
      }
    }
  });
  const exited = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  const waitCycles = async (n, what, timeoutMs = 600_000) => {
    const deadline = Date.now() + timeoutMs;
    while (cycles.length < n) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`watch: no ${what}\n${tail}`);
      await sleep(5);
    }
    return cycles[n - 1];
  };
  const start = await waitCycles(1, 'start cycle');
  if (start.result !== 'ok') throw new Error(`watch: the start cycle was ${start.result}\n${tail}`);
  return {
    child,
    cycles,
    waitCycles,
    async stop() {
      child.kill('SIGTERM');
      const r = await exited;
      if (r.code !== 0) throw new Error(`watch exited ${r.code ?? r.signal} after SIGTERM\n${tail}`);
    },
  };
}

async function procStatusKb(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
}

/** Edits `count` documents one after the other (file i of `files`), each time timing save -> stored write. */
async function timeEdits(emulator, watch, files, count) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    const file = files[i % files.length];
    const text = await readFile(file, 'utf8');
    const name = /^ {2}name: (\S+)$/m.exec(text)[1];
    const kind = /^kind: (\S+)$/m.exec(text)[1];
    const project = /^ {2}project: (\S+)$/m.exec(text)[1];
    const description = `edit ${i} of the watch benchmark`;
    const next = text.replace(/^ {2}description: .*$/m, `  description: ${description}`);
    const landed = new Promise((resolve) => {
      const off = emulator.store.onChange(() => {
        if (emulator.store.get(project, kind, name)?.description === description) {
          off();
          resolve(performance.now());
        }
      });
    });
    const cyclesBefore = watch.cycles.length;
    const t0 = performance.now();
    await writeFile(file, next);
    samples.push((await landed) - t0);
    // Wait until the cycle that wrote it has finished, then a moment, so edits do not overlap.
    await watch.waitCycles(cyclesBefore + 1, `cycle for edit ${i}`);
    await sleep(50);
  }
  return summarise(samples);
}

/** The paths of the `n` files bench/gen-manifests.mjs wrote (100 per group folder). */
function manifestFiles(dir, n) {
  return Array.from({ length: n }, (_, f) =>
    join(dir, `group-${String(Math.floor(f / 100)).padStart(3, '0')}`, `manifests-${String(f).padStart(4, '0')}.yaml`),
  );
}

async function measureLatency(emulator) {
  const dir = await tempDir('apinizer-bench-watch-');
  try {
    // 20 resources, one per file: each edit is one file, as a reviewer's merge of one change is.
    const tree = await writeManifestTree(dir, { resources: 20, perFile: 1 });
    const poll = POLL_MS !== undefined ? ['--poll', String(POLL_MS)] : [];
    const watch = await startWatch(emulator, dir, manifestEnv(dir), poll);
    const result = await timeEdits(emulator, watch, manifestFiles(dir, tree.files), EDITS);
    await watch.stop();
    return result;
  } finally {
    await removeTree(dir);
  }
}

/** One run at RESOURCES resources: start (creates when the server is empty), idle RSS, then timed edits. */
async function largeRun(emulator, dir, files) {
  const created0 = emulator.store.size();
  const t0 = performance.now();
  const watch = await startWatch(emulator, dir, manifestEnv(dir));
  const startMs = performance.now() - t0;
  await sleep(IDLE_SETTLE_MS);
  const { rss, hwm } = await procStatusKb(watch.child.pid);
  const created = emulator.store.size() - created0;
  const edits = await timeEdits(emulator, watch, files, LARGE_EDITS);
  await watch.stop();
  return { rss, hwm, startMs, created, edits };
}

async function measureLarge(emulator) {
  const dir = await tempDir('apinizer-bench-watch-rss-');
  try {
    const tree = await writeManifestTree(dir, { resources: RESOURCES, perFile: 1 });
    emulator.store.clear();
    const files = manifestFiles(dir, tree.files);
    const runs = [];
    for (let i = 0; i < RUNS; i++) {
      say(`${int(RESOURCES)} resources in ${int(tree.files)} files: run ${i + 1} of ${RUNS}`);
      // Each run edits other files than the last, so no edit is a no-op.
      runs.push(await largeRun(emulator, dir, files.slice(i * LARGE_EDITS)));
    }
    const alone = [];
    const modes = ['none', 'own', 'own-poll', ...(process.env.WATCH_CHOKIDAR ? ['chokidar', 'chokidar-poll'] : [])];
    for (const mode of modes) {
      say(`the watcher alone over ${int(tree.files)} files: ${mode}`);
      alone.push(await watcherAlone(mode, dir));
    }
    return { files: tree.files, resources: tree.resources, runs, alone };
  } finally {
    await removeTree(dir);
  }
}

/** One bench/watcher-memory.mjs child: its JSON line. */
async function watcherAlone(mode, dir) {
  const child = spawn(process.execPath, ['--expose-gc', join(ROOT, 'bench', 'watcher-memory.mjs'), mode, dir], {
    cwd: ROOT,
    env: { ...process.env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
  const code = await new Promise((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`bench/watcher-memory.mjs ${mode} exited ${code}`);
  return JSON.parse(out.trim());
}

const stat3 = (xs) => ({ median: median(xs), min: min(xs), max: max(xs) });

const emulator = await startBenchEmulator();
try {
  say(`latency: ${EDITS} edits, debounce ${DEBOUNCE_MS} ms`);
  const lat = await measureLatency(emulator);
  const large = await measureLarge(emulator);
  const f = (x) => `${Math.round(x)} ms`;
  const rss = stat3(large.runs.map((r) => r.rss));
  const hwm = stat3(large.runs.map((r) => r.hwm));
  const edit = stat3(large.runs.map((r) => r.edits.median));
  const first = large.runs[0];
  const base = large.alone.find((a) => a.mode === 'none')?.idleRssMb ?? 0;
  const lines = [
    `watch save-to-write latency (file written -> write stored by the emulator), debounce ${DEBOUNCE_MS} ms${POLL_MS !== undefined ? `, --poll ${POLL_MS}` : ''}, ${lat.n} edits, no emulator latency:`,
    `  median ${f(lat.median)}, p95 ${f(lat.p95)}, min ${f(lat.min)}, max ${f(lat.max)} (target: median < debounce + 100 = ${DEBOUNCE_MS + 100} ms)`,
    `watcher over ${int(large.resources)} resources in ${int(large.files)} files, ${large.runs.length} runs (the first starts on an empty server; medians of the runs, min..max):`,
    `  save-to-write, one edit (median of ${LARGE_EDITS} edits per run): median ${f(edit.median)} (${f(edit.min)}..${f(edit.max)}) (target < ${DEBOUNCE_MS + 100} ms)`,
    `  idle RSS ${IDLE_SETTLE_MS / 1000} s after the start cycle: median ${mb(rss.median)} (${mb(rss.min)}..${mb(rss.max)}) (target < 200 MB); peak (VmHWM) median ${mb(hwm.median)} (${mb(hwm.min)}..${mb(hwm.max)})`,
    `  ${int(large.files)} files (1 per file): idle RSS ${mb(rss.median)}, peak ${mb(hwm.median)}; start apply of ${int(first.created)} creates took ${(first.startMs / 1000).toFixed(1)} s; ` +
      `restarts over the applied server took ${large.runs
        .slice(1)
        .map((r) => (r.startMs / 1000).toFixed(1))
        .join(', ')} s`,
    `the file watcher alone over ${int(large.files)} files in ${int(Math.ceil(large.files / 100))} folders (idle RSS 5 s after it is watching, after a GC; a bare Node process: ${base.toFixed(1)} MB):`,
    ...large.alone
      .filter((a) => a.mode !== 'none')
      .map(
        (a) =>
          `  watcher ${a.mode}: idle RSS ${a.idleRssMb.toFixed(1)} MB (+${(a.idleRssMb - base).toFixed(1)} MB), ${int(a.inotifyWatches)} inotify watches, watching after ${int(a.readyMs)} ms`,
      ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
} finally {
  await emulator.close();
}
