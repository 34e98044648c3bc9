import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { Persister, writeFileAtomic } from '../../src/emulator/persist.js';
import { tempTree } from '../support/tmp.js';
import { keyBody, keystoreBody } from './builders.js';
import { call, eventually } from './http.js';

describe('emulator --data persistence', () => {
  it('keeps state across a restart, ids included, and leaves no temporary file', async () => {
    const dir = tempTree();
    const dataFile = join(dir, 'state.json');
    const first = await startEmulator({ dataFile });
    await call(first, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('k1', {}, ['production', 'test']) });
    await call(first, 'POST', '/apiops/projects/Identity/keystores/', { body: keystoreBody('ks1') });
    await call(first, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('gone') });
    await call(first, 'DELETE', '/apiops/projects/Payments/keys/gone/');
    const before = (await call(first, 'GET', '/apiops/projects/Payments/keys/k1/')).body.resultList[0];
    await first.close();
    expect(readdirSync(dir)).toEqual(['state.json']);
    // Key material is on disk: only the owner may read it.
    if (process.platform !== 'win32') expect(statSync(dataFile).mode & 0o077).toBe(0);

    const second = await startEmulator({ dataFile });
    try {
      expect((await call(second, 'GET', '/apiops/projects/Payments/keys/k1/')).body.resultList[0]).toEqual(before);
      expect(
        (await call(second, 'GET', '/apiops/projects/Identity/keystores/')).body.resultList.map(
          (o: { name: string }) => o.name,
        ),
      ).toEqual(['ks1']);
      expect(
        (await call(second, 'GET', '/apiops/projects/Payments/keys/')).body.resultList.map(
          (o: { name: string }) => o.name,
        ),
      ).toEqual(['k1']);
      expect(second.stats().writes).toBe(0);
    } finally {
      await second.close();
    }
  });

  it('writes the file shortly after a write, without waiting for close', async () => {
    const dir = tempTree();
    const dataFile = join(dir, 'state.json');
    const e = await startEmulator({ dataFile });
    try {
      expect(existsSync(dataFile)).toBe(false);
      await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('k1') });
      await eventually(() => existsSync(dataFile) && readFileSync(dataFile, 'utf8').includes('"k1"'));
      e.store.put('Payments', 'Key', { name: 'drift', keyType: 'EC', cryptoKeyInfoEnvironmentList: [] });
      await eventually(() => readFileSync(dataFile, 'utf8').includes('"drift"'));
    } finally {
      await e.close();
    }
  });

  it('persists a burst of 200 concurrent creates completely', async () => {
    const dir = tempTree();
    const dataFile = join(dir, 'state.json');
    const e = await startEmulator({ dataFile });
    await Promise.all(
      Array.from({ length: 200 }, (_, i) =>
        call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody(`k${i}`) }),
      ),
    );
    await e.close();
    const saved = JSON.parse(readFileSync(dataFile, 'utf8'));
    expect(saved.projects.Payments.keys).toHaveLength(200);
    expect(readdirSync(dir)).toEqual(['state.json']);
  });

  it.each([
    ['not JSON', '{"format": "apinizer-emu', /not valid JSON/],
    ['another format', '{"hello": "world"}', /not an emulator data file/],
    [
      'an object without a name',
      '{"format":"apinizer-emulator-data","version":1,"projects":{"P":{"keys":[{"keyType":"RSA"}]}}}',
      /keys\[0\]/,
    ],
  ])('refuses to start from a data file that is %s, naming the file', async (_what, text, message) => {
    const dir = tempTree({ 'state.json': text });
    const dataFile = join(dir, 'state.json');
    await expect(startEmulator({ dataFile })).rejects.toThrow(message);
    await expect(startEmulator({ dataFile })).rejects.toThrow(dataFile);
    expect(readFileSync(dataFile, 'utf8')).toBe(text); // not overwritten
  });

  it('starts empty from an empty data file', async () => {
    const dir = tempTree({ 'state.json': '' });
    const e = await startEmulator({ dataFile: join(dir, 'state.json') });
    expect(e.store.size()).toBe(0);
    await e.close();
  });
});

describe('Persister', () => {
  it('coalesces a burst of 500 changes into a few rewrites, the last one complete', async () => {
    const dir = tempTree();
    const file = join(dir, 'out.json');
    let value = 0;
    let serialised = 0;
    const persister = new Persister(
      file,
      () => {
        serialised++;
        return JSON.stringify({ value });
      },
      { delayMs: 20 },
    );
    for (let i = 1; i <= 500; i++) {
      value = i;
      persister.schedule();
    }
    await persister.flush();
    expect(serialised).toBeLessThanOrEqual(2);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ value: 500 });
  });

  it('reports a write it cannot make on flush, and leaves no temporary file', async () => {
    const dir = tempTree();
    const file = join(dir, 'missing-folder', 'out.json');
    const errors: string[] = [];
    const persister = new Persister(file, () => '{}', { onError: (err) => errors.push(err.message) });
    persister.schedule();
    await expect(persister.flush()).rejects.toThrow(/ENOENT/);
    expect(errors[0]).toContain(file);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('writeFileAtomic replaces the whole file', async () => {
    const dir = tempTree();
    const file = join(dir, 'a.json');
    writeFileSync(file, 'x'.repeat(10_000));
    await writeFileAtomic(file, 'short');
    expect(readFileSync(file, 'utf8')).toBe('short');
    expect(readdirSync(dir)).toEqual(['a.json']);
  });
});
