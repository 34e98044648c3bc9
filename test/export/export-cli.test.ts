// The export command against the emulator over HTTP, then `plan` on the exported folder (SPEC §7:
// no changes right after an export). In process through runCli; the first test spawns the built CLI
// against the documented dialect.
import { beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { EXPORT_INDEX_PATH } from '../../src/export/index-file.js';
import { join } from 'node:path';
import { parse } from 'yaml';
import { runCliHere, runCliProcess, type CliRun } from '../support/cli.js';
import { useEmulator } from '../support/emulator.js';
import { secretNeedles } from '../support/builders.js';
import { SECRETS_GITIGNORE } from '../../src/export/render.js';
import { seedBothKinds, type SeededSecrets } from './seed.js';
import { tempTree } from '../support/tmp.js';

const mode = (path: string) => statSync(path).mode & 0o777;

function expectNoSecrets(...runs: CliRun[]): void {
  const text = runs.map((r) => r.stdout + r.stderr).join('\n');
  for (const needle of secretNeedles()) expect(text).not.toContain(needle);
}

/** Every file below dir, relative, sorted; the export's own index (a dot-file plan never reads) aside. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && d.name !== EXPORT_INDEX_PATH)
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

interface PlanJson {
  summary: { create: number; update: number; delete: number; noop: number };
  actions: { action: string; kind: string; project: string; name: string; unknownFields?: string[] }[];
}

describe.each(['documented', 'status'] as const)('export against the %s dialect', (dialect) => {
  const emulator = useEmulator({ dialect });
  let seeded: SeededSecrets;
  beforeAll(() => {
    seeded = seedBothKinds(emulator().store);
  });
  const connection = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: emulator().token });

  it('writes one manifest per resource and the secret files, and plan on the export reports no changes', async () => {
    // The documented dialect spawns the built CLI: the end-to-end run of export, then of plan.
    const cliRun = dialect === 'documented' ? runCliProcess : runCliHere;
    const cwd = tempTree();
    emulator().resetStats();
    const run = await cliRun(['export', '--project', 'Payments', '--out', 'gitops'], { cwd, env: connection() });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(emulator().stats().total).toBe(3); // the generation probe, then one list call per kind
    expect(run.stdout).toContain('Exported 2 Keys and 1 Keystore of project Payments to gitops/');
    const out = join(cwd, 'gitops');
    expect(tree(out)).toEqual([
      'Payments/keys/hmac.v2.yaml',
      'Payments/keys/payments-signing.yaml',
      'Payments/keystores/partner-mtls.yaml',
      'secrets/.gitignore',
      'secrets/Payments/keys/hmac.v2.production.privateKey',
      'secrets/Payments/keys/payments-signing.production.privateKey',
      'secrets/Payments/keys/payments-signing.production.publicKey',
      'secrets/Payments/keys/payments-signing.staging.privateKey',
      'secrets/Payments/keys/payments-signing.test.publicKey',
      'secrets/Payments/keystores/partner-mtls.production.file',
      'secrets/Payments/keystores/partner-mtls.test.file',
    ]);
    const signing = readFileSync(join(out, 'Payments/keys/payments-signing.yaml'), 'utf8');
    expect(signing.split('\n')[0]).toMatch(/^# yaml-language-server: \$schema=\S+\/schemas\/key\.schema\.json$/);
    expect(parse(signing).spec.environments.map((e: { name: string }) => e.name)).toEqual([
      'production',
      'staging',
      'test',
    ]);
    expect(parse(readFileSync(join(out, 'Payments/keystores/partner-mtls.yaml'), 'utf8')).spec.description).toBe('yes');
    // Secrets: the decoded bytes, owner-only, git-ignored.
    const file = join(out, 'secrets/Payments/keystores/partner-mtls.production.file');
    expect(readFileSync(file).toString('base64')).toBe(seeded.get('APINIZER_PAYMENTS_PARTNER_MTLS_PRODUCTION_FILE'));
    for (const f of tree(out).filter((p) => p.startsWith('secrets/Payments'))) expect(mode(join(out, f))).toBe(0o600);
    for (const d of ['secrets', 'secrets/Payments', 'secrets/Payments/keys', 'secrets/Payments/keystores'])
      expect(mode(join(out, d))).toBe(0o700);
    expect(readFileSync(join(out, 'secrets/.gitignore'), 'utf8')).toBe(SECRETS_GITIGNORE);
    // No key material in the manifests.
    for (const m of tree(out).filter((p) => p.endsWith('.yaml'))) {
      const text = readFileSync(join(out, m), 'utf8');
      for (const needle of secretNeedles()) expect(text).not.toContain(needle);
    }

    const plan = await cliRun(['plan', 'gitops', '--format', 'json', '--detailed-exitcode'], {
      cwd,
      env: connection(),
    });
    expect(plan.stderr).not.toMatch(/error/i);
    expect(plan.code).toBe(0);
    const json = JSON.parse(plan.stdout) as PlanJson;
    expect(json.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 3 });
    expectNoSecrets(run, plan);
  });

  it('with --secrets env lists the variable names (never values) and plan with them set reports no changes', async () => {
    const cwd = tempTree();
    const run = await runCliHere(['export', '--project', 'Payments', '--out', 'gitops', '--secrets', 'env'], {
      cwd,
      env: connection(),
    });
    expect(run.code).toBe(0);
    expect(tree(join(cwd, 'gitops'))).toEqual([
      'Payments/keys/hmac.v2.yaml',
      'Payments/keys/payments-signing.yaml',
      'Payments/keystores/partner-mtls.yaml',
    ]);
    const names = [...run.stderr.matchAll(/^ {2}(APINIZER_[A-Z0-9_]+) /gm)].map((m) => m[1]!);
    expect(names.sort()).toEqual([...seeded.keys()].sort());
    expectNoSecrets(run);

    // The values come from the store, as a user would take them from their secret store.
    const variables = Object.fromEntries(names.map((n) => [n, seeded.get(n)!]));
    const plan = await runCliHere(['plan', 'gitops', '--format', 'json', '--detailed-exitcode'], {
      cwd,
      env: { ...connection(), ...variables },
    });
    expect(plan.code).toBe(0);
    expect((JSON.parse(plan.stdout) as PlanJson).summary).toEqual({ create: 0, update: 0, delete: 0, noop: 3 });
    expectNoSecrets(plan);
  });
});

describe('export', () => {
  const emulator = useEmulator();
  beforeAll(() => {
    seedBothKinds(emulator().store);
  });
  const connection = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: emulator().token });

  it('refuses to overwrite existing files (writing nothing), and replaces them with --force', async () => {
    const cwd = tempTree({ 'gitops/Payments/keys/hmac.v2.yaml': 'hand-written\n' });
    const refused = await runCliHere(['export', '--project', 'Payments', '--out', 'gitops'], {
      cwd,
      env: connection(),
    });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('refusing to overwrite 1 existing file; nothing was written');
    expect(refused.stderr).toContain('gitops/Payments/keys/hmac.v2.yaml');
    expect(refused.stderr).toContain('--force');
    expect(tree(join(cwd, 'gitops'))).toEqual(['Payments/keys/hmac.v2.yaml']);

    const forced = await runCliHere(['export', '--project', 'Payments', '--out', 'gitops', '--force'], {
      cwd,
      env: connection(),
    });
    expect(forced.code).toBe(0);
    expect(readFileSync(join(cwd, 'gitops/Payments/keys/hmac.v2.yaml'), 'utf8')).toContain('name: hmac.v2');
    // Run again with --force over its own output: still fine, secrets still 0600.
    const again = await runCliHere(['export', '--project', 'Payments', '--out', 'gitops', '--force'], {
      cwd,
      env: connection(),
    });
    expect(again.code).toBe(0);
    expect(mode(join(cwd, 'gitops/secrets/Payments/keys/hmac.v2.production.privateKey'))).toBe(0o600);
    expectNoSecrets(refused, forced, again);
  });

  it('exports only the kinds asked for, with one list call', async () => {
    const cwd = tempTree();
    emulator().resetStats();
    const run = await runCliHere(['export', '--project', 'Payments', '--kind', 'keystore', '--out', 'out'], {
      cwd,
      env: connection(),
    });
    expect(run.code).toBe(0);
    expect(emulator().stats().total).toBe(2); // the generation probe and one list
    expect(tree(join(cwd, 'out'))).toEqual([
      'Payments/keystores/partner-mtls.yaml',
      'secrets/.gitignore',
      'secrets/Payments/keystores/partner-mtls.production.file',
      'secrets/Payments/keystores/partner-mtls.test.file',
    ]);
  });

  it('fails on an unknown project with the API client hint, writing nothing', async () => {
    const cwd = tempTree();
    const run = await runCliHere(['export', '--project', 'Nope', '--out', 'out'], { cwd, env: connection() });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('project "Nope" was not found');
    expect(run.stderr).toMatch(/names are case-sensitive|does not exist/);
    expect(existsSync(join(cwd, 'out'))).toBe(false);
  });

  it.each([
    [['--project', 'Payments'], 'give the folder to write into: --out DIR'],
    [['--out', 'x'], 'give the project to export'],
    [['--project', 'Payments', '--out', 'x', '--secrets', 'vault'], '--secrets must be file or env'],
    [['--project', 'Payments', '--out', 'x', '--kind', 'Jwk'], '--kind must be Key, Keystore'],
    [['--project', 'Payments', 'some/path'], 'export takes no PATH arguments'],
  ])('rejects the command line %j', async (args, message) => {
    const cwd = tempTree();
    const { code, stderr } = await runCliHere(['export', ...args], { cwd, env: connection() });
    expect(code).toBe(1);
    expect(stderr).toContain(message);
    expect(existsSync(join(cwd, 'x'))).toBe(false);
  });

  it('says so when the project holds nothing', async () => {
    const cwd = tempTree();
    const run = await runCliHere(['export', '--project', 'Identity', '--kind', 'Keystore', '--out', 'out'], {
      cwd,
      env: connection(),
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toContain('Project Identity has no Keystores; nothing written.');
  });
});

describe('export from a server that masks secrets', () => {
  const emulator = useEmulator({ maskSecrets: true });
  beforeAll(() => {
    seedBothKinds(emulator().store);
  });

  it('references the files it could not fill, writes none of them, says where to put the values, and exits 1', async () => {
    const cwd = tempTree();
    const env = { APINIZER_URL: emulator().url, APINIZER_TOKEN: emulator().token };
    const run = await runCliHere(['export', '--project', 'Payments', '--out', 'gitops'], { cwd, env });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Export incomplete: 7 secret fields could not be exported');
    expect(run.stderr).toContain(
      'error: Key Payments/hmac.v2 environment production privateKey: not exported (the server masks it); put the key material (raw bytes) in secrets/Payments/keys/hmac.v2.production.privateKey before running plan',
    );
    expect(tree(join(cwd, 'gitops'))).toEqual([
      'Payments/keys/hmac.v2.yaml',
      'Payments/keys/payments-signing.yaml',
      'Payments/keystores/partner-mtls.yaml',
      'secrets/.gitignore',
    ]);
    expect(
      parse(readFileSync(join(cwd, 'gitops/Payments/keys/hmac.v2.yaml'), 'utf8')).spec.environments[0].privateKey,
    ).toEqual({
      fromFile: '../../secrets/Payments/keys/hmac.v2.production.privateKey',
    });
    // plan (and validate) fail on the missing values, pointing at each reference, until they are supplied.
    const validate = await runCliHere(['validate', 'gitops'], { cwd });
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/gitops\/Payments\/keys\/hmac\.v2\.yaml:\d+:\d+ .*\[file-not-found\]/);
    expectNoSecrets(run);
  });
});

describe('export of objects a manifest cannot name', () => {
  const emulator = useEmulator();
  beforeAll(() => {
    const store = emulator().store;
    const key = (name: string) => ({
      name,
      keyType: 'SECRET_KEY',
      cryptoKeyInfoEnvironmentList: [{ environmentName: 'production', publicKey: 'QUJDRA==' }],
    });
    store.put('Payments', 'Key', key('fine'));
    store.put('Payments', 'Key', key('my key'));
    store.put('Payments', 'Key', key('ключ'));
  });

  it('says so per object, writes nothing for them, does not promise "no changes", and exits 1', async () => {
    const cwd = tempTree();
    const env = { APINIZER_URL: emulator().url, APINIZER_TOKEN: emulator().token };
    const run = await runCliHere(['export', '--project', 'Payments', '--kind', 'Key', '--out', 'gitops'], { cwd, env });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toContain(
      'error: Key "Payments"/"my key": cannot be expressed as a manifest: its name is not 1-128 characters',
    );
    expect(run.stderr).toContain('error: Key "Payments"/"ключ": cannot be expressed as a manifest');
    expect(run.stdout).toContain('Export incomplete: 2 objects cannot be expressed as manifests (see stderr)');
    expect(run.stdout).not.toContain('should report no changes');
    expect(tree(join(cwd, 'gitops'))).toEqual([
      'Payments/keys/fine.yaml',
      'secrets/.gitignore',
      'secrets/Payments/keys/fine.production.publicKey',
    ]);
  });
});
