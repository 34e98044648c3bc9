// A cache of parsed and schema-validated manifest files, kept by a long-running watcher across
// loads: a file whose text is exactly what was parsed last time is not parsed or validated again.
// Keyed by absolute path, checked by content (the whole text, compared as a string: cheaper than
// parsing, and never fooled by a timestamp), and by everything else the result depends on (the
// name diagnostics give the file, the default project). Rules across files (duplicate identities,
// fromFile and fromEnv resolution) are not cached: the loader applies them to the whole set on
// every load, so a rename or a duplicate made by an edit elsewhere is still seen.
//
// A watcher also knows which files changed: until a path is invalidated, its stored text stands
// for the file and the file is not even read again (reading 10,000 unchanged files costs more
// than the one changed file's parse). invalidateAll() makes the next load read every file; the
// periodic resync does, so a change whose event was lost is still seen within one period.

import { dirname, sep } from 'node:path';

interface Entry {
  /** What the result depends on besides the text (display name, options). */
  context: string;
  text: string;
  value: unknown;
  /** No change reported since the text was read: it stands for the file. */
  fresh: boolean;
}

export interface ManifestCacheStats {
  /** Files parsed and validated (cache misses). */
  parses: number;
  /** Files whose earlier result was reused. */
  hits: number;
}

/** The parse cache loadManifests takes as its `cache` option. */
export interface ManifestCache {
  /**
   * The result of `compute` for this file's text: the one stored when the path, context and text
   * are those of the last call, else computed now (and stored). `compute` must be a pure function
   * of the text and context.
   */
  checked<T>(path: string, context: string, text: string, compute: () => T): T;
  /** The stored text of a file with no change reported since it was read; undefined: read it. */
  unchangedText(path: string): string | undefined;
  /** Marks files (or everything under folders) as changed: the next load reads them. */
  invalidate(paths: Iterable<string>): void;
  /** Marks every file as changed (the next load reads all, and still parses only what differs). */
  invalidateAll(): void;
  /** Forgets every path not in `paths` (files deleted or no longer under a PATH). */
  retain(paths: Iterable<string>): void;
  readonly stats: ManifestCacheStats;
  readonly size: number;
}

/** Creates an empty cache. */
export function createManifestCache(): ManifestCache {
  const entries = new Map<string, Entry>();
  const stats: ManifestCacheStats = { parses: 0, hits: 0 };
  return {
    checked<T>(path: string, context: string, text: string, compute: () => T): T {
      const e = entries.get(path);
      if (e !== undefined && e.context === context && e.text === text) {
        stats.hits += 1;
        e.fresh = true;
        return e.value as T;
      }
      stats.parses += 1;
      const value = compute();
      entries.set(path, { context, text, value, fresh: true });
      return value;
    },
    unchangedText(path) {
      const e = entries.get(path);
      return e?.fresh ? e.text : undefined;
    },
    invalidate(paths) {
      // A path that is no cached file may be a folder: everything below it changed too (a
      // checkout, a folder renamed). One pass over the entries, up each one's folders.
      const folders = new Set<string>();
      for (const p of paths) {
        const e = entries.get(p);
        if (e) e.fresh = false;
        else folders.add(p.endsWith(sep) && p.length > 1 ? p.slice(0, -1) : p);
      }
      if (folders.size === 0) return;
      for (const [path, entry] of entries) {
        for (let d = dirname(path); ; d = dirname(d)) {
          if (folders.has(d)) {
            entry.fresh = false;
            break;
          }
          if (dirname(d) === d) break;
        }
      }
    },
    invalidateAll() {
      for (const e of entries.values()) e.fresh = false;
    },
    retain(paths) {
      const keep = new Set(paths);
      for (const p of entries.keys()) if (!keep.has(p)) entries.delete(p);
    },
    stats,
    get size() {
      return entries.size;
    },
  };
}
