// The file watcher on a real temporary directory: a burst of changes is one batch, dot-entries and
// node_modules are ignored, any other file counts (fromFile targets), a PATH that does not exist yet
// is picked up once it appears, symlink loops are watched once, and the watches are per directory.
import { mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isIgnoredPath, startWatcher, watchedDirectories, type RunningWatcher } from '../../src/watch/watcher.js';
import { tempTree } from '../support/tmp.js';
import { eventually } from './support.js';

const running: RunningWatcher[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

async function watchDir(dir: string, paths: string[], debounceMs = 100) {
  const batches: string[][] = [];
  const w = await startWatcher({
    paths,
    cwd: dir,
    debounceMs,
    onBatch: (b) => batches.push(b),
    onError: (e) => {
      throw e;
    },
  });
  running.push(w);
  return { batches, watcher: w };
}

describe('isIgnoredPath', () => {
  const roots = ['/repo/manifests', '/home/u/.cache/checkout'];
  it.each([
    ['/repo/manifests', false],
    ['/repo/manifests/keys/a.yaml', false],
    ['/repo/manifests/material/a.pem', false],
    ['/repo/manifests/.git/HEAD', true],
    ['/repo/manifests/keys/.a.yaml.swp', true],
    ['/repo/manifests/node_modules/x/a.yaml', true],
    ['/home/u/.cache/checkout/keys/a.yaml', false], // the root may sit in a dot-folder
    ['/home/u/.cache/checkout/.github/a.yaml', true],
    ['/elsewhere/.x', false],
  ])('%s -> %s', (path, ignored) => {
    expect(isIgnoredPath(path, roots)).toBe(ignored);
  });
});

describe('startWatcher', () => {
  it('hands on a burst of 200 file writes as one batch, after a quiet period', async () => {
    const dir = tempTree({ 'm/keep.yaml': 'x' });
    const { batches } = await watchDir(dir, ['m'], 300);
    mkdirSync(join(dir, 'm', 'keys'));
    for (let i = 0; i < 200; i++) writeFileSync(join(dir, 'm', 'keys', `k${i}.yaml`), `n: ${i}\n`);
    await eventually('a batch', () => batches.length > 0);
    // The first batch holds the whole burst (a split burst would leave some for a second one).
    expect(batches[0]!.filter((p) => p.endsWith('.yaml'))).toHaveLength(200);
  });

  it('ignores dot-files, dot-folders and node_modules; counts any other file (a fromFile target)', async () => {
    const dir = tempTree({
      'm/a.yaml': 'x',
      'm/.git/HEAD': 'ref',
      'm/node_modules/p/x.yaml': 'x',
      'm/material/k.pem': 'pem',
    });
    const { batches } = await watchDir(dir, ['m']);
    writeFileSync(join(dir, 'm', '.git', 'HEAD'), 'other');
    writeFileSync(join(dir, 'm', '.a.yaml.swp'), 'swap');
    writeFileSync(join(dir, 'm', 'node_modules', 'p', 'x.yaml'), 'y');
    writeFileSync(join(dir, 'm', 'material', 'k.pem'), 'rotated');
    await eventually('a batch', () => batches.length > 0);
    expect(batches.flat()).toEqual([join(dir, 'm', 'material', 'k.pem')]);
  });

  it('watches a file argument through its folder, and a PATH that appears later', async () => {
    const dir = tempTree({ 'one/a.yaml': 'x', 'one/b.pem': 'p' });
    const { batches, watcher } = await watchDir(dir, ['one/a.yaml', 'later']);
    expect(watcher.roots).toEqual([join(dir, 'one')]);
    writeFileSync(join(dir, 'one', 'b.pem'), 'changed');
    await eventually('the fromFile change', () => batches.flat().includes(join(dir, 'one', 'b.pem')));
    mkdirSync(join(dir, 'later'));
    writeFileSync(join(dir, 'later', 'c.yaml'), 'x');
    await eventually('the new PATH', () => batches.flat().includes(join(dir, 'later')), 10_000);
    // Once found, it is watched like any other.
    writeFileSync(join(dir, 'later', 'c.yaml'), 'y');
    await eventually('a change in it', () => batches.flat().includes(join(dir, 'later', 'c.yaml')), 10_000);
    rmSync(join(dir, 'later'), { recursive: true, force: true });
  });

  it('follows a symlink swapped to a new checkout (as git-sync does) and keeps watching the new tree', async () => {
    const dir = tempTree({ 'git/.worktrees/a/manifests/k.yaml': 'a' });
    symlinkSync('.worktrees/a', join(dir, 'git', 'current'));
    const { batches } = await watchDir(dir, ['git/current/manifests']);
    let previous = 'a';
    for (const next of ['b', 'c']) {
      // The swap: a new worktree, a new link renamed over the old one, the old worktree removed.
      mkdirSync(join(dir, 'git', '.worktrees', next, 'manifests'), { recursive: true });
      writeFileSync(join(dir, 'git', '.worktrees', next, 'manifests', 'k.yaml'), next);
      symlinkSync(`.worktrees/${next}`, join(dir, 'git', 'current-new'));
      renameSync(join(dir, 'git', 'current-new'), join(dir, 'git', 'current'));
      rmSync(join(dir, 'git', '.worktrees', previous), { recursive: true });
      previous = next;
      await eventually(
        `the swap to ${next}`,
        () => batches.flat().includes(join(dir, 'git', 'current', 'manifests')),
        10_000,
      );
      // A file written in the new checkout afterwards is seen: the watch moved to the new tree.
      // (Written again until seen: the swap is noticed within a second, and a write before that
      // is covered by the reload the swap itself triggers, not by an event.)
      let n = 0;
      const file = join(dir, 'git', '.worktrees', next, 'manifests', `new-${next}.yaml`);
      await eventually(
        `a new file in ${next}`,
        () => {
          const seen = batches.flat().includes(join(dir, 'git', 'current', 'manifests', `new-${next}.yaml`));
          if (!seen) writeFileSync(file, String(n++));
          return seen;
        },
        10_000,
        300,
      );
      batches.length = 0;
    }
  });

  it('starts on a tree with symlink loops (a/up -> .., b/up -> ..), watching each real folder once, and sees an edit', async () => {
    const dir = tempTree({ 'm/a/k.yaml': 'a', 'm/b/k.yaml': 'b' });
    symlinkSync('..', join(dir, 'm', 'a', 'up'));
    symlinkSync('..', join(dir, 'm', 'b', 'up'));
    symlinkSync('../a', join(dir, 'm', 'b', 'side'));
    expect([...(await watchedDirectories([join(dir, 'm')])).values()].sort()).toEqual([
      join(dir, 'm'),
      join(dir, 'm', 'a'),
      join(dir, 'm', 'b'),
    ]);
    const { batches, watcher } = await watchDir(dir, ['m']);
    expect(watcher.directories()).toBe(3);
    writeFileSync(join(dir, 'm', 'b', 'k.yaml'), 'edited');
    await eventually('the edit', () => batches.flat().includes(join(dir, 'm', 'b', 'k.yaml')));
  });

  it('watches directories, not files: 300 files in 3 folders take 4 watches; a new folder is watched when it appears', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 300; i++) files[`m/g${i % 3}/k${i}.yaml`] = 'x';
    const dir = tempTree(files);
    const { batches, watcher } = await watchDir(dir, ['m']);
    expect(watcher.directories()).toBe(4);
    mkdirSync(join(dir, 'm', 'g3'));
    await eventually('the new folder watched', () => watcher.directories() === 5);
    writeFileSync(join(dir, 'm', 'g3', 'new.yaml'), 'x');
    await eventually('a file in it', () => batches.flat().includes(join(dir, 'm', 'g3', 'new.yaml')));
    rmSync(join(dir, 'm', 'g0'), { recursive: true });
    await eventually('the removed folder unwatched', () => watcher.directories() === 4);
  });
});
