// I/O: file-system events on the manifest trees, batched. Every event (re)starts a quiet period of
// `debounceMs`; only when nothing has changed for that long is the batch handed on, so an editor's
// save, a `git pull` of 200 files or a branch switch is one batch, not many. Before handing it on,
// the files' modification times are checked as well (write-finish detection): a file modified
// within the last moments, whose events the watcher folded together, postpones the batch a little.
import { stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep, isAbsolute } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/** chokidar folds repeated change events of one file within 50 ms; a shorter quiet period could read a file before its last write. */
export const MIN_DEBOUNCE_MS = 50;

/** A batch is not postponed by recent modification times for longer than this many quiet periods (a file written forever). */
const MAX_POSTPONE_PERIODS = 10;

/** How recently a file may have been modified before the batch waits for it. */
const SETTLE_MS = 50;

/** How often a PATH that does not exist yet is looked for. */
const MISSING_POLL_MS = 1_000;

/** Files whose mtime is checked before a batch is released; a bigger batch (a branch switch) is checked on a sample. */
const MAX_STAT_PER_BATCH = 500;

export interface WatcherOptions {
  /** The PATH arguments as given. */
  paths: string[];
  cwd: string;
  debounceMs: number;
  /** A quiet batch of absolute paths that changed (added, changed, removed). */
  onBatch: (paths: string[]) => void;
  /** A watcher error (e.g. the inotify watch limit); watching goes on where it can. */
  onError: (err: Error) => void;
}

export interface RunningWatcher {
  /** The folders watched (a file argument is watched through its folder, its manifest root). */
  roots: string[];
  close(): Promise<void>;
}

/**
 * Where to watch for a PATH argument: a folder is watched whole; a file through its folder, since
 * its `fromFile` targets live there (they must resolve inside the manifest root).
 */
export async function watchRoots(paths: readonly string[], cwd: string): Promise<{ roots: string[]; missing: string[] }> {
  const roots: string[] = [];
  const missing: string[] = [];
  for (const p of paths) {
    const abs = resolve(cwd, p);
    try {
      const info = await stat(abs);
      roots.push(info.isDirectory() ? abs : dirname(abs));
    } catch {
      missing.push(abs);
    }
  }
  return { roots: [...new Set(roots)], missing: [...new Set(missing)] };
}

/**
 * True for paths the loader never reads: anything under a dot-file or dot-folder, or under
 * node_modules, below one of the roots. (A root itself may sit in a dot-folder, e.g. a checkout
 * under `~/.cache`: only the part below the root counts.)
 */
export function isIgnoredPath(path: string, roots: readonly string[]): boolean {
  for (const root of roots) {
    const rel = relative(root, path);
    if (rel === '') return false;
    if (rel.startsWith('..') || isAbsolute(rel)) continue;
    return rel.split(sep).some((part) => part.startsWith('.') || part === 'node_modules');
  }
  return false;
}

/** Starts watching; resolves once the initial scan is done, so no later change is missed. */
export async function startWatcher(options: WatcherOptions): Promise<RunningWatcher> {
  const debounceMs = Math.max(options.debounceMs, MIN_DEBOUNCE_MS);
  const { roots, missing } = await watchRoots(options.paths, options.cwd);
  const watched = [...roots];
  const watcher: FSWatcher = watch(roots, {
    ignoreInitial: true,
    ignored: (p: string) => isIgnoredPath(p, watched),
    followSymlinks: true,
    persistent: true,
  });

  let batch = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let firstEventAt = 0;
  let generation = 0;
  let closed = false;

  const arm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => void release(), ms);
  };
  const onEvent = (path: string) => {
    if (closed) return;
    if (batch.size === 0) firstEventAt = Date.now();
    generation += 1;
    batch.add(path);
    arm(debounceMs);
  };
  const release = async () => {
    if (closed || batch.size === 0) return;
    const now = Date.now();
    const seen = generation;
    const postponedEnough = now - firstEventAt > debounceMs * MAX_POSTPONE_PERIODS;
    if (!postponedEnough) {
      const newest = await newestModification([...batch].slice(-MAX_STAT_PER_BATCH));
      const age = Date.now() - newest;
      // Still being written (or its last events were folded away): give it a moment more.
      if (age >= 0 && age < SETTLE_MS) {
        arm(SETTLE_MS - age + 5);
        return;
      }
    }
    // An event while the files were being checked re-armed the timer: that later release takes it all.
    if (closed || generation !== seen) return;
    const paths = [...batch];
    batch = new Set();
    options.onBatch(paths);
  };

  watcher.on('all', (event, path) => {
    if (event === 'add' || event === 'change' || event === 'unlink' || event === 'addDir' || event === 'unlinkDir') onEvent(path);
  });
  watcher.on('error', (err) => options.onError(err instanceof Error ? err : new Error(String(err))));
  await new Promise<void>((done) => watcher.once('ready', () => done()));

  // chokidar does not notice a PATH that does not exist yet: look for it now and then.
  let poll: NodeJS.Timeout | undefined;
  if (missing.length > 0) {
    const waiting = new Set(missing);
    poll = setInterval(() => {
      void (async () => {
        for (const abs of [...waiting]) {
          const found = await watchRoots([abs], options.cwd);
          const root = found.roots[0];
          if (root === undefined || closed) continue;
          waiting.delete(abs);
          watched.push(root);
          watcher.add(root);
          onEvent(abs);
        }
        if (waiting.size === 0) clearInterval(poll);
      })();
    }, MISSING_POLL_MS);
  }

  return {
    roots: watched,
    async close() {
      closed = true;
      clearTimeout(timer);
      clearInterval(poll);
      await watcher.close();
    },
  };
}

/** The newest mtime (epoch ms) among the paths that still exist; 0 when none. */
async function newestModification(paths: string[]): Promise<number> {
  const times = await Promise.all(paths.map((p) => stat(p).then((s) => s.mtimeMs, () => 0)));
  return times.reduce((a, b) => Math.max(a, b), 0);
}
