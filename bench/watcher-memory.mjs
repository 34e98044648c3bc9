// Part of figure 6 (bench/watch.mjs runs it, one child process per watcher): the idle memory of a
// file watcher alone over a tree of FILES files in FILES/100 folders, against a bare Node process.
// `node bench/watcher-memory.mjs MODE DIR` with MODE one of:
//   none          a bare Node process (the baseline)
//   own           src/watch/watcher.ts (dist/), file events
//   own-poll      the same with --poll 1000
//   chokidar      chokidar's watch() with the loader's ignore rules, file events; needs
//                 WATCH_CHOKIDAR=/path/to/node_modules/chokidar/index.js (not a dependency: install
//                 it in a throwaway folder, e.g. `npm i --prefix /tmp/chok chokidar@4`)
//   chokidar-poll the same with usePolling (interval 1000)
// Prints one JSON line: readyMs (until watching), idleRssMb (VmRSS 5 s later, after a GC), and the
// inotify watches the process holds (from /proc/self/fdinfo).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT } from './lib/proc.mjs';

const [mode, dir] = process.argv.slice(2);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 0) / 1024;

function inotifyWatches() {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fdinfo')) {
    try {
      n += readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('inotify wd:')).length;
    } catch {
      // a descriptor closed meanwhile
    }
  }
  return n;
}

let close = async () => {};
const t0 = performance.now();
if (mode === 'own' || mode === 'own-poll') {
  const { startWatcher } = await import(pathToFileURL(join(ROOT, 'dist', 'watch', 'watcher.js')).href);
  const w = await startWatcher({
    paths: [dir],
    cwd: ROOT,
    debounceMs: 300,
    ...(mode === 'own-poll' ? { pollMs: 1000 } : {}),
    onBatch: () => {},
    onError: (e) => process.stderr.write(`${e.message}\n`),
  });
  close = () => w.close();
} else if (mode === 'chokidar' || mode === 'chokidar-poll') {
  const { watch } = await import(pathToFileURL(process.env.WATCH_CHOKIDAR ?? '').href);
  const depth = dir.split('/').length;
  // The loader's rules: dot-entries and node_modules below the root are skipped.
  const ignored = (p) =>
    p
      .split('/')
      .slice(depth)
      .some((x) => x.startsWith('.') || x === 'node_modules');
  const w = watch(dir, {
    ignored,
    ignoreInitial: true,
    followSymlinks: true,
    ...(mode === 'chokidar-poll' ? { usePolling: true, interval: 1000 } : {}),
  });
  await new Promise((resolve) => w.on('ready', resolve));
  close = () => w.close();
} else if (mode !== 'none') throw new Error(`unknown mode ${mode}`);
const readyMs = performance.now() - t0;
await sleep(3000);
globalThis.gc?.();
await sleep(2000);
process.stdout.write(
  `${JSON.stringify({ mode, readyMs: Math.round(readyMs), idleRssMb: Math.round(rssMb() * 10) / 10, inotifyWatches: inotifyWatches() })}\n`,
);
await close();
process.exit(0);
