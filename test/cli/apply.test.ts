// `apply` against the emulator over real HTTP (SPEC §5): convergence from every starting point,
// prune and its guard, the already-exist switch, both dialects, deployment failures, the saved-plan
// check, dry runs, JSON reports against the schema, and no leaks. In process through runCli; one
// case spawns the built CLI.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cli, cliProcess, expectNoLeak, manifestFiles, namesOn, rawKey, validJson } from './apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().reset();
});

const KEYS = ['key-000', 'key-001', 'key-002'];
const STORES = ['store-000', 'store-001'];

type Report = {
  summary: Record<string, number>;
  results: {
    name: string;
    action: string;
    outcome: string;
    switchedTo: string | null;
    error: { message: string } | null;
  }[];
  interrupted: boolean;
};

describe('apply', () => {
  it.each(['documented', 'status'] as const)(
    'converges from an empty server (%s dialect), then plans no changes',
    async (dialect) => {
      emulator().configure({ dialect });
      const dir = tempTree(manifestFiles());
      // The documented dialect runs the built CLI in a child process (the end-to-end run of apply:
      // the launcher, the real exit code); the other tests run it in process through runCli.
      const run = await (dialect === 'documented' ? cliProcess : cli)(emulator(), dir, [
        'apply',
        'manifests',
        '--format',
        'json',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const report = validJson('report', run.stdout) as unknown as Report;
      expect(report.summary).toMatchObject({ created: 5, updated: 0, deleted: 0, unchanged: 0, failed: 0 });
      expect(namesOn(emulator(), 'Key')).toEqual(KEYS);
      expect(namesOn(emulator(), 'Keystore')).toEqual(STORES);
      // One log line per resource written, on stderr, as JSON (stderr is not a terminal here).
      const lines = run.stderr.split('\n').filter((l) => l.includes('"outcome"'));
      expect(lines).toHaveLength(5);
      expect(JSON.parse(lines[0] ?? '{}')).toMatchObject({
        action: 'create',
        kind: 'Key',
        project: 'Payments',
        outcome: 'ok',
        switchedTo: null,
      });

      const again = await (dialect === 'documented' ? cliProcess : cli)(emulator(), dir, [
        'plan',
        'manifests',
        '--detailed-exitcode',
      ]);
      expect(again.code, again.stdout).toBe(0);
      expectNoLeak(run.stdout, run.stderr, again.stdout, again.stderr);
    },
  );

  it('converges from a partially matching server: creates what is missing, updates what drifted, leaves the rest', async () => {
    const dir = tempTree(manifestFiles());
    expect((await cli(emulator(), dir, ['apply', 'manifests'])).code).toBe(0);
    emulator().store.delete('Payments', 'Key', 'key-000');
    emulator().store.delete('Payments', 'Keystore', 'store-001');
    emulator().store.put('Payments', 'Key', rawKey('key-001', 'changed by hand'));
    emulator().resetStats();

    const run = await cli(emulator(), dir, ['apply', 'manifests']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('~ key-001');
    expect(run.stdout).toContain('"changed by hand" -> "managed by apply tests"');
    expect(run.stdout).toContain('+ Key Payments/key-000: created');
    expect(run.stdout).toContain('~ Key Payments/key-001: updated');
    expect(run.stdout).toContain('Apply: 2 created, 1 updated, 0 deleted, 2 unchanged, 0 failed.');
    expect(emulator().stats().writes).toBe(3);
    expect((await cli(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode'])).code).toBe(0);
    expectNoLeak(run.stdout, run.stderr);
  });

  it('leaves extra server objects alone without --prune, deletes them with it, and refuses beyond --max-deletes before any write', async () => {
    const dir = tempTree(manifestFiles());
    for (const name of ['stray-1', 'stray-2', 'stray-3']) emulator().store.put('Payments', 'Key', rawKey(name));

    const keep = await cli(emulator(), dir, ['apply', 'manifests']);
    expect(keep.code, keep.stderr).toBe(0);
    expect(namesOn(emulator(), 'Key')).toEqual([...KEYS, 'stray-1', 'stray-2', 'stray-3']);

    emulator().resetStats();
    const refused = await cli(emulator(), dir, [
      'apply',
      'manifests',
      '--prune',
      '--max-deletes',
      '2',
      '--format',
      'json',
    ]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('the plan deletes 3 resources, more than --max-deletes 2; nothing was written');
    const dry = await cli(emulator(), dir, ['apply', 'manifests', '--prune', '--max-deletes', '2', '--dry-run']);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Plan: 0 to create, 0 to update, 3 to delete, 5 unchanged.');
    expect(dry.stderr).toContain('apply would refuse this plan');
    expect(refused.stderr).toContain('--max-deletes 3');
    const report = validJson('report', refused.stdout) as unknown as Report;
    expect(report.summary).toMatchObject({ skipped: 3, deleted: 0, unchanged: 5 });
    expect(emulator().stats().writes).toBe(0);

    const pruned = await cli(emulator(), dir, ['apply', 'manifests', '--prune']);
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stdout).toContain('- Key Payments/stray-1: deleted');
    expect(pruned.stdout).toContain('Apply: 0 created, 0 updated, 3 deleted, 5 unchanged, 0 failed.');
    expect(namesOn(emulator(), 'Key')).toEqual(KEYS);
  });

  it('with --prune never touches a kind that has no manifests in the project', async () => {
    const dir = tempTree(manifestFiles({ keystores: 0 }));
    emulator().store.put('Payments', 'Keystore', { name: 'hand-made', description: '', keyStoreEnvironmentList: [] });
    const run = await cli(emulator(), dir, ['apply', 'manifests', '--prune']);
    expect(run.code, run.stderr).toBe(0);
    expect(namesOn(emulator(), 'Keystore')).toEqual(['hand-made']);
    expect(run.stdout).toContain('--allow-empty-prune');
  });

  it('switches a create to an update when the list missed an object that exists ("already exist")', async () => {
    emulator().store.put('Payments', 'Key', rawKey('key-001', 'stale'));
    emulator().configure({ hideFromList: ['key-001'] });
    const dir = tempTree(manifestFiles({ keystores: 0 }));
    const run = await cli(emulator(), dir, ['apply', 'manifests', '--format', 'json']);
    expect(run.code, run.stderr).toBe(0);
    const report = validJson('report', run.stdout) as unknown as Report;
    expect(report.results.find((r) => r.name === 'key-001')).toMatchObject({
      action: 'create',
      outcome: 'ok',
      switchedTo: 'update',
    });
    expect(report.summary).toMatchObject({ created: 2, updated: 1 });
    expect(emulator().store.get('Payments', 'Key', 'key-001')?.description).toBe('managed by apply tests');
    expect(emulator().store.list('Payments', 'Key')).toHaveLength(3);
  });

  it('reports a failed deployment as not-deployed and exits 1; --redeploy retries it', async () => {
    emulator().configure({ failDeploymentTo: ['production'] });
    const dir = tempTree(manifestFiles({ keys: 1, keystores: 0 }));
    const run = await cli(emulator(), dir, ['apply', 'manifests']);
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/! Key Payments\/key-000: applied, not deployed to production: .+/);
    // Saved all the same, so a plan sees nothing to do: only --redeploy retries the deployment.
    expect(namesOn(emulator(), 'Key')).toEqual(['key-000']);
    emulator().configure({ failDeploymentTo: [] });
    expect((await cli(emulator(), dir, ['plan', 'manifests', '--detailed-exitcode'])).code).toBe(0);
    emulator().resetStats();
    const redeploy = await cli(emulator(), dir, ['apply', 'manifests', '--redeploy', '--format', 'json']);
    expect(redeploy.code, redeploy.stderr).toBe(0);
    expect((validJson('report', redeploy.stdout) as unknown as Report).summary).toMatchObject({
      updated: 1,
      unchanged: 0,
    });
    expect(emulator().stats().writes).toBe(1);
  });

  it('applies a saved plan that still holds, and refuses one the server has drifted from, writing nothing', async () => {
    const dir = tempTree(manifestFiles());
    const saved = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json', '--out', 'plan.json']);
    expect(saved.code, saved.stderr).toBe(0);
    expectNoLeak(readFileSync(join(dir, 'plan.json'), 'utf8'));

    // Someone creates one of the planned objects by hand after the plan was reviewed.
    emulator().store.put('Payments', 'Key', rawKey('key-002', 'made by hand'));
    emulator().resetStats();
    const refused = await cli(emulator(), dir, ['apply', 'manifests', '--plan', 'plan.json', '--format', 'json']);
    expect(refused.code).toBe(1);
    const report = validJson('report', refused.stdout) as unknown as Report;
    expect(report.summary).toMatchObject({ skipped: 5, created: 0, updated: 0 });
    expect(refused.stderr).toContain('differs from the saved plan plan.json, so nothing was written');
    expect(refused.stderr).toContain('Key Payments/key-002: the saved plan says create, the plan now says update');
    expect(emulator().stats().writes).toBe(0);

    const fresh = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'json', '--out', 'plan.json']);
    expect(fresh.code).toBe(0);
    const ok = await cli(emulator(), dir, ['apply', 'manifests', '--plan', 'plan.json']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(emulator().stats().writes).toBe(5);

    writeFileSync(join(dir, 'broken.json'), '{ not json');
    const broken = await cli(emulator(), dir, ['apply', 'manifests', '--plan', 'broken.json']);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('--plan broken.json: not a JSON document');
  });

  it('--dry-run prints the plan and writes nothing', async () => {
    const dir = tempTree(manifestFiles());
    const run = await cli(emulator(), dir, ['apply', 'manifests', '--dry-run']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Plan: 5 to create, 0 to update, 0 to delete, 0 unchanged.');
    const json = await cli(emulator(), dir, ['apply', 'manifests', '--dry-run', '--format', 'json']);
    expect(validJson('plan', json.stdout).summary).toMatchObject({ create: 5 });
    expect(emulator().stats().writes).toBe(0);
  });

  it('writes the report to --out, and writes nothing to the API when a manifest is invalid', async () => {
    const dir = tempTree(manifestFiles());
    const run = await cli(emulator(), dir, ['apply', 'manifests', '--format', 'json', '--out', 'report.json']);
    expect(run.code, run.stderr).toBe(0);
    // The file gets the JSON; stdout shows people the plan and the report as text.
    expect(run.stdout).toContain('Plan: 5 to create');
    expect(run.stdout).toContain('Apply: 5 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.');
    validJson('report', readFileSync(join(dir, 'report.json'), 'utf8'));

    const bad = tempTree({ ...manifestFiles(), 'manifests/z.yaml': 'kind: Key\n' });
    emulator().store.clear();
    emulator().resetStats();
    const refused = await cli(emulator(), bad, ['apply', 'manifests']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/manifests\/z\.yaml:1:1 /);
    expect(refused.stderr).toContain('no API call was made');
    expect(emulator().stats().total).toBe(0);
    expectNoLeak(
      run.stdout,
      run.stderr,
      readFileSync(join(dir, 'report.json'), 'utf8'),
      refused.stdout,
      refused.stderr,
    );
  });

  it('refuses an unknown environment with file:line and writes nothing', async () => {
    const dir = tempTree(manifestFiles({ environment: 'staging-eu' }));
    const run = await cli(emulator(), dir, ['apply', 'manifests']);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(
      /manifests\/keys\.yaml:10:7 Key Payments\/key-000: spec\.environments\[0\]\.name: environment "staging-eu" does not exist/,
    );
    expect(emulator().stats().writes).toBe(0);
  });

  it('with --format json prints one report even when it stops before any write (invalid manifest, unknown environment, refused token)', async () => {
    const invalid = tempTree({ ...manifestFiles(), 'manifests/z.yaml': 'kind: Key\n' });
    const unknownEnv = tempTree(manifestFiles({ environment: 'staging-eu' }));
    const runs = [
      await cli(emulator(), invalid, ['apply', 'manifests', '--format', 'json']),
      await cli(emulator(), unknownEnv, ['apply', 'manifests', '--format', 'json']),
      await cli(emulator(), tempTree(manifestFiles()), ['apply', 'manifests', '--format', 'json'], {
        env: { APINIZER_TOKEN: 'not-the-token' },
      }),
    ];
    for (const run of runs) {
      expect(run.code, run.stderr).toBe(1);
      const report = validJson('report', run.stdout) as Report;
      expect(report.summary).toMatchObject({ created: 0, updated: 0, deleted: 0, failed: 0 });
      expect(report.results.every((r) => r.outcome !== 'ok' || r.action === 'noop')).toBe(true);
      expectNoLeak(run.stdout, run.stderr);
    }
    expect(runs[0]!.stderr).toMatch(/manifests\/z\.yaml:1:1 /);
    expect(runs[1]!.stderr).toContain('environment "staging-eu" does not exist');
    // --out gets the report too, and stdout stays empty of JSON in text format.
    const text = await cli(emulator(), invalid, ['apply', 'manifests']);
    expect(text.stdout).toBe('');
    const toFile = await cli(emulator(), invalid, ['apply', 'manifests', '--format', 'json', '--out', 'report.json']);
    expect(toFile.code).toBe(1);
    validJson('report', readFileSync(join(invalid, 'report.json'), 'utf8'));
    // --dry-run prints a plan, not a report: one plan document with the errors, in every case.
    const dry = await cli(emulator(), invalid, ['apply', 'manifests', '--dry-run', '--format', 'json']);
    expect(dry.code).toBe(1);
    expect((validJson('plan', dry.stdout).errors as { file: string }[])[0]?.file).toMatch(/manifests\/z\.yaml$/);
    const dryRefused = await cli(
      emulator(),
      tempTree(manifestFiles()),
      ['apply', 'manifests', '--dry-run', '--format', 'json'],
      {
        env: { APINIZER_TOKEN: 'not-the-token' },
      },
    );
    expect(dryRefused.code).toBe(1);
    expect((validJson('plan', dryRefused.stdout).errors as { code: string }[])[0]?.code).toBe('api-error');
    expect(emulator().stats().writes).toBe(0);
  });
});
