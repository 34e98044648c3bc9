// `plan --json-out FILE`: one plan (one read of the server) written as two documents, the --format
// rendering and the JSON that apply --plan takes. In-process through runCli against the emulator.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cliEnv, expectNoLeak, manifestFiles, validJson } from './apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

interface PlanJson {
  createdAt: string;
  summary: unknown;
  errors: { file: string }[];
}

/** `apinizer-gitops CMD manifests ARGS...` in `dir` against the emulator. */
function cli(dir: string, command: string, args: string[]) {
  return runCliInProcess([command, 'manifests', ...args], { cwd: dir, env: cliEnv(emulator()) });
}

function plan(dir: string, args: string[]) {
  return cli(dir, 'plan', args);
}

describe('plan --json-out', () => {
  it('writes the markdown and the JSON of the same plan, reading the server once', async () => {
    const dir = tempTree(manifestFiles({ keys: 2, keystores: 1 }));
    const run = await plan(dir, ['--format', 'markdown', '--out', 'plan.md', '--json-out', 'plan.json']);
    expect(run.code, run.stderr).toBe(0);
    expect(emulator().stats().byRoute).toMatchObject({
      'GET /apiops/projects/{project}/keys/': 1,
      'GET /apiops/projects/{project}/keystores/': 1,
    });
    const markdown = readFileSync(join(dir, 'plan.md'), 'utf8');
    const json = validJson('plan', readFileSync(join(dir, 'plan.json'), 'utf8')) as unknown as PlanJson;
    expect(json.summary).toEqual({ create: 3, update: 0, delete: 0, noop: 0 });
    expect(markdown).toContain('3 to create');
    // The same plan, not two made a moment apart: the markdown footer carries the JSON's timestamp.
    expect(markdown).toContain(`at ${json.createdAt}`);
    expect(run.stdout).toContain('Plan: 3 to create'); // with --out, stdout shows the text plan
    expectNoLeak(markdown, JSON.stringify(json), run.stdout, run.stderr);
  });

  it("is apply --plan's input: applying it succeeds", async () => {
    const dir = tempTree(manifestFiles({ keys: 1, keystores: 0 }));
    expect((await plan(dir, ['--json-out', 'saved.json'])).code).toBe(0);
    const apply = await cli(dir, 'apply', ['--plan', 'saved.json']);
    expect(apply.code, apply.stderr).toBe(0);
    expect(emulator().store.list('Payments', 'Key')).toHaveLength(1);
  });

  it('writes the JSON with the errors when a manifest is invalid, and exits 1 without an API call', async () => {
    const bad = 'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata: {name: x, project: P}\nspec: {}\n';
    const dir = tempTree({ 'manifests/bad.yaml': bad });
    const run = await plan(dir, ['--format', 'markdown', '--out', 'plan.md', '--json-out', 'plan.json']);
    expect(run.code).toBe(1);
    const json = validJson('plan', readFileSync(join(dir, 'plan.json'), 'utf8')) as unknown as PlanJson;
    expect(json.errors.map((d) => d.file)).toContain('manifests/bad.yaml');
    expect(emulator().stats().byRoute).toEqual({});
  });

  it('says which flag could not be written, and refuses one file for both', async () => {
    const dir = tempTree(manifestFiles({ keys: 1, keystores: 0 }));
    const missing = await plan(dir, ['--json-out', 'no/such/dir/plan.json']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot write --json-out no/such/dir/plan.json: its folder does not exist');
    const same = await plan(dir, ['--format', 'markdown', '--out', 'p.txt', '--json-out', './p.txt']);
    expect(same.code).toBe(1);
    expect(same.stderr).toContain('--out and --json-out both name p.txt: give two files');
    expect(existsSync(join(dir, 'p.txt'))).toBe(false);
  });
});
