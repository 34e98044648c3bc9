// `watch` as a service: SIGTERM during a cycle lets that cycle finish, then exits 0; --prune
// deletes a resource whose manifest was removed (and only then, never while a manifest cannot be
// read); a tree with symlink loops is watched; a bad flag stops it at once. The SIGTERM test spawns
// the built CLI (a real signal); the others run watch in process through runCli.
import { rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliHere } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import {
  TOKEN,
  descriptionOn,
  eventually,
  expectNoLeak,
  keyName,
  startWatch,
  startedOk,
  watchTree,
  writeKey,
} from './support.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ failRate: 0, latencyMs: 0 });
  emulator().resetStats();
});

describe('watch: lifecycle', () => {
  it('on SIGTERM during a cycle, finishes it (every write of it lands) and exits 0', async () => {
    const dir = tempTree(watchTree(3));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--concurrency', '2'], {}, { spawn: true });
    await startedOk(w);
    emulator().configure({ latencyMs: 700 });
    for (let i = 0; i < 3; i++) writeKey(dir, keyName(i), 'v2');
    // The cycle is under way once the emulator holds a request in flight.
    await eventually('a request in flight', () => emulator().stats().inFlight > 0, 15_000, 5);
    const run = await w.stop('SIGTERM');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('SIGTERM received: stopping the watch, finishing the cycle in flight');
    for (let i = 0; i < 3; i++) expect(descriptionOn(emulator(), keyName(i))).toBe('v2');
    const cycles = run.stderr.split('\n').filter((l) => l.includes('"trigger":"change"'));
    expect(cycles.length).toBeGreaterThanOrEqual(1);
    expect(cycles.at(-1)).toContain('"result":"ok"');
    expectNoLeak(run.stdout, run.stderr);
  });

  it('with --prune deletes a resource whose manifest was removed; without a valid load it deletes nothing', async () => {
    const dir = tempTree(watchTree(3));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--prune']);
    try {
      await startedOk(w);
      rmSync(join(dir, 'manifests', 'keys', 'key-002.yaml'));
      await eventually('the delete', () => descriptionOn(emulator(), 'key-002') === undefined, 10_000);
      expect(emulator().stats().byRoute['DELETE /apiops/projects/{project}/keys/{name}/']).toBe(1);

      // A removal together with an invalid manifest: nothing is deleted until the manifests load.
      emulator().resetStats();
      rmSync(join(dir, 'manifests', 'keys', 'key-001.yaml'));
      writeKey(dir, 'key-000', 'v2: [');
      await w.waitForLine('the invalid cycle', (l) => l.result === 'invalid');
      expect(emulator().stats().total).toBe(0);
      expect(descriptionOn(emulator(), 'key-001')).toBe('v1');
      writeKey(dir, 'key-000', 'v2');
      await eventually('the delete after the fix', () => descriptionOn(emulator(), 'key-001') === undefined, 10_000);
      expect(descriptionOn(emulator(), 'key-000')).toBe('v2');
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it('starts on a tree with symlink loops; under --prune a dangling x.yaml link stops every write until removed', async () => {
    const dir = tempTree(watchTree(3));
    symlinkSync('..', join(dir, 'manifests', 'keys', 'up'));
    symlinkSync('..', join(dir, 'manifests', 'keystores', 'up'));
    const w = startWatch(emulator(), dir, ['--debounce', '100', '--prune']);
    try {
      await startedOk(w);
      writeKey(dir, 'key-000', 'v2');
      await eventually('the edit', () => descriptionOn(emulator(), 'key-000') === 'v2', 10_000);

      // A manifest that cannot be read, together with a removal: nothing written, nothing pruned.
      emulator().resetStats();
      symlinkSync('gone.yaml', join(dir, 'manifests', 'keys', 'x.yaml'));
      rmSync(join(dir, 'manifests', 'keys', 'key-001.yaml'));
      const line = await w.waitForLine('the invalid cycle', (l) => l.result === 'invalid');
      expect(line.trigger).toBe('change');
      expect(w.lines().some((l) => l.level === 50 && l.msg.startsWith('manifests/keys/x.yaml:1:1'))).toBe(true);
      writeKey(dir, 'key-002', 'v2');
      await eventually(
        'a second invalid cycle',
        () => w.cycles().filter((l) => l.result === 'invalid').length >= 2,
        10_000,
      );
      expect(emulator().stats().writes).toBe(0);
      expect(descriptionOn(emulator(), 'key-001')).toBe('v1');

      rmSync(join(dir, 'manifests', 'keys', 'x.yaml'));
      await eventually('the delete after the fix', () => descriptionOn(emulator(), 'key-001') === undefined, 10_000);
      expect(descriptionOn(emulator(), 'key-002')).toBe('v2');
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });

  it.each([
    [['--drift', 'fix'], '--drift must be correct or warn, got "fix"'],
    [['--debounce', '10'], '--debounce must be a whole number from 50 to 600000, got "10"'],
    [['--resync', '0'], '--resync must be a whole number from 1 to 604800, got "0"'],
    [['--metrics-host', '0.0.0.0'], '--metrics-host needs --metrics-port'],
  ])('refuses %j at once with exit 1', async (args, message) => {
    const dir = tempTree(watchTree(1));
    const run = await runCliHere(['watch', 'manifests', ...args], {
      cwd: dir,
      env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(message);
  });

  it('exits 1 with the reason when the metrics port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', () => r()));
    try {
      const port = (taken.address() as AddressInfo).port;
      const dir = tempTree(watchTree(1));
      const run = await runCliHere(['watch', 'manifests', '--metrics-port', String(port)], {
        cwd: dir,
        env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN },
      });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain(
        `--metrics-port ${port}: cannot listen on 127.0.0.1:${port}: the port is already in use; choose another port`,
      );
      expect(emulator().stats().total).toBe(0);
    } finally {
      await new Promise((r) => taken.close(r));
    }
  });
});

describe('watch --poll', () => {
  it.each([['10'], ['soon'], ['0']])('refuses --poll %s before any API call', async (value) => {
    const dir = tempTree(watchTree(1));
    const run = await runCliHere(['watch', 'manifests', '--poll', value], {
      cwd: dir,
      env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/--poll must be/);
    expect(emulator().stats().total).toBe(0);
  });
});
