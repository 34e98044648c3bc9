// `watch` (runCli in process, the real watcher, the emulator over HTTP) on the failures of a watch
// left running: a file caught half-written under --prune never costs a DELETE while a real removal
// still does; a folder deleted and created again, a Kubernetes ConfigMap volume's ..data swap, a
// symlinked manifest whose target is edited, and a fromFile target in a dot-folder all reach the
// server; with file events and with --poll. Each waits on the server or a log line, never on a
// fixed sleep (the only pause is the slow writer's own, which is the case under test).
import { spawnSync } from 'node:child_process';
import { cpSync, rmSync, symlinkSync, writeFileSync, mkdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import {
  SECRETS,
  TOKEN,
  descriptionOn,
  eventually,
  expectNoLeak,
  keyManifest,
  keystoreManifest,
  kubeletWrite,
  startWatch,
  startedOk,
  watchTree,
  writeKey,
} from './support.js';

const emulator = useEmulator({ token: TOKEN });
const DEBOUNCE = 100;
const DEFAULT_DEBOUNCE = 300;
/** The confirming read waits at least a second (watch.ts, MIN_CONFIRM_MS). */
const CONFIRM = 1_000;
/** Slack for a machine shared by many test runs, on top of what the contract allows. */
const SLACK = 4_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ failRate: 0, latencyMs: 0, failDeploymentTo: [], maskSecrets: false });
  emulator().resetStats();
});

const deletes = () =>
  Object.entries(emulator().stats().byRoute)
    .filter(([route]) => route.startsWith('DELETE '))
    .reduce((n, [, c]) => n + c, 0);

describe.each([
  ['file events', [] as string[]],
  ['--poll', ['--poll', '100']],
])('watch with %s', (_mode, extra) => {
  const poll = extra.length > 0 ? 100 : 0;

  it('under --prune never deletes a resource whose file is caught emptied or cut at a ---, and still deletes a real removal', async () => {
    const files = watchTree(2);
    const pair = keyManifest('pair-a', 'v1') + '---\n' + keyManifest('pair-b', 'v1');
    files['manifests/keys/pair.yaml'] = pair;
    const dir = tempTree(files);
    // The default quiet period, as a user leaves it.
    const w = startWatch(emulator(), dir, ['--prune', ...extra]);
    try {
      await startedOk(w);
      emulator().resetStats();
      // An editor's save in two steps: truncated, then written half a second later.
      const file = join(dir, 'manifests', 'keys', 'key-000.yaml');
      const t0 = Date.now();
      writeFileSync(file, '');
      await w.waitForLine('the emptied file seen', (l) => l.name === 'key-000' && l.confirming === true);
      await sleep(Math.max(0, 500 - (Date.now() - t0)));
      writeFileSync(file, keyManifest('key-000', 'v2'));
      await eventually('the second half on the server', () => descriptionOn(emulator(), 'key-000') === 'v2', 15_000);
      // A multi-document file cut at its ---, the rest written a moment later.
      const cut = join(dir, 'manifests', 'keys', 'pair.yaml');
      writeFileSync(cut, keyManifest('pair-a', 'v2') + '---\n');
      await w.waitForLine('the cut file seen', (l) => l.name === 'pair-b' && l.confirming === true);
      await sleep(300);
      writeFileSync(cut, keyManifest('pair-a', 'v2') + '---\n' + keyManifest('pair-b', 'v2'));
      await eventually('both halves on the server', () => descriptionOn(emulator(), 'pair-b') === 'v2', 15_000);
      await w.waitForLine('pair-b back', (l) => l.name === 'pair-b' && l.msg.includes('back in the manifests'));
      expect(deletes()).toBe(0);
      expect(emulator().stats().byRoute['POST /apiops/projects/{project}/keys/'] ?? 0).toBe(0);

      // A real removal is deleted, within two quiet periods (the second at least a second) and a second.
      const t = Date.now();
      rmSync(join(dir, 'manifests', 'keys', 'key-001.yaml'));
      await eventually('the delete', () => descriptionOn(emulator(), 'key-001') === undefined, 20_000, 10);
      expect(Date.now() - t).toBeLessThan(DEFAULT_DEBOUNCE + poll + CONFIRM + 1_000 + SLACK);
      expect(deletes()).toBe(1);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('keeps reconciling a folder deleted and created again at the same path (rm -rf keys && cp -r ... keys)', async () => {
    const dir = tempTree({ ...watchTree(2), 'clone/key-000.yaml': keyManifest('key-000', 'cloned') });
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), ...extra]);
    try {
      await startedOk(w);
      rmSync(join(dir, 'manifests', 'keys'), { recursive: true });
      cpSync(join(dir, 'clone'), join(dir, 'manifests', 'keys'), { recursive: true });
      writeFileSync(join(dir, 'manifests', 'keys', 'key-001.yaml'), keyManifest('key-001', 'cloned'));
      await eventually('the clone on the server', () => descriptionOn(emulator(), 'key-000') === 'cloned', 15_000);
      // The later edit in the re-created folder: the one a stale watch used to miss.
      const t = Date.now();
      writeKey(dir, 'key-001', 'edited-after');
      await eventually('the later edit', () => descriptionOn(emulator(), 'key-001') === 'edited-after', 15_000, 10);
      expect(Date.now() - t).toBeLessThan(DEBOUNCE + poll + 1_000 + SLACK);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it("reconciles a Kubernetes ConfigMap volume's ..data swap (the kubelet's exact sequence), keystore material included", async () => {
    const dir = tempTree({});
    const vol = join(dir, 'manifests');
    const payload = (v: string, store: string) => ({
      'a.yaml': keyManifest('cm-a', v),
      'store.yaml': keystoreManifest('cm-store', v).replace('../secrets/store.p12', 'store.p12'),
      'store.p12': Buffer.from(store, 'utf8'),
    });
    kubeletWrite(vol, payload('v1', SECRETS.keystore));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), '--prune', ...extra]);
    try {
      await startedOk(w);
      expect(descriptionOn(emulator(), 'cm-a')).toBe('v1');
      for (const v of ['v2', 'v3']) {
        const t = Date.now();
        kubeletWrite(vol, payload(v, `${SECRETS.keystore}-${v}`));
        await eventually(`the swap to ${v}`, () => descriptionOn(emulator(), 'cm-store', 'Keystore') === v, 15_000, 10);
        expect(Date.now() - t).toBeLessThan(DEBOUNCE + poll + 1_000 + SLACK);
        await eventually('both resources', () => descriptionOn(emulator(), 'cm-a') === v, 15_000);
      }
      // Rotating only the material behind the link is a write as well.
      const updates = () =>
        w.lines().filter((l) => l.name === 'cm-store' && l.action === 'update' && l.outcome === 'ok');
      const before = updates().length;
      kubeletWrite(vol, payload('v3', `${SECRETS.keystore}-rotated`));
      await eventually('the rotation written', () => updates().length > before, 15_000);
      expect(deletes()).toBe(0);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });

  it('re-reads a symlinked manifest whose target is edited, and follows a fromFile target in a dot-folder', async () => {
    const files = watchTree(1);
    files['elsewhere/linked.yaml'] = keyManifest('linked', 'v1');
    files['manifests/.secrets/store.p12'] = Buffer.from(SECRETS.keystore, 'utf8');
    files['manifests/keystores/store-000.yaml'] = keystoreManifest('store-000', 'v1').replace(
      '../secrets/store.p12',
      '../.secrets/store.p12',
    );
    const dir = tempTree(files);
    symlinkSync(join('..', '..', 'elsewhere', 'linked.yaml'), join(dir, 'manifests', 'keys', 'linked.yaml'));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE), ...extra]);
    try {
      await startedOk(w);
      let t = Date.now();
      writeFileSync(join(dir, 'elsewhere', 'linked.yaml'), keyManifest('linked', 'v2'));
      await eventually('the edit behind the link', () => descriptionOn(emulator(), 'linked') === 'v2', 15_000, 10);
      expect(Date.now() - t).toBeLessThan(DEBOUNCE + poll + 1_000 + SLACK);

      emulator().resetStats();
      t = Date.now();
      writeFileSync(join(dir, 'manifests', '.secrets', 'store.p12'), `${SECRETS.keystore}-rotated`);
      await w.waitForLine(
        'the rotated keystore written',
        (l) => l.name === 'store-000' && l.action === 'update' && l.outcome === 'ok',
      );
      expect(Date.now() - t).toBeLessThan(DEBOUNCE + poll + 1_000 + SLACK);
      expect(emulator().stats().writes).toBe(1);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
      expectNoLeak(run.stdout, run.stderr);
    }
  });
});

describe('watch: a new folder made while watching', () => {
  it('applies manifests written into a folder created after the start, and its later edits', async () => {
    const dir = tempTree(watchTree(1));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE)]);
    try {
      await startedOk(w);
      mkdirSync(join(dir, 'manifests', 'team-b'));
      writeFileSync(join(dir, 'manifests', 'team-b', 'k.yaml'), keyManifest('team-b-key', 'v1'));
      await eventually('the new folder applied', () => descriptionOn(emulator(), 'team-b-key') === 'v1', 15_000);
      appendFileSync(join(dir, 'manifests', 'team-b', 'k.yaml'), '');
      writeFileSync(join(dir, 'manifests', 'team-b', 'k.yaml'), keyManifest('team-b-key', 'v2'));
      await eventually('its edit applied', () => descriptionOn(emulator(), 'team-b-key') === 'v2', 15_000);
    } finally {
      await w.stop();
    }
  });
});

describe('watch: sed -i', () => {
  it("counts one changed file, not sed's temporary file as well", async () => {
    const dir = tempTree(watchTree(1));
    const w = startWatch(emulator(), dir, ['--debounce', String(DEBOUNCE)]);
    try {
      await startedOk(w);
      const sed = spawnSync(
        'sed',
        ['-i', 's/^  description: v1$/  description: by-sed/', 'manifests/keys/key-000.yaml'],
        {
          cwd: dir,
        },
      );
      expect(sed.status, String(sed.stderr)).toBe(0);
      await eventually('the edit on the server', () => descriptionOn(emulator(), 'key-000') === 'by-sed', 15_000);
      const cycle = await w.waitForLine('the change cycle', (l) => l.trigger === 'change');
      expect(cycle).toMatchObject({ result: 'ok', files: 1, writes: 1 });
    } finally {
      await w.stop();
    }
  });
});
