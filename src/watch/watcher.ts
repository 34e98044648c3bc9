// I/O: file-system events on the manifest trees, batched. One watch per directory the loader
// walks (each real directory once, so a symlink loop such as `a/up -> ..` is walked and watched
// once, and 10,000 files in 100 folders take 100 watches, not 10,100): a directory watch reports
// changes to the files in it. Every event (re)starts a quiet period of `debounceMs` (scheduler.ts);
// only when nothing has changed for that long is the batch handed on, so an editor's save, a `git
// pull` of 200 files or a branch switch is one batch. Before handing it on, the files' modification
// times are checked as well (write-finish detection).
import { watch, type FSWatcher } from 'node:fs';
import { readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { systemClock } from '../clock.js';
import { createDebouncer } from './scheduler.js';

/** The shortest quiet period: an editor's save is several writes within a few milliseconds. */
export const MIN_DEBOUNCE_MS = 50;

/** A batch is not postponed by recent modification times for longer than this many quiet periods (a file written forever). */
const MAX_POSTPONE_PERIODS = 10;

/** How recently a file may have been modified before the batch waits for it. */
const SETTLE_MS = 50;

/** How often the roots are checked: a PATH that does not exist yet, a symlink swapped to a new checkout. */
const ROOT_POLL_MS = 1_000;

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
  /** How many directory watches are open. */
  directories(): number;
  close(): Promise<void>;
}

/**
 * Where to watch for a PATH argument: a folder is watched whole; a file through its folder, since
 * its `fromFile` targets live there (they must resolve inside the manifest root).
 */
export async function watchRoots(
  paths: readonly string[],
  cwd: string,
): Promise<{ roots: string[]; missing: string[] }> {
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
 * The directories to watch under the roots, as the loader walks them: dot-entries and
 * node_modules skipped, symlinked directories followed, each real directory once (the first
 * lexical path that reaches it). Returns lexical path by real path.
 */
export async function watchedDirectories(roots: readonly string[]): Promise<Map<string, string>> {
  const dirs = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    const real = await realOrNull(d);
    if (real === null || dirs.has(real)) return;
    dirs.set(real, d);
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    // In the loader's order, so a folder reached twice is watched under the path the loader uses.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const full = join(d, e.name);
      const isDir =
        e.isDirectory() ||
        (e.isSymbolicLink() &&
          (await stat(full).then(
            (s) => s.isDirectory(),
            () => false,
          )));
      if (isDir) await walk(full);
    }
  };
  for (const root of roots) await walk(root);
  return dirs;
}

/**
 * Starts watching; resolves once every directory is watched, so no later change is missed.
 *
 * Once a second the roots are checked (cheap: one realpath each): a PATH that did not exist is
 * watched once it appears, and a root whose real path changed (git-sync and release tools swap
 * a symlink to a new checkout; the old tree, and every watch on it, is then deleted) is watched
 * afresh. Either counts as a change. A directory created or removed below a root is picked up
 * when its event arrives.
 */
export async function startWatcher(options: WatcherOptions): Promise<RunningWatcher> {
  const debounceMs = Math.max(options.debounceMs, MIN_DEBOUNCE_MS);
  const { roots, missing } = await watchRoots(options.paths, options.cwd);
  const watched = [...roots];
  const realPaths = new Map<string, string | null>(
    await Promise.all(roots.map(async (r) => [r, await realOrNull(r)] as const)),
  );
  let closed = false;

  const debouncer = createDebouncer({
    clock: systemClock,
    quietMs: debounceMs,
    settleMs: SETTLE_MS,
    maxPostponeMs: debounceMs * MAX_POSTPONE_PERIODS,
    newestModification,
    onBatch: options.onBatch,
  });

  // One fs.watch per directory, by real path; the lexical path is what events are reported under.
  const watchers = new Map<string, { path: string; handle: FSWatcher }>();
  const onDirEvent = (dir: string, event: string, name: string | Buffer | null) => {
    if (closed) return;
    const path = name === null ? dir : join(dir, String(name));
    if (isIgnoredPath(path, watched)) return;
    debouncer.add(path);
    // An entry created, removed or renamed may be a directory: bring the watched set up to date.
    if (event === 'rename') void rescan();
  };
  const open = (real: string, path: string) => {
    try {
      const handle = watch(path, { persistent: true }, (event, name) => onDirEvent(path, event, name));
      handle.on('error', (err) => {
        handle.close();
        if (watchers.get(real)?.handle === handle) watchers.delete(real);
        // A directory deleted under its watch is no error: the event in its parent reports it.
        if ((err as NodeJS.ErrnoException).code !== 'EPERM' && (err as NodeJS.ErrnoException).code !== 'ENOENT')
          options.onError(err);
      });
      watchers.set(real, { path, handle });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') options.onError(err instanceof Error ? err : new Error(String(err)));
    }
  };

  let scanning: Promise<void> | null = null;
  let again = false;
  /** Watches the directories the walk finds now, and stops watching those it no longer finds. */
  const rescan = async (): Promise<void> => {
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        const dirs = await watchedDirectories(watched);
        if (closed) return;
        for (const [real, w] of watchers) {
          if (dirs.get(real) === w.path) continue;
          w.handle.close();
          watchers.delete(real);
        }
        const opened: string[] = [];
        for (const [real, path] of dirs) {
          if (watchers.has(real)) continue;
          open(real, path);
          opened.push(path);
        }
        // A folder that appeared (a checkout, a `mkdir -p` then writes): what it held before its
        // watch opened counts as changed, entry by entry. Not at the start: nothing changed then.
        if (started)
          for (const dir of opened)
            for (const name of await readdir(dir).catch(() => [])) onDirEvent(dir, 'change', name);
      } while (again && !closed);
    })().finally(() => (scanning = null));
    return scanning;
  };
  const closeAll = () => {
    for (const w of watchers.values()) w.handle.close();
    watchers.clear();
  };
  let started = false;
  await rescan();
  started = true;

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
      // A swapped root: its old tree (and every watch on it) is going away; watch the new one
      // from scratch. A change in the moment between is not lost: the batch reloads the root.
      closeAll();
      await rescan();
      for (const p of changed) debouncer.add(p);
    } finally {
      checking = false;
    }
  };
  const poll = setInterval(() => void check(), ROOT_POLL_MS);

  return {
    roots: watched,
    directories: () => watchers.size,
    async close() {
      closed = true;
      debouncer.close();
      clearInterval(poll);
      await scanning;
      closeAll();
    },
  };
}

async function realOrNull(path: string): Promise<string | null> {
  return realpath(path).catch(() => null);
}

/** The newest mtime (epoch ms) among the paths that still exist; 0 when none. */
async function newestModification(paths: string[]): Promise<number> {
  const times = await Promise.all(
    paths.map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => 0,
      ),
    ),
  );
  return times.reduce((a, b) => Math.max(a, b), 0);
}
