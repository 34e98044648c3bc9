// Refreshing an earlier export (SPEC §7, issue 23): `export --force` into the folder of an earlier
// export removes the manifests and secret files it wrote for objects the server no longer has,
// leaves every file it did not write alone, names each file from its own identity (the same file
// across exports, also for names that differ only in case), and `plan` on the folder then shows no
// changes. In process against the emulator over real HTTP.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { EXPORT_INDEX_PATH } from '../../src/export/index-file.js';
import { useEmulator } from '../support/emulator.js';
import { runCliHere } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import { aSecret } from '../support/builders.js';

const emulator = useEmulator();
const env = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: emulator().token });

function key(name: string): Record<string, unknown> {
  return {
    name,
    description: `key ${name}`,
    keyType: 'RSA',
    cryptoKeyInfoEnvironmentList: [
      { environmentName: 'production', privateKey: aSecret(`REFRESH-PRIV-${name}`).reveal() },
      { environmentName: 'test', publicKey: aSecret(`REFRESH-PUB-${name}`).reveal() },
    ],
  };
}

beforeEach(() => {
  const store = emulator().store;
  store.clear();
  // `signing` and `Signing` differ only in case; `old-1` and `old-2` will be deleted on the server.
  for (const name of ['signing', 'Signing', 'old-1', 'old-2', 'hmac.v2']) store.put('Payments', 'Key', key(name));
  store.put('Payments', 'Keystore', {
    name: 'partner-mtls',
    description: 'mTLS',
    keyStoreEnvironmentList: [{ environmentName: 'production', type: 'PKCS12', file: aSecret('REFRESH-P12').reveal() }],
  });
  store.put('Identity', 'Key', key('id-token'));
});

/** Every file below dir, relative, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

const exportTo = (cwd: string, out: string, ...extra: string[]) =>
  runCliHere(['export', '--project', 'Payments', '--out', out, ...extra], { cwd, env: env() });

describe('export --force into an earlier export', () => {
  it('removes the files of deleted objects, keeps every file it did not write, and plan then shows no changes', async () => {
    const cwd = tempTree();
    const first = await exportTo(cwd, 'gitops');
    expect(first.code, first.stderr).toBe(0);
    const out = join(cwd, 'gitops');
    const before = files(out);
    // Someone's own files in the folder, and another project's export beside this one.
    writeFileSync(join(out, 'README.md'), 'our gateway\n');
    writeFileSync(join(out, 'Payments/keys/NOTES.txt'), 'rotation notes\n');
    const identity = await runCliHere(['export', '--project', 'Identity', '--out', 'gitops'], { cwd, env: env() });
    expect(identity.code, identity.stderr).toBe(0);

    emulator().store.delete('Payments', 'Key', 'old-1');
    emulator().store.delete('Payments', 'Key', 'old-2');
    emulator().store.delete('Payments', 'Key', 'Signing');
    const refreshed = await exportTo(cwd, 'gitops', '--force');
    expect(refreshed.code, refreshed.stderr).toBe(0);
    expect(refreshed.stdout).toContain('9 files of objects no longer on the server removed');
    expect(refreshed.stderr).toContain(
      'removed gitops/Payments/keys/old-1.yaml: its object is no longer on the server',
    );

    const after = files(out);
    const gone = before.filter((f) => !after.includes(f));
    expect(gone.sort()).toEqual(
      [
        'Payments/keys/old-1.yaml',
        'Payments/keys/old-2.yaml',
        'secrets/Payments/keys/old-1.production.privateKey',
        'secrets/Payments/keys/old-1.test.publicKey',
        'secrets/Payments/keys/old-2.production.privateKey',
        'secrets/Payments/keys/old-2.test.publicKey',
      ]
        .concat(before.filter((f) => f.includes('Signing~')))
        .sort(),
    );
    // The lower-case key kept its file, under the same name as before its twin was deleted.
    expect(after).toContain('Payments/keys/signing.yaml');
    expect(after).toContain('README.md');
    expect(after).toContain('Payments/keys/NOTES.txt');
    expect(after).toContain('Identity/keys/id-token.yaml');

    const plan = await runCliHere(['plan', 'gitops', '--detailed-exitcode'], { cwd, env: env() });
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');
  });

  it('names a file from its own identity: a name that differs only in case gets a suffix of its own', async () => {
    const cwd = tempTree();
    expect((await exportTo(cwd, 'a')).code).toBe(0);
    emulator().store.delete('Payments', 'Key', 'signing');
    expect((await exportTo(cwd, 'b')).code).toBe(0);
    const a = files(join(cwd, 'a')).filter((f) => f.includes('Signing'));
    const b = files(join(cwd, 'b')).filter((f) => f.includes('Signing'));
    expect(a.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    // Case-insensitively still one file per path (macOS, Windows).
    const lower = files(join(cwd, 'a')).map((f) => f.toLowerCase());
    expect(new Set(lower).size).toBe(lower.length);
  });

  it('without --force removes nothing and says which files belong to objects the server no longer has', async () => {
    const cwd = tempTree();
    expect((await exportTo(cwd, 'gitops')).code).toBe(0);
    emulator().store.clear();
    emulator().store.put('Payments', 'Key', key('brand-new'));
    const run = await exportTo(cwd, 'gitops');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /note: \d+ files written by an earlier export belong to objects the server no longer has/,
    );
    expect(existsSync(join(cwd, 'gitops/Payments/keys/old-1.yaml'))).toBe(true);
    const forced = await exportTo(cwd, 'gitops', '--force');
    expect(forced.code, forced.stderr).toBe(0);
    expect(files(join(cwd, 'gitops')).filter((f) => f.endsWith('.yaml'))).toEqual(['Payments/keys/brand-new.yaml']);
  });

  it('a project emptied on the server: --force removes its earlier files', async () => {
    const cwd = tempTree();
    expect((await exportTo(cwd, 'gitops')).code).toBe(0);
    emulator().store.clear();
    const run = await exportTo(cwd, 'gitops', '--force');
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Project Payments has no Keys or Keystores; 17 files of earlier exports removed.');
    expect(files(join(cwd, 'gitops'))).toEqual([EXPORT_INDEX_PATH, 'secrets/.gitignore']);
  });

  it('never removes a file the index names that is now a link, and leaves a damaged index alone', async () => {
    const cwd = tempTree({ 'elsewhere.txt': 'keep me\n' });
    expect((await exportTo(cwd, 'gitops')).code).toBe(0);
    const old = join(cwd, 'gitops/Payments/keys/old-1.yaml');
    // Replaced by a link since: not the file export wrote.
    rmSync(old);
    symlinkSync(join(cwd, 'elsewhere.txt'), old);
    emulator().store.delete('Payments', 'Key', 'old-1');
    const run = await exportTo(cwd, 'gitops', '--force');
    expect(run.code, run.stderr).toBe(0);
    expect(readFileSync(join(cwd, 'elsewhere.txt'), 'utf8')).toBe('keep me\n');

    writeFileSync(join(cwd, 'gitops', EXPORT_INDEX_PATH), '{ broken');
    emulator().store.delete('Payments', 'Key', 'old-2');
    const damaged = await exportTo(cwd, 'gitops', '--force');
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(damaged.stderr).toContain('the export index cannot be read');
    expect(existsSync(join(cwd, 'gitops/Payments/keys/old-2.yaml'))).toBe(true);
  });

  it('follows --out when it is a symbolic link to a folder', async () => {
    const cwd = tempTree();
    mkdirSync(join(cwd, 'real'));
    symlinkSync(join(cwd, 'real'), join(cwd, 'link'));
    const run = await exportTo(cwd, 'link');
    expect(run.code, run.stderr).toBe(0);
    expect(existsSync(join(cwd, 'real/Payments/keys/signing.yaml'))).toBe(true);
    symlinkSync(join(cwd, 'nowhere'), join(cwd, 'dangling'));
    const dangling = await exportTo(cwd, 'dangling');
    expect(dangling.code).toBe(1);
    expect(dangling.stderr).toContain('is a symbolic link to nothing (dangling)');
  });
});
