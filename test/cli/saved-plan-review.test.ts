// A saved plan covers everything a write does (SPEC §5, issue 23): the write options of each
// update and delete (the JWK parameters) are in the JSON plan, shown in text and markdown when not
// the default, and compared by `apply --plan`; a plan from another server or API generation is
// refused; a malformed or oversized plan file is refused before any API call. In process against
// the emulator (current generation) over real HTTP.
import { randomBytes } from 'node:crypto';
import { cpSync, openSync, closeSync, ftruncateSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess, type InProcessRun } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';
import { renderGfm, textOf } from '../support/markdown.js';
import { validJson } from './apply-fixtures.js';

const TOKEN = 'tok-saved-plan-review-9Qw2';
const PASSWORD = 'demo-partner-store-password';
const HMAC = randomBytes(32).toString('base64');
const CURRENT = fileURLToPath(new URL('../../examples/manifests-current', import.meta.url));
const KEYS = 'm/payments/keys/signing.yaml';

const emulator = useEmulator({ token: TOKEN, generation: 'current' });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

function cli(cwd: string, args: string[]): Promise<InProcessRun> {
  return runCliInProcess(args, {
    cwd,
    env: {
      APINIZER_URL: emulator().url,
      APINIZER_TOKEN: TOKEN,
      PARTNER_MTLS_STORE_PASSWORD: PASSWORD,
      PAYMENTS_WEBHOOK_HMAC: HMAC,
    },
  });
}

/** The example tree applied to the emulator, then the signing key's description edited. */
async function appliedThenEdited(): Promise<string> {
  const dir = tempTree();
  cpSync(CURRENT, join(dir, 'm'), { recursive: true });
  const applied = await cli(dir, ['apply', 'm']);
  expect(applied.code, applied.stderr).toBe(0);
  edit(dir, 'description: Signs payment callbacks sent to merchants', 'description: Signs callbacks, reviewed');
  return dir;
}

function edit(dir: string, from: string, to: string): void {
  const yaml = readFileSync(join(dir, KEYS), 'utf8');
  expect(yaml).toContain(from);
  writeFileSync(join(dir, KEYS), yaml.replace(from, to));
}

type WriteOptions = { query: Record<string, string>; default: boolean };
type Doc = { actions: { name: string; action: string; writeOptions?: WriteOptions }[] };

async function savePlan(dir: string): Promise<Doc> {
  const run = await cli(dir, ['plan', 'm', '--format', 'json', '--out', 'plan.json']);
  expect(run.code, run.stderr).toBe(0);
  return validJson('plan', readFileSync(join(dir, 'plan.json'), 'utf8')) as unknown as Doc;
}

describe('a saved plan and the write options', () => {
  it('records the write options of every action in the JSON plan', async () => {
    const dir = await appliedThenEdited();
    const doc = await savePlan(dir);
    const signing = doc.actions.find((a) => a.name === 'payments-signing');
    expect(signing).toMatchObject({
      action: 'update',
      writeOptions: { query: { jwkUpdateAction: 'UPDATE', updateScope: 'SAME_PROJECT' }, default: true },
    });
  });

  it.each([
    ['referencedJwks: NULLIFY', 'jwkUpdateAction=NULLIFY'],
    ['updateReferencedJwks: ALL_PROJECTS', 'jwkUpdateAction=UPDATE&updateScope=ALL_PROJECTS'],
  ])(
    'refuses a saved plan once the manifest adds %s, writing nothing, and shows it in every format',
    async (line, now) => {
      const dir = await appliedThenEdited();
      await savePlan(dir);
      edit(dir, '  keyType: PRIVATE_KEY\n', `  keyType: PRIVATE_KEY\n  ${line}\n`);
      emulator().resetStats();
      const refused = await cli(dir, ['apply', 'm', '--plan', 'plan.json']);
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(
        'Key Payments/payments-signing: the write options changed since the plan was saved ' +
          `(saved: jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT; now: ${now})`,
      );
      expect(emulator().stats().writes).toBe(0);

      // The reviewer sees the option the write would send, in text and in the comment.
      const text = await cli(dir, ['plan', 'm']);
      expect(text.stdout).toContain(`! sent with ${now} (not the default write options)`);
      const md = await cli(dir, ['plan', 'm', '--format', 'markdown']);
      expect(textOf(renderGfm(md.stdout))).toContain(
        `Write options: sent with ${now} (not the default write options).`,
      );

      // Saved again, it applies, and the server gets exactly what the plan showed.
      await savePlan(dir);
      emulator().resetStats();
      const ok = await cli(dir, ['apply', 'm', '--plan', 'plan.json']);
      expect(ok.code, ok.stderr).toBe(0);
      expect(Object.keys(emulator().stats().byQuery).filter((k) => k.startsWith('PUT '))).toEqual([
        `PUT /apiops/projects/{project}/keys/{name}/?${now}`,
      ]);
    },
  );

  it('refuses a plan saved against another server or for another API generation', async () => {
    const dir = await appliedThenEdited();
    await savePlan(dir);
    const original = readFileSync(join(dir, 'plan.json'), 'utf8');
    const doc = JSON.parse(original) as Record<string, unknown>;

    writeFileSync(join(dir, 'other.json'), JSON.stringify({ ...doc, server: 'https://staging-manager.example' }));
    emulator().resetStats();
    const other = await cli(dir, ['apply', 'm', '--plan', 'other.json']);
    expect(other.code).toBe(1);
    expect(other.stderr).toContain(
      `the saved plan was made against https://staging-manager.example, but this run talks to`,
    );
    expect(emulator().stats().writes).toBe(0);

    writeFileSync(join(dir, 'legacy.json'), JSON.stringify({ ...doc, apiGeneration: 'legacy' }));
    const legacy = await cli(dir, ['apply', 'm', '--plan', 'legacy.json']);
    expect(legacy.code).toBe(1);
    expect(legacy.stderr).toContain(
      'the saved plan was made for API generation legacy, but the server now speaks current',
    );
    expect(emulator().stats().writes).toBe(0);

    // The same server spelled with a trailing slash is the same server.
    writeFileSync(join(dir, 'slash.json'), JSON.stringify({ ...doc, server: `${String(doc.server)}/` }));
    const slash = await cli(dir, ['apply', 'm', '--plan', 'slash.json']);
    expect(slash.code, slash.stderr).toBe(0);
  });

  it.each([
    [
      'an action without fingerprints',
      { formatVersion: 1, server: 'x', actions: [{ action: 'update' }] },
      'actions[0]',
    ],
    ['no actions list', { formatVersion: 1, server: 'x' }, 'has no "actions" list'],
    ['no server', { formatVersion: 1, actions: [] }, 'has no "server"'],
    ['another format version', { formatVersion: 9, server: 'x', actions: [] }, 'formatVersion 9'],
    ['a list', [], 'not a JSON object'],
  ])('refuses a malformed plan file (%s) before any API call, in its own words', async (_, content, words) => {
    const dir = tempTree();
    cpSync(CURRENT, join(dir, 'm'), { recursive: true });
    writeFileSync(join(dir, 'bad.json'), JSON.stringify(content));
    emulator().resetStats();
    const run = await cli(dir, ['apply', 'm', '--plan', 'bad.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--plan bad.json: ');
    expect(run.stderr).toContain(words);
    expect(run.stderr).not.toContain('differs');
    expect(emulator().stats().total).toBe(0);
  });

  it('refuses an oversized plan file without reading it whole, before any API call', async () => {
    const dir = tempTree();
    cpSync(CURRENT, join(dir, 'm'), { recursive: true });
    // A sparse 200 MB file: no disk used, and reading it whole would take the memory it says.
    const fd = openSync(join(dir, 'huge.json'), 'w');
    ftruncateSync(fd, 200 * 1024 * 1024);
    closeSync(fd);
    emulator().resetStats();
    const run = await cli(dir, ['apply', 'm', '--plan', 'huge.json']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--plan huge.json: 209715200 bytes, larger than a saved plan can be (64 MiB)');
    expect(emulator().stats().total).toBe(0);
  });
});
