// I/O: file-system changes on the manifest trees, batched. Two ways to see them:
//
// - events (default): one fs.watch per directory the loader walks, each directory keyed by what it
//   is (device, inode and birth time), not by its path: a folder deleted and created again at the
//   same path (`rm -rf m && git clone ... m`) is a new directory and gets a new watch, while a
//   symlink loop (`a/up -> ..`) is still watched once. 10,000 files in 100 folders take 100
//   watches, not 10,100;
// - polling (`--poll MS`): every MS the tree is walked and every entry stat'ed, and what differs
//   from the last walk counts as changed, for file systems that send no events (NFS, SMB, some
//   container mounts).
//
// Either way, files reached through a symlink (a Kubernetes ConfigMap or Secret volume:
// `a.yaml -> ..data/a.yaml`, `..data -> ..2026_01_12_09_14_03.1`) and `fromFile` targets wherever
// they are (a dot-folder included) are re-stat'ed, following the links, whenever anything near them
// moves: an atomic swap of `..data`, or a target edited in place, reports the path the loader reads.
// Roots are checked once a second: a PATH that appears, a root replaced or re-pointed (git-sync).
//
// Every change (re)starts a quiet period of `debounceMs` (scheduler.ts); only when nothing has
// changed for that long is the batch handed on, so an editor's save, a `git pull` of 200 files or a
// branch switch is one batch. A path that did not exist when the last batch was handed on and is
// gone again (`sed -i`'s temporary file, an editor's backup) is dropped from the batch: it never
// held anything the loader read.
import { watch, type FSWatcher, type Stats } from 'node:fs';
import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep, isAbsolute } from 'node:path';
import { systemClock } from '../clock.js';
import { createDebouncer } from './scheduler.js';

/** The shortest quiet period: an editor's save is several writes within a few milliseconds. */
export const MIN_DEBOUNCE_MS = 50;

/** The shortest polling interval: a walk of a big tree must not run back to back. */
export const MIN_POLL_MS = 50;

/** A batch is not postponed by recent modification times for longer than this many quiet periods (a file written forever). */
const MAX_POSTPONE_PERIODS = 10;

/** How recently a file may have been modified before the batch waits for it. */
const SETTLE_MS = 50;

/** How often the roots are checked: a PATH that does not exist yet, a root replaced or re-pointed. */
const ROOT_POLL_MS = 1_000;

export interface WatcherOptions {
  /** The PATH arguments as given. */
  paths: string[];
  cwd: string;
  debounceMs: number;
  /** Poll every this many ms instead of waiting for events (no events on NFS, SMB, some mounts). */
  pollMs?: number;
  /** A quiet batch of absolute paths that changed (added, changed, removed). */
  onBatch: (paths: string[]) => void;
  /** Every change as it is seen, before its batch is quiet (to postpone work that needs quiet). */
  onActivity?: () => void;
  /** A watcher error (e.g. the inotify watch limit); watching goes on where it can. */
  onError: (err: Error) => void;
}

export interface RunningWatcher {
  /** The folders watched (a file argument is watched through its folder, its manifest root). */
  roots: string[];
  /** How many directories of the trees are watched (0 when polling; the few folders near them not counted). */
  directories(): number;
  /**
   * Files whose changes count wherever they are (the `fromFile` targets of the last load, e.g.
   * in a dot-folder the walk skips): replaces the previous set.
   */
  track(files: readonly string[]): void;
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
    if (rel.startsWith('..') && (rel === '..' || rel.startsWith(`..${sep}`))) continue;
    if (isAbsolute(rel)) continue;
    return rel.split(sep).some((part) => part.startsWith('.') || part === 'node_modules');
  }
  return false;
}

/** What a directory is: the same path may hold another directory later (deleted, created again). */
function dirKey(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.birthtimeMs}`;
}

/** What a file's content is, as far as a stat can tell (following links): a swap or an edit changes it. */
function fileSignature(s: Stats): string {
  return `${s.dev}:${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;
}

/** One walk of the trees, as the loader walks them. */
interface Tree {
  /** Directory key -> the first lexical path that reaches it (each real directory once). */
  dirs: Map<string, string>;
  /** Every file and folder below the roots the loader sees, with a signature ('' where not stat'ed). */
  entries: Map<string, string>;
  /** Files reached through a symlink, by lexical path (their content is re-checked, see header). */
  links: Set<string>;
}

/**
 * Walks the roots as the loader does: dot-entries and node_modules skipped, symlinked folders
 * followed, each directory once. With `statFiles`, every file is stat'ed (polling); otherwise only
 * the symlinks are.
 */
async function walkTrees(roots: readonly string[], statFiles: boolean): Promise<Tree> {
  const tree: Tree = { dirs: new Map(), entries: new Map(), links: new Set() };
  const walk = async (d: string): Promise<void> => {
    const info = await stat(d).catch(() => null);
    if (info === null || !info.isDirectory()) return;
    const key = dirKey(info);
    tree.entries.set(d, key);
    if (tree.dirs.has(key)) return;
    tree.dirs.set(key, d);
    const entries = await readdir(d, { withFileTypes: true }).catch(() => []);
    // In the loader's order, so a folder reached twice is watched under the path the loader uses.
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const subdirs: string[] = [];
    await Promise.all(
      entries.map(async (e) => {
        if (e.name.startsWith('.') || e.name === 'node_modules') return;
        const full = join(d, e.name);
        if (e.isDirectory()) {
          subdirs.push(full);
          return;
        }
        if (!e.isSymbolicLink() && !statFiles) {
          tree.entries.set(full, '');
          return;
        }
        const s = await stat(full).catch(() => null);
        if (s === null) {
          tree.entries.set(full, 'missing'); // a dangling link: the loader reports it
          return;
        }
        if (s.isDirectory()) subdirs.push(full);
        else {
          tree.entries.set(full, fileSignature(s));
          if (e.isSymbolicLink()) tree.links.add(full);
        }
      }),
    );
    subdirs.sort();
    for (const sub of subdirs) await walk(sub);
  };
  for (const root of roots) await walk(root);
  return tree;
}

/**
 * The directories to watch under the roots, as the loader walks them: dot-entries and
 * node_modules skipped, symlinked directories followed, each directory once (the first lexical
 * path that reaches it). Returns lexical path by directory key (device, inode, birth time).
 */
export async function watchedDirectories(roots: readonly string[]): Promise<Map<string, string>> {
  return (await walkTrees(roots, false)).dirs;
}

/** The signature of a file following links, or 'missing'. */
async function signatureOf(path: string): Promise<string> {
  return stat(path).then(
    (s) => (s.isDirectory() ? `dir:${dirKey(s)}` : fileSignature(s)),
    () => 'missing',
  );
}

/**
 * Starts watching; resolves once every directory is watched (or the first walk is done, when
 * polling), so no later change is missed.
 */
export async function startWatcher(options: WatcherOptions): Promise<RunningWatcher> {
  const debounceMs = Math.max(options.debounceMs, MIN_DEBOUNCE_MS);
  const polling = options.pollMs !== undefined;
  const { roots, missing } = await watchRoots(options.paths, options.cwd);
  const watched = [...roots];
  const rootKeys = new Map<string, string | null>();
  let closed = false;

  // What existed when the last batch was handed on (see the header: temporary files).
  const known = new Set<string>();
  const release = async (paths: string[]) => {
    const exists = await Promise.all(
      paths.map((p) =>
        lstat(p).then(
          () => true,
          () => false,
        ),
      ),
    );
    const kept = paths.filter((p, i) => exists[i] === true || known.has(p));
    paths.forEach((p, i) => (exists[i] === true ? known.add(p) : known.delete(p)));
    if (kept.length > 0 && !closed) options.onBatch(kept);
  };
  const debouncer = createDebouncer({
    clock: systemClock,
    quietMs: debounceMs,
    settleMs: SETTLE_MS,
    maxPostponeMs: debounceMs * MAX_POSTPONE_PERIODS,
    newestModification,
    onBatch: (paths) => void release(paths),
  });
  const changed = (path: string) => {
    if (closed) return;
    debouncer.add(path);
    options.onActivity?.();
  };

  // Files checked by signature whenever anything moves: symlinked files and tracked targets.
  const links = new Set<string>();
  const tracked = new Set<string>();
  let trackedKey = '';
  const signatures = new Map<string, string>();
  let checking: Promise<void> | null = null;
  let checkAgain = false;
  const checkFiles = (): Promise<void> => {
    if (checking) {
      checkAgain = true;
      return checking;
    }
    checking = (async () => {
      do {
        checkAgain = false;
        const files = [...new Set([...links, ...tracked])];
        const now = await Promise.all(files.map(signatureOf));
        files.forEach((f, i) => {
          const sig = now[i] ?? 'missing';
          const before = signatures.get(f);
          signatures.set(f, sig);
          if (before !== undefined && before !== sig) changed(f);
        });
        for (const f of signatures.keys()) if (!links.has(f) && !tracked.has(f)) signatures.delete(f);
      } while (checkAgain && !closed);
    })().finally(() => (checking = null));
    return checking;
  };

  // Event mode: one fs.watch per directory key. `tree` directories report their entries; `near`
  // ones (where a link's or tracked file's real target lives, e.g. a dot-folder) only make the
  // signatures be checked.
  const watchers = new Map<string, { path: string; handle: FSWatcher; role: 'tree' | 'near' }>();
  const onDirEvent = (dir: string, role: 'tree' | 'near', event: string, name: string | Buffer | null) => {
    if (closed) return;
    if (links.size > 0 || tracked.size > 0) void checkFiles();
    if (role === 'near') {
      void tick(); // a root's own folder, or a link on the way to it, may have moved
      return;
    }
    if (event === 'rename') void rescan();
    const path = name === null ? dir : join(dir, String(name));
    if (!isIgnoredPath(path, watched)) changed(path);
  };
  const open = (key: string, path: string, role: 'tree' | 'near') => {
    try {
      const handle = watch(path, { persistent: true }, (event, name) => onDirEvent(path, role, event, name));
      handle.on('error', (err) => {
        handle.close();
        if (watchers.get(key)?.handle === handle) watchers.delete(key);
        // A directory deleted under its watch is no error: the event in its parent reports it.
        // A folder near the trees is watched only to notice sooner what the checks find anyway.
        const code = (err as NodeJS.ErrnoException).code;
        if (code !== 'EPERM' && code !== 'ENOENT' && role === 'tree') options.onError(err);
      });
      watchers.set(key, { path, handle, role });
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR' && role === 'tree')
        options.onError(err instanceof Error ? err : new Error(String(err)));
    }
  };

  /**
   * The directories near the trees, by key: where the real targets of links and tracked files
   * live, the folder holding each root (a root deleted and created again), and the folder of each
   * symlink on the way to a root (git-sync swaps `ROOT/current`): an event there is seen at once,
   * not at the next once-a-second check.
   */
  const nearDirectories = async (): Promise<Map<string, string>> => {
    const out = new Map<string, string>();
    const add = async (d: string) => {
      const s = await stat(d).catch(() => null);
      if (s?.isDirectory()) out.set(dirKey(s), d);
    };
    for (const root of watched) {
      await add(dirname(root));
      for (let p = root; dirname(p) !== p; p = dirname(p)) {
        const l = await lstat(p).catch(() => null);
        if (l?.isSymbolicLink()) await add(dirname(p));
      }
    }
    for (const f of new Set([...links, ...tracked])) {
      // The file's real folder, and the folder of the link itself (a swap happens there).
      for (const p of [await realpath(f).catch(() => null), f]) if (p !== null) await add(dirname(p));
    }
    return out;
  };

  let started = false;
  let previous: Map<string, string> | null = null;
  let scanning: Promise<void> | null = null;
  let again = false;
  /**
   * Walks the trees again. Events: watches the directories found now (a new or re-created folder),
   * stops watching the ones gone, and counts what a new folder already holds as changed. Polling:
   * counts every entry whose signature differs from the last walk as changed.
   */
  const rescan = async (): Promise<void> => {
    if (scanning) {
      again = true;
      return scanning;
    }
    scanning = (async () => {
      do {
        again = false;
        const tree = await walkTrees(watched, polling);
        if (closed) return;
        links.clear();
        for (const l of tree.links) links.add(l);
        if (polling) {
          if (previous !== null) {
            for (const [p, sig] of tree.entries) if (previous.get(p) !== sig) changed(p);
            for (const p of previous.keys()) if (!tree.entries.has(p)) changed(p);
          } else for (const p of tree.entries.keys()) known.add(p);
          previous = tree.entries;
          continue;
        }
        if (!started) for (const p of tree.entries.keys()) known.add(p);
        const wanted = new Map<string, { path: string; role: 'tree' | 'near' }>();
        for (const [key, path] of await nearDirectories()) wanted.set(key, { path, role: 'near' });
        for (const [key, path] of tree.dirs) wanted.set(key, { path, role: 'tree' });
        for (const [key, w] of watchers) {
          const want = wanted.get(key);
          if (want?.path === w.path && want.role === w.role) continue;
          w.handle.close();
          watchers.delete(key);
        }
        const opened: string[] = [];
        for (const [key, want] of wanted) {
          if (watchers.has(key)) continue;
          open(key, want.path, want.role);
          if (want.role === 'tree') opened.push(want.path);
        }
        // A folder that appeared (a checkout, a `mkdir -p` then writes): what it held before its
        // watch opened counts as changed, entry by entry. Not at the start: nothing changed then.
        if (started)
          for (const dir of opened) {
            changed(dir);
            for (const name of await readdir(dir).catch(() => [])) {
              const path = join(dir, name);
              if (!isIgnoredPath(path, watched)) changed(path);
            }
          }
      } while (again && !closed);
    })().finally(() => (scanning = null));
    return scanning;
  };
  const closeAll = () => {
    for (const w of watchers.values()) w.handle.close();
    watchers.clear();
  };

  const waiting = new Set(missing);
  const rootKey = async (root: string) => {
    const s = await stat(root).catch(() => null);
    const real = await realpath(root).catch(() => null);
    return s === null ? null : `${dirKey(s)}:${real ?? ''}`;
  };
  for (const r of roots) rootKeys.set(r, await rootKey(r));
  /** PATHs that appeared, and roots replaced or re-pointed since the last check; each counts as changed. */
  const checkRoots = async (): Promise<string[]> => {
    const moved: string[] = [];
    for (const abs of [...waiting]) {
      const root = (await watchRoots([abs], options.cwd)).roots[0];
      if (root === undefined) continue;
      waiting.delete(abs);
      if (!watched.includes(root)) watched.push(root);
      rootKeys.set(root, await rootKey(root));
      moved.push(abs);
    }
    for (const root of watched) {
      const key = await rootKey(root);
      if (key === rootKeys.get(root)) continue;
      rootKeys.set(root, key);
      moved.push(root);
    }
    return moved;
  };

  let ticking: Promise<void> | null = null;
  let tickAgain = false;
  const tick = (): Promise<void> => {
    if (ticking) {
      tickAgain = true;
      return ticking;
    }
    ticking = (async () => {
      do {
        tickAgain = false;
        if (closed) return;
        const moved = await checkRoots();
        if (polling) {
          await rescan();
          await checkFiles();
        } else if (moved.length > 0 && !closed) {
          // A replaced root: its old tree (and every watch on it) is going away; watch the new
          // one from scratch. A change in the moment between is not lost: the batch reloads the root.
          closeAll();
          await rescan();
          await checkFiles();
        }
        for (const p of moved) changed(p);
      } while (tickAgain && !closed);
    })().finally(() => (ticking = null));
    return ticking;
  };
  await rescan();
  await checkFiles();
  started = true;
  const timer = setInterval(() => void tick(), polling ? Math.max(options.pollMs ?? 0, MIN_POLL_MS) : ROOT_POLL_MS);

  return {
    roots: watched,
    directories: () => [...watchers.values()].filter((w) => w.role === 'tree').length,
    track(files) {
      const given = [...new Set(files.map((f) => resolve(options.cwd, f)))].sort();
      const key = given.join('\u0000');
      if (key === trackedKey || closed) return;
      trackedKey = key;
      void (async () => {
        // A target in a folder the walk sees reports its own events (and is walked when polling):
        // only those in a dot-folder, or reached through a symlink, need their signature checked.
        const next = new Set<string>();
        for (const f of given) {
          if (
            isIgnoredPath(f, watched) ||
            (await lstat(f).then(
              (l) => l.isSymbolicLink(),
              () => false,
            ))
          )
            next.add(f);
        }
        if (closed) return;
        tracked.clear();
        for (const f of next) tracked.add(f);
        // New targets get their signature now (so only later changes count) and, with events, a
        // watch on the folders where they live.
        await checkFiles();
        if (!polling) await rescan();
      })();
    },
    async close() {
      closed = true;
      debouncer.close();
      clearInterval(timer);
      await scanning;
      await checking;
      closeAll();
    },
  };
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
