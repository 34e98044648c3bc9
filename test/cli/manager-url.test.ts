// A server URL with a wrong path (SPEC §3, issue 23): every route answers 404 "no such endpoint",
// which must be reported as "this URL does not look like an Apinizer Manager", naming what to
// check, not as a missing project. In process against the emulator over real HTTP.
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cli, manifestFiles } from './apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

describe('a Manager URL with a wrong path', () => {
  it.each(['plan', 'apply'])('%s says the URL does not look like a Manager, writing nothing', async (command) => {
    const dir = tempTree(manifestFiles());
    const run = await cli(emulator(), dir, [command, 'manifests'], {
      env: { APINIZER_URL: `${emulator().url}/not-the-manager` },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('this URL does not look like an Apinizer Manager');
    expect(run.stderr).toContain('APINIZER_URL');
    expect(run.stderr).not.toMatch(/project "?Payments"? does not exist/);
    expect(emulator().stats().writes).toBe(0);
  });

  it('export says so too, writing nothing', async () => {
    const dir = tempTree();
    const run = await cli(emulator(), dir, ['export', '--project', 'Payments', '--out', 'gitops'], {
      env: { APINIZER_URL: `${emulator().url}/not-the-manager` },
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('this URL does not look like an Apinizer Manager');
    expect(run.stderr).toContain('Nothing was written.');
  });

  it('still reports a project the right Manager does not have as a missing project', async () => {
    const dir = tempTree(manifestFiles({ project: 'NoSuchProject' }));
    const run = await cli(emulator(), dir, ['plan', 'manifests']);
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain('project "NoSuchProject" does not exist on the server');
    expect(run.stdout + run.stderr).not.toContain('does not look like an Apinizer Manager');
  });
});
