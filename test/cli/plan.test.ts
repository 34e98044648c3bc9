// `plan` against the emulator over real HTTP (SPEC §3, §4): exit codes, formats, the request budget
// of a no-op plan, preflight errors before any write, and no leaks. In process through runCli; the
// first test spawns the built CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cli, cliProcess, expectNoLeak, manifestFiles, validJson } from './apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({
    failRate: 0,
    latencyMs: 0,
    hideFromList: [],
    failDeploymentTo: [],
    dialect: 'documented',
    maskSecrets: false,
  });
  emulator().resetStats();
});

/** Manifests in two projects, so per-project budgets are visible. */
function twoProjects(): string {
  const identity = Object.fromEntries(
    Object.entries(manifestFiles({ project: 'Identity', prefix: 'id-', keys: 2, keystores: 1 })).map(
      ([path, content]) => [
        path
          .replace('manifests/keys.yaml', 'manifests/identity-keys.yaml')
          .replace('manifests/keystores.yaml', 'manifests/identity-keystores.yaml'),
        content,
      ],
    ),
  );
  return tempTree({ ...manifestFiles(), ...identity });
}

describe('plan', () => {
  it('exits 2 with --detailed-exitcode while there are changes, 0 once applied, and lists what it will do', async () => {
    // The end-to-end run of plan: the built CLI in a child process, its real exit codes.
    const dir = twoProjects();
    const before = await cliProcess(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode']);
    expect(before.code, before.stderr).toBe(2);
    expect(before.stdout).toContain('Project Payments, Key:');
    expect(before.stdout).toContain('+ key-000  (manifests/keys.yaml:1)');
    expect(before.stdout).toContain('Plan: 8 to create, 0 to update, 0 to delete, 0 unchanged.');
    expect(emulator().stats().writes).toBe(0);

    const plain = await cliProcess(emulator(), dir, ['plan', 'manifests']);
    expect(plain.code).toBe(0);

    const applied = await cliProcess(emulator(), dir, ['apply', 'manifests']);
    expect(applied.code, applied.stderr).toBe(0);
    const after = await cliProcess(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode']);
    expect(after.code, after.stderr).toBe(0);
    expect(after.stdout).toContain('No changes.');
    expectNoLeak(
      before.stdout,
      before.stderr,
      plain.stdout,
      applied.stdout,
      applied.stderr,
      after.stdout,
      after.stderr,
    );
  });

  it('makes exactly one list call per (project, kind) and one environments call per project, and no write, when nothing changed', async () => {
    const dir = twoProjects();
    expect((await cli(emulator(), dir, ['apply', 'manifests'])).code).toBe(0);
    emulator().resetStats();
    const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const stats = emulator().stats();
    expect(stats.byRoute).toEqual({
      // On a legacy server the generation probe answers 404, then the legacy environments path.
      'GET /apiops/projects/{project}/environments/': 2,
      'GET /apiops/environments/{project}': 2,
      'GET /apiops/projects/{project}/keys/': 2,
      'GET /apiops/projects/{project}/keystores/': 2,
    });
    expect(stats.writes).toBe(0);
    const doc = validJson('plan', run.stdout);
    expect(doc.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 8 });
    expect((doc.actions as unknown[]).length).toBe(8);
  });

  it('writes json to --out and shows the text plan on stdout; markdown starts with the marker', async () => {
    const dir = tempTree(manifestFiles());
    const json = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json', '--out', 'plan.json']);
    expect(json.code, json.stderr).toBe(0);
    const saved = readFileSync(join(dir, 'plan.json'), 'utf8');
    const doc = validJson('plan', saved);
    expect(doc.summary).toEqual({ create: 5, update: 0, delete: 0, noop: 0 });
    expect(json.stdout).toContain('Plan: 5 to create, 0 to update, 0 to delete, 0 unchanged.');

    const md = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'markdown']);
    expect(md.code).toBe(0);
    expect(md.stdout.split('\n')[0]).toBe('<!-- apinizer-gitops plan -->');
    expectNoLeak(saved, json.stdout, json.stderr, md.stdout, md.stderr);
  });

  it('refuses an unknown environment with the manifest file:line, before any write', async () => {
    const dir = tempTree(manifestFiles({ environment: 'nowhere', keystores: 0 }));
    const run = await cli(emulator(), dir, ['plan', 'manifests']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(
      /^manifests\/keys\.yaml:10:7 Key Payments\/key-000: spec\.environments\[0\]\.name: environment "nowhere" does not exist in project Payments/m,
    );
    expect(run.stdout).toContain('nothing was written');
    // The lists went out in the same round as the environments; nothing was planned from them.
    expect(emulator().stats().byRoute).toEqual({
      'GET /apiops/projects/{project}/environments/': 1,
      'GET /apiops/environments/{project}': 1,
      'GET /apiops/projects/{project}/keys/': 1,
    });
    expect(emulator().stats().writes).toBe(0);
  });

  it('refuses an unknown project with the manifest file:line', async () => {
    const dir = tempTree(manifestFiles({ project: 'NoSuchProject', keystores: 0, keys: 1 }));
    const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json']);
    expect(run.code).toBe(1);
    const doc = validJson('plan', run.stdout);
    expect(doc.errors).toEqual([
      expect.objectContaining({ code: 'unknown-project', file: 'manifests/keys.yaml', line: 5, column: 3 }),
    ]);
    // At metadata.project, the field that names the project, not the document's first line.
    expect(run.stderr).toContain('manifests/keys.yaml:5:3');
  });

  it('makes no API call at all when a manifest is invalid, in every format', async () => {
    const dir = tempTree({
      ...manifestFiles(),
      'manifests/bad.yaml':
        'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: bad\nspec:\n  keyType: RSA\n  environments: []\n',
    });
    for (const format of ['text', 'json', 'markdown']) {
      const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', format]);
      expect(run.code, `${format}: ${run.stderr}`).toBe(1);
      const where = format === 'text' ? run.stdout : run.stderr;
      expect(where).toMatch(/manifests\/bad\.yaml:\d+:\d+/);
      expect(where).toContain('no API call was made');
      if (format === 'json') expect((validJson('plan', run.stdout).errors as unknown[]).length).toBeGreaterThan(0);
      if (format === 'markdown') expect(run.stdout).toContain('bad.yaml');
    }
    expect(emulator().stats().total).toBe(0);
  });

  it('in GitHub Actions appends the markdown to the step summary and prints ::error annotations (stdout with text, stderr with json)', async () => {
    const dir = tempTree({
      ...manifestFiles(),
      'manifests/bad.yaml': 'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: bad\n',
    });
    const summary = join(dir, 'summary.md');
    writeFileSync(summary, '# earlier step\n');
    const env = { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: summary };
    const text = await cli(emulator(), dir, ['plan', 'manifests'], { env });
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/^::error file=manifests\/bad\.yaml,line=\d+,col=\d+::/m);
    const json = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json'], { env });
    expect(json.stderr).toMatch(/^::error file=manifests\/bad\.yaml,line=\d+,col=\d+::/m);
    expect(json.stdout).not.toContain('::error');
    validJson('plan', json.stdout);
    const appended = readFileSync(summary, 'utf8');
    expect(appended.startsWith('# earlier step\n')).toBe(true);
    expect(appended.split('<!-- apinizer-gitops plan -->').length).toBe(3);

    const good = tempTree(manifestFiles());
    const goodSummary = join(good, 'summary.md');
    const ok = await cli(emulator(), good, ['plan', 'manifests'], {
      env: { GITHUB_ACTIONS: 'true', GITHUB_STEP_SUMMARY: goodSummary },
    });
    expect(ok.code).toBe(0);
    expect(readFileSync(goodSummary, 'utf8')).toContain('5 to create');
    expectNoLeak(
      text.stdout,
      text.stderr,
      json.stdout,
      json.stderr,
      appended,
      ok.stdout,
      ok.stderr,
      readFileSync(goodSummary, 'utf8'),
    );
  });

  it('explains an API failure without printing the token, and exits 1', async () => {
    const dir = tempTree(manifestFiles());
    const run = await cli(emulator(), dir, ['plan', 'manifests'], { env: { APINIZER_TOKEN: `${TOKEN}-wrong` } });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /apinizer-gitops plan: cannot read the environments of project Payments from http:\/\/127\.0\.0\.1:\d+: .*\(HTTP 401\)/,
    );
    expect(run.stdout).toBe('');
    expectNoLeak(run.stdout, run.stderr);
    expect(emulator().stats().writes).toBe(0);
  });

  it('with --format json still prints one plan document when the server cannot be read: the error in errors, no actions', async () => {
    const dir = tempTree(manifestFiles());
    const env = { APINIZER_TOKEN: `${TOKEN}-wrong` };
    const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json'], { env });
    expect(run.code).toBe(1);
    const plan = validJson('plan', run.stdout) as { actions: unknown[]; errors: { code: string; message: string }[] };
    expect(plan.actions).toEqual([]);
    expect(plan.errors).toHaveLength(1);
    expect(plan.errors[0]).toMatchObject({ code: 'api-error', severity: 'error', file: '', line: 0 });
    expect(plan.errors[0]!.message).toMatch(/cannot read the environments of project Payments .*\(HTTP 401\)/);
    expect(run.stderr).toContain('apinizer-gitops plan: cannot read the environments');
    // --out and --json-out get the same document; the text plan on stdout stays as it was.
    const files = await cli(emulator(), dir, ['plan', 'manifests', '--json-out', 'plan.json'], { env });
    expect(files.code).toBe(1);
    expect(files.stdout).toBe('');
    expect(validJson('plan', readFileSync(join(dir, 'plan.json'), 'utf8')).errors).toHaveLength(1);
    expectNoLeak(run.stdout, run.stderr, files.stdout, files.stderr);
  });

  it('rejects a bad --format before doing anything', async () => {
    const dir = tempTree(manifestFiles());
    const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--format must be text, json or markdown');
    expect(emulator().stats().total).toBe(0);
  });
});
