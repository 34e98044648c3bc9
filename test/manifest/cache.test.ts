// The parse cache of a long-running watcher over a real tree of 2,000 files: after one edit only
// the changed file is read, parsed and validated again (counted by the cache, not timed); cross-file
// rules still run over the whole set; a resync's invalidateAll reads every file but parses only what
// differs; deleted files are forgotten.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createManifestCache } from '../../src/manifest/cache.js';
import { loadManifests } from '../../src/manifest/load.js';
import { tempTree } from '../support/tmp.js';
import { edit, keyNamed } from './fixtures.js';

const FILES = 2_000;
const file = (i: number) => `m/g${Math.floor(i / 100)}/k${i}.yaml`;

describe('manifest cache', () => {
  it('after an edit in a 2,000-file tree reparses only the changed file, and still sees duplicates across files', async () => {
    const tree: Record<string, string> = {};
    for (let i = 0; i < FILES; i++) tree[file(i)] = keyNamed(`key-${i}`);
    const dir = tempTree(tree);
    const cache = createManifestCache();
    const load = () => loadManifests(['m'], { cwd: dir, env: {}, cache });

    const first = await load();
    expect(first.state?.resources).toHaveLength(FILES);
    expect(cache.stats).toEqual({ parses: FILES, hits: 0 });

    // One edit, reported by the watcher: one parse; the other 1,999 are reused without a read.
    writeFileSync(join(dir, file(7)), `${keyNamed('key-7')}  description: edited\n`);
    cache.invalidate([join(dir, file(7))]);
    const second = await load();
    expect(cache.stats).toEqual({ parses: FILES + 1, hits: FILES - 1 });
    expect(second.state?.resources.find((r) => r.name === 'key-7')?.description).toMatch(/^edited/);

    // An edit that makes a duplicate of an unchanged file's identity: the cross-file rule still fires.
    writeFileSync(join(dir, file(8)), keyNamed('key-9'));
    cache.invalidate([join(dir, 'm', 'g0')]); // a folder: everything below it is read again
    const third = await load();
    expect(third.state).toBeNull();
    expect(third.diagnostics.filter((d) => d.code === 'duplicate-identity')).toHaveLength(1);
    expect(cache.stats.parses).toBe(FILES + 2); // g0's 100 files read again, only k8 parsed again

    // A resync reads everything: a change no event reported is seen, and only it is parsed.
    writeFileSync(join(dir, file(8)), keyNamed('key-8'));
    writeFileSync(join(dir, file(1500)), `${keyNamed('key-1500')}  description: unseen\n`);
    cache.invalidateAll();
    const fourth = await load();
    expect(fourth.state?.resources).toHaveLength(FILES);
    expect(cache.stats.parses).toBe(FILES + 4);

    rmSync(join(dir, file(3)));
    await load();
    expect(cache.size).toBe(FILES - 1);
  });

  it('reuses a result only for the same text, file name and default project', async () => {
    const dir = tempTree({ 'm/a.yaml': edit(keyNamed('a'), '  project: Payments\n', '') });
    const cache = createManifestCache();
    const a = await loadManifests(['m'], { cwd: dir, env: {}, cache, defaultProject: 'Payments' });
    expect(a.state?.resources[0]?.project).toBe('Payments');
    cache.invalidateAll();
    const b = await loadManifests(['m'], { cwd: dir, env: {}, cache, defaultProject: 'Identity' });
    expect(b.state?.resources[0]?.project).toBe('Identity');
    expect(cache.stats.parses).toBe(2);
  });
});
