// I/O: file-system events on the manifest trees, batched. Every event (re)starts a quiet period of
// `debounceMs`; only when nothing has changed for that long is the batch handed on, so an editor's
// save, a `git pull` of 200 files or a branch switch is one batch, not many. Before handing it on,
// the files' modification times are checked as well (write-finish detection): a file modified
// within the last moments, whose events the watcher folded together, postpones the batch a little.
import { realpath, stat } from 'node:fs/promises';
import { dirname, relative, resolve, sep, isAbsolute } from 'node:path';
import { watch, type FSWatcher } from 'chokidar';

/** chokidar folds repeated change events of one file within 50 ms; a shorter quiet period could read a file before its last write. */
export const MIN_DEBOUNCE_MS = 50;

/** A batch is not postponed by recent modification times for longer than this many quiet periods (a file written forever). */
const MAX_POSTPONE_PERIODS = 10;

/** How recently a file may have been modified before the batch waits for it. */
const SETTLE_MS = 50;

/** How often the roots are checked: a PATH that does not exist yet, a symlink swapped to a new checkout. */
const ROOT_POLL_MS = 1_000;

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

/**
 * Starts watching; resolves once the initial scan is done, so no later change is missed.
 *
 * Once a second the roots are checked (cheap: one realpath each): a PATH that did not exist is
 * watched once it appears, and a root whose real path changed (git-sync and release tools swap
 * a symlink to a new checkout; the old tree, and every watch on it, is then deleted) is watched
 * afresh. Either counts as a change.
 */
export async function startWatcher(options: WatcherOptions): Promise<RunningWatcher> {
  const debounceMs = Math.max(options.debounceMs, MIN_DEBOUNCE_MS);
  const { roots, missing } = await watchRoots(options.paths, options.cwd);
  const watched = [...roots];
  const realPaths = new Map<string, string | null>(await Promise.all(roots.map(async (r) => [r, await realOrNull(r)] as const)));

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

  const open = async (): Promise<FSWatcher> => {
    const w = watch([...watched], {
      ignoreInitial: true,
      ignored: (p: string) => isIgnoredPath(p, watched),
      followSymlinks: true,
      persistent: true,
    });
    w.on('all', (event, path) => {
      if (event === 'add' || event === 'change' || event === 'unlink' || event === 'addDir' || event === 'unlinkDir') onEvent(path);
    });
    w.on('error', (err) => options.onError(err instanceof Error ? err : new Error(String(err))));
    await new Promise<void>((done) => w.once('ready', () => done()));
    return w;
  };
  let watcher = await open();

  const waiting = new Set(missing);
  let checking = false;
  const check = async () => {
    if (checking || closed) return;
    checking = true;
    try {
      const changed: string[] = [];
      for (const abs of [...waiting]) {
        const root = (await watchRoots([abs], options.cwd)).roots[0];
        if (root === undefined) continue;
        waiting.delete(abs);
        if (!watched.includes(root)) watched.push(root);
        realPaths.set(root, await realOrNull(root));
        changed.push(abs);
      }
      for (const root of watched) {
        const real = await realOrNull(root);
        if (real === realPaths.get(root)) continue;
        realPaths.set(root, real);
        changed.push(root);
      }
      if (changed.length === 0 || closed) return;
      // Close first: chokidar shares one fs.watch handle per path across its instances, so a new
      // watcher opened beside the old one would inherit the old handle, still on the deleted tree.
      // A change in the moment between is not lost: the batch below reloads everything.
      await watcher.close();
      watcher = await open();
      if (closed) await watcher.close();
      for (const p of changed) onEvent(p);
    } finally {
      checking = false;
    }
  };
  const poll = setInterval(() => void check(), ROOT_POLL_MS);

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

async function realOrNull(path: string): Promise<string | null> {
  return realpath(path).catch(() => null);
}

/** The newest mtime (epoch ms) among the paths that still exist; 0 when none. */
async function newestModification(paths: string[]): Promise<number> {
  const times = await Promise.all(paths.map((p) => stat(p).then((s) => s.mtimeMs, () => 0)));
  return times.reduce((a, b) => Math.max(a, b), 0);
}
