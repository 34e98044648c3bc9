// SPEC §6 "What it must see", case by case, on real temporary trees, with file events and with
// `--poll`: each change must be handed on, under the path the loader reads, within the quiet
// period + 1 s (a loaded machine gets a little slack on top, see LIMIT). Waits on the batch, never
// on a fixed sleep.
import {
  appendFileSync,
  cpSync,
  mkdirSync,
  renameSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startWatcher, type RunningWatcher } from '../../src/watch/watcher.js';
import { tempTree } from '../support/tmp.js';
import { eventually, kubeletWrite } from './support.js';

const DEBOUNCE = 100;
const POLL = 100;
/** Slack on top of debounce (+ poll) + 1 s for a machine shared by many test runs. */
const SLACK_MS = 3_000;

const running: RunningWatcher[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((w) => w.close()));
});

describe.each([
  ['file events', undefined],
  ['--poll', POLL],
] as const)('the watcher with %s', (_mode, pollMs) => {
  const LIMIT = DEBOUNCE + (pollMs ?? 0) + 1_000;

  async function watchDir(dir: string, paths: string[]) {
    const batches: string[][] = [];
    const w = await startWatcher({
      paths,
      cwd: dir,
      debounceMs: DEBOUNCE,
      ...(pollMs !== undefined ? { pollMs } : {}),
      onBatch: (b) => batches.push(b),
      onError: (e) => {
        throw e;
      },
    });
    running.push(w);
    /** Waits until `path` is in a batch handed on; returns how long it took from `since`. */
    const sees = async (path: string, since: number, what = path) => {
      await eventually(`a batch with ${what}`, () => batches.flat().includes(path), LIMIT + SLACK_MS, 10);
      return Date.now() - since;
    };
    return { batches, watcher: w, sees, reset: () => (batches.length = 0) };
  }

  it('sees edits by any editor: in place, truncate then write, temp file and rename; sed -i counts one file', async () => {
    const dir = tempTree({ 'm/a.yaml': 'v: 1\n', 'm/b.yaml': 'v: 1\n', 'm/c.yaml': 'v: 1\n' });
    const { batches, sees, reset } = await watchDir(dir, ['m']);
    const a = join(dir, 'm', 'a.yaml');
    let t = Date.now();
    appendFileSync(a, 'w: 2\n');
    expect(await sees(a, t)).toBeLessThan(LIMIT + SLACK_MS);
    reset();

    const b = join(dir, 'm', 'b.yaml');
    t = Date.now();
    truncateSync(b, 0);
    writeFileSync(b, 'v: 2\n');
    await sees(b, t);
    reset();

    // An editor's save: a temporary file renamed over the manifest (sed -i, IntelliJ, VS Code's
    // atomic save): only the manifest is handed on, the temporary file never existed for a batch.
    const c = join(dir, 'm', 'c.yaml');
    t = Date.now();
    writeFileSync(join(dir, 'm', 'sedX1b2c3'), 'v: 2\n');
    renameSync(join(dir, 'm', 'sedX1b2c3'), c);
    await sees(c, t);
    expect(batches.flat()).toEqual([c]);
  });

  it('sees files and folders created, deleted, renamed and moved', async () => {
    const dir = tempTree({ 'm/keys/a.yaml': 'a', 'm/keys/b.yaml': 'b', 'm/other/c.yaml': 'c' });
    const { sees, reset } = await watchDir(dir, ['m']);
    const m = (...p: string[]) => join(dir, 'm', ...p);
    let t = Date.now();
    writeFileSync(m('keys', 'new.yaml'), 'n');
    await sees(m('keys', 'new.yaml'), t);
    reset();
    t = Date.now();
    rmSync(m('keys', 'b.yaml'));
    await sees(m('keys', 'b.yaml'), t);
    reset();
    t = Date.now();
    renameSync(m('keys', 'a.yaml'), m('other', 'a.yaml')); // moved between folders
    await sees(m('keys', 'a.yaml'), t);
    await sees(m('other', 'a.yaml'), t);
    reset();
    t = Date.now();
    mkdirSync(m('fresh'));
    writeFileSync(m('fresh', 'd.yaml'), 'd');
    await sees(m('fresh', 'd.yaml'), t);
    reset();
    // A folder renamed away and a new one made under the old name: both are watched afterwards.
    t = Date.now();
    renameSync(m('other'), m('other2'));
    mkdirSync(m('other'));
    await sees(m('other2'), t);
    reset();
    t = Date.now();
    writeFileSync(m('other', 'e.yaml'), 'e');
    await sees(m('other', 'e.yaml'), t, 'a file in the new folder with the old name');
    reset();
    t = Date.now();
    writeFileSync(m('other2', 'a.yaml'), 'a2');
    await sees(m('other2', 'a.yaml'), t, 'a file in the renamed folder');
  });

  it('keeps seeing a folder deleted and created again at the same path (rm -rf keys && cp -r new keys)', async () => {
    const dir = tempTree({ 'm/keys/a.yaml': 'a', 'new/a.yaml': 'a2', 'new/b.yaml': 'b' });
    const { sees, reset } = await watchDir(dir, ['m']);
    for (let round = 0; round < 3; round++) {
      let t = Date.now();
      rmSync(join(dir, 'm', 'keys'), { recursive: true });
      cpSync(join(dir, 'new'), join(dir, 'm', 'keys'), { recursive: true });
      await sees(join(dir, 'm', 'keys', 'b.yaml'), t);
      reset();
      // The later edit is the one the stale watch on the deleted folder used to miss.
      t = Date.now();
      writeFileSync(join(dir, 'm', 'keys', 'a.yaml'), `edit ${round}`);
      await sees(join(dir, 'm', 'keys', 'a.yaml'), t, `an edit after re-creation ${round}`);
      reset();
    }
  });

  it('keeps seeing a root deleted and created again (rm -rf m && git clone ... m)', async () => {
    const dir = tempTree({ 'm/keys/a.yaml': 'a', 'clone/keys/a.yaml': 'a2' });
    const { sees, reset } = await watchDir(dir, ['m']);
    let t = Date.now();
    rmSync(join(dir, 'm'), { recursive: true });
    cpSync(join(dir, 'clone'), join(dir, 'm'), { recursive: true });
    await sees(join(dir, 'm'), t, 'the root');
    reset();
    t = Date.now();
    writeFileSync(join(dir, 'm', 'keys', 'a.yaml'), 'edited');
    await sees(join(dir, 'm', 'keys', 'a.yaml'), t, 'an edit in the new root');
  });

  it('re-reads a symlinked manifest whose target is edited, under the link path', async () => {
    const dir = tempTree({ 'm/keys/real.yaml': 'r', 'common/a.yaml': 'a' });
    symlinkSync('../../common/a.yaml', join(dir, 'm', 'keys', 'a.yaml'));
    const { sees } = await watchDir(dir, ['m']);
    const t = Date.now();
    appendFileSync(join(dir, 'common', 'a.yaml'), '# edited in place, outside the root\n');
    await sees(join(dir, 'm', 'keys', 'a.yaml'), t, 'the link');
  });

  it("follows a Kubernetes ConfigMap volume's atomic ..data swap, as the kubelet makes it", async () => {
    const dir = tempTree({});
    const vol = join(dir, 'vol');
    kubeletWrite(vol, { 'a.yaml': 'v: 1\n', 'b.yaml': 'v: 1\n' });
    const { sees, reset } = await watchDir(dir, ['vol']);
    for (let v = 2; v <= 4; v++) {
      const t = Date.now();
      kubeletWrite(vol, { 'a.yaml': `v: ${v}\n`, 'b.yaml': 'v: 1\n' });
      await sees(join(vol, 'a.yaml'), t, `swap ${v}`);
      reset();
    }
  });

  it('sees a fromFile target in a dot-folder once told about it', async () => {
    const dir = tempTree({ 'm/a.yaml': 'x', 'm/.secrets/pub.bin': 'one' });
    const { sees, watcher, batches } = await watchDir(dir, ['m']);
    watcher.track([join(dir, 'm', '.secrets', 'pub.bin')]);
    // Written until seen: the watch on the target's folder opens just after track().
    const target = join(dir, 'm', '.secrets', 'pub.bin');
    let n = 0;
    await eventually(
      'the fromFile target',
      () => {
        if (batches.flat().includes(target)) return true;
        writeFileSync(target, `rotated ${n++}`);
        return false;
      },
      LIMIT + SLACK_MS,
      DEBOUNCE + (pollMs ?? 0) + 200,
    );
    // Other dot-entries still count for nothing.
    batches.length = 0;
    const t = Date.now();
    writeFileSync(join(dir, 'm', '.secrets', 'unrelated'), 'x');
    writeFileSync(target, 'rotated again');
    await sees(target, t);
    expect(batches.flat()).toEqual([target]);
  });

  it('follows a root that is a symlink swapped to a new checkout (git-sync)', async () => {
    const dir = tempTree({ 'git/.worktrees/a/manifests/k.yaml': 'a' });
    symlinkSync('.worktrees/a', join(dir, 'git', 'current'));
    const { sees, reset } = await watchDir(dir, ['git/current/manifests']);
    let previous = 'a';
    for (const next of ['b', 'c']) {
      mkdirSync(join(dir, 'git', '.worktrees', next, 'manifests'), { recursive: true });
      writeFileSync(join(dir, 'git', '.worktrees', next, 'manifests', 'k.yaml'), next);
      const t = Date.now();
      symlinkSync(`.worktrees/${next}`, join(dir, 'git', 'current-new'));
      renameSync(join(dir, 'git', 'current-new'), join(dir, 'git', 'current'));
      rmSync(join(dir, 'git', '.worktrees', previous), { recursive: true });
      previous = next;
      await sees(join(dir, 'git', 'current', 'manifests'), t, `the swap to ${next}`);
      reset();
    }
  });
});
