// The current API generation end to end (SPEC §2b), in process against the emulator over real
// HTTP, in both response dialects: convergence and the exact request budget of a no-op plan,
// rotation with the JWK parameters, the unreadable keystore password, prune, a refused export,
// keystore lists with environment ids, export then plan, each manifest form refused on the other
// generation, and no secret in any output, plan file or report.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { cpSync, existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { runCliProcess } from '../support/cli.js';
import { useEmulator } from '../support/emulator.js';
import { expectNoNeedles, materialNeedles } from '../support/leak.js';
import { runCliInProcess, type InProcessRun } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';
import { validJson } from './apply-fixtures.js';

const TOKEN = 'tok-current-generation-e2e-4Rk8';
const PASSWORD = 'demo-partner-store-password';
const HMAC = randomBytes(32).toString('base64');
const CURRENT = fileURLToPath(new URL('../../examples/manifests-current', import.meta.url));
const LEGACY = fileURLToPath(new URL('../../examples/manifests', import.meta.url));
const KEYS = 'm/payments/keys/signing.yaml';
const SIGNING_PEM = 'm/payments/material/signing-production.key.pem';

const R = {
  envs: 'GET /apiops/projects/{project}/environments/',
  legacyEnvs: 'GET /apiops/environments/{project}',
  keys: 'GET /apiops/projects/{project}/keys/',
  keystores: 'GET /apiops/projects/{project}/keystores/',
  keyExport: 'GET /apiops/projects/{project}/keys/{name}/export-file/',
  keystoreExport: 'GET /apiops/projects/{project}/keystores/{name}/export-file/',
  keyPut: 'PUT /apiops/projects/{project}/keys/{name}/',
  keystorePut: 'PUT /apiops/projects/{project}/keystores/{name}/',
  keyDelete: 'DELETE /apiops/projects/{project}/keys/{name}/',
};

/** Every string that must never be printed: the token, the password, the secret key, each PEM body and keystore. */
const needles = new Set<string>([TOKEN, PASSWORD, HMAC]);
for (const root of [CURRENT, LEGACY]) {
  for (const entry of readdirSync(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && /\.(pem|p12|jks)$/.test(entry.name)) {
      for (const n of materialNeedles(readFileSync(join(entry.parentPath, entry.name)))) needles.add(n);
    }
  }
}

/** Everything the CLI printed or wrote in the current test, searched for secrets after it. */
let outputs: Record<string, string> = {};
afterEach(() => {
  const searched = outputs;
  outputs = {};
  expectNoNeedles([...needles], searched);
});
/** Keeps a file's text for the leak search. */
function keep(label: string, text: string): string {
  outputs[`${label} (#${Object.keys(outputs).length})`] = text;
  return text;
}

const emulator = useEmulator({ token: TOKEN, generation: 'current' });

function envFor(emu: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  const secrets = { PARTNER_MTLS_STORE_PASSWORD: PASSWORD, PAYMENTS_WEBHOOK_HMAC: HMAC };
  return { APINIZER_URL: emu.url, APINIZER_TOKEN: TOKEN, ...secrets, ...extra };
}

/** Runs the CLI in process in `cwd` against the emulator; every output goes to the leak search. */
async function cli(cwd: string, args: string[], extra: Record<string, string> = {}): Promise<InProcessRun> {
  const run = await runCliInProcess(args, { cwd, env: envFor(emulator(), extra) });
  keep(`stdout of ${args.join(' ')}`, run.stdout);
  keep(`stderr of ${args.join(' ')}`, run.stderr);
  return run;
}

/** A temp dir holding a copy of examples/manifests-current (or the legacy tree) under `m/`. */
function tree(from = CURRENT): string {
  const dir = tempTree();
  cpSync(from, join(dir, 'm'), { recursive: true });
  return dir;
}

type Change = { path: string; sensitive: boolean; before?: string; after?: string };
type Action = { action: string; kind: string; name: string; changes: Change[]; unknownFields: string[] };
type PlanDoc = { summary: Record<string, number>; actions: Action[]; warnings: string[] };
const PASSWORDS = ['environments.production.password', 'environments.staging.password'];

/** Runs `plan --format json --out plan.json` and returns the saved, schema-checked plan and the run. */
async function jsonPlan(
  dir: string,
  args: string[] = [],
  extra: Record<string, string> = {},
): Promise<{ run: InProcessRun; doc: PlanDoc }> {
  const flags = ['--detailed-exitcode', '--format', 'json', '--out', 'plan.json'];
  const run = await cli(dir, ['plan', 'm', ...flags, ...args], extra);
  const text = keep('plan.json', readFileSync(join(dir, 'plan.json'), 'utf8'));
  return { run, doc: validJson('plan', text) as unknown as PlanDoc };
}

const action = (doc: PlanDoc, name: string): Action => {
  const found = doc.actions.find((a) => a.name === name);
  if (!found) throw new Error(`no action for ${name} in ${doc.actions.map((a) => a.name).join(', ')}`);
  return found;
};

/** The query strings of the writes (PUT, POST, DELETE) the emulator saw, by route. */
const writeQueries = (emu: RunningEmulator): Record<string, number> =>
  Object.fromEntries(Object.entries(emu.stats().byQuery).filter(([k]) => !k.startsWith('GET ')));

async function applied(dir: string, args: string[] = [], extra: Record<string, string> = {}): Promise<InProcessRun> {
  const run = await cli(dir, ['apply', 'm', ...args], extra);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  return run;
}

describe.each(['documented', 'status'] as const)('current API generation (%s dialect)', (dialect) => {
  beforeEach(() => {
    emulator().store.clear();
    emulator().configure({ dialect, generation: 'current', refuseExport: false, keystoreListEnvironmentIds: false });
    emulator().resetStats();
  });

  it('converges from empty; a no-op plan makes the lists, environments, one export per object and env', async () => {
    const dir = tree();
    const apply = await applied(dir, ['--format', 'json', '--out', 'report.json']);
    keep('report.json', readFileSync(join(dir, 'report.json'), 'utf8'));
    expect(apply.stdout).toContain('Apply: 4 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.');

    emulator().resetStats();
    // The no-op plan through the real binary, once: the exit status comes from process.exit.
    const spawned = await runCliProcess(['plan', 'm', '--detailed-exitcode'], { cwd: dir, env: envFor(emulator()) });
    keep('spawned stdout', spawned.stdout);
    keep('spawned stderr', spawned.stderr);
    expect(spawned.code, spawned.stdout + spawned.stderr).toBe(0);
    expect(spawned.stdout).toContain('No changes.');
    const stats = emulator().stats();
    expect(stats.byRoute).toEqual({
      [R.envs]: 1,
      [R.keys]: 1,
      [R.keystores]: 1,
      [R.keyExport]: 4,
      [R.keystoreExport]: 2,
    });
    expect(stats).toMatchObject({ writes: 0, exports: 6, exportsServed: 6, exportsRefused: 0 });
    const exported = emulator()
      .requests()
      .filter((r) => r.route.endsWith('/export-file/'))
      .map((r) => `${r.path} ${r.query.environmentName ?? '?'}`)
      .sort();
    const base = '/apiops/projects/Payments';
    expect(exported).toEqual([
      `${base}/keys/payments-signing-public/export-file/ production`,
      `${base}/keys/payments-signing/export-file/ production`,
      `${base}/keys/payments-signing/export-file/ staging`,
      `${base}/keys/payments-webhook-hmac/export-file/ production`,
      `${base}/keystores/partner-mtls/export-file/ production`,
      `${base}/keystores/partner-mtls/export-file/ staging`,
    ]);

    const { run, doc } = await jsonPlan(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(doc.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 4 });
    expect(doc.warnings).toEqual([]);
    // The password cannot be read back: always unknown, never a change.
    expect(action(doc, 'partner-mtls').unknownFields).toEqual(PASSWORDS);
    expect(action(doc, 'payments-signing').unknownFields).toEqual([]);
  });

  it('rotation: new PEM and secret bytes are sensitive updates, sent with the JWK parameters asked for', async () => {
    const dir = tree();
    await applied(dir);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const rotated = privateKey.export({ type: 'pkcs8', format: 'pem' });
    for (const n of materialNeedles(rotated)) needles.add(n);
    writeFileSync(join(dir, SIGNING_PEM), rotated);
    const hmac2 = randomBytes(32).toString('base64');
    needles.add(hmac2);

    const { run, doc } = await jsonPlan(dir, [], { PAYMENTS_WEBHOOK_HMAC: hmac2 });
    expect(run.code, run.stderr).toBe(2);
    expect(doc.summary).toEqual({ create: 0, update: 2, delete: 0, noop: 2 });
    const content = [{ path: 'environments.production.content', sensitive: true }];
    expect(action(doc, 'payments-signing').changes).toEqual(content);
    expect(action(doc, 'payments-webhook-hmac').changes).toEqual(content);
    const text = await cli(dir, ['plan', 'm'], { PAYMENTS_WEBHOOK_HMAC: hmac2 });
    expect(text.stdout).toContain('~ payments-signing  (m/payments/keys/signing.yaml:5)\n');
    expect(text.stdout).toMatch(/environments\.production.*content.*\(sensitive value\)/);

    emulator().resetStats();
    await applied(dir, [], { PAYMENTS_WEBHOOK_HMAC: hmac2 });
    expect(writeQueries(emulator())).toEqual({ [`${R.keyPut}?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`]: 2 });
    expect((await cli(dir, ['plan', 'm', '--detailed-exitcode'], { PAYMENTS_WEBHOOK_HMAC: hmac2 })).code).toBe(0);

    // payments-signing detaches its JWKs; payments-webhook-hmac lets them follow in every project.
    const yaml = readFileSync(join(dir, KEYS), 'utf8');
    const edited = yaml
      .replace('  keyType: PRIVATE_KEY\n', '  keyType: PRIVATE_KEY\n  referencedJwks: NULLIFY\n')
      .replace('  algorithm: AES\n', '  algorithm: AES\n  updateReferencedJwks: ALL_PROJECTS\n');
    expect(edited).not.toBe(yaml);
    writeFileSync(join(dir, KEYS), edited);
    cpSync(join(dir, 'm/payments/material/signing-staging.key.pem'), join(dir, SIGNING_PEM));
    emulator().resetStats();
    await applied(dir);
    expect(writeQueries(emulator())).toEqual({
      [`${R.keyPut}?jwkUpdateAction=NULLIFY`]: 1,
      [`${R.keyPut}?jwkUpdateAction=UPDATE&updateScope=ALL_PROJECTS`]: 1,
    });
    const puts = emulator()
      .requests()
      .filter((r) => r.method === 'PUT')
      .map((r) => `${r.path} ${r.query.jwkUpdateAction ?? '-'}`)
      .sort();
    expect(puts).toEqual([
      '/apiops/projects/Payments/keys/payments-signing/ NULLIFY',
      '/apiops/projects/Payments/keys/payments-webhook-hmac/ UPDATE',
    ]);
  });

  it('an environment the server holds no material for ("has no material for environment") is a change, not unknown', async () => {
    const dir = tree();
    await applied(dir);
    // The server lost the staging PEM (e.g. the environment was added by hand without one).
    const stored = emulator().store.get('Payments', 'Key', 'payments-signing')!;
    const list = (stored.cryptoKeyInfoEnvironmentList as Record<string, unknown>[]).map((e) =>
      e.environmentName === 'staging' ? { ...e, content: undefined } : e,
    );
    emulator().store.put('Payments', 'Key', { ...stored, cryptoKeyInfoEnvironmentList: list });

    const { run, doc } = await jsonPlan(dir);
    expect(run.code, run.stdout + run.stderr).toBe(2);
    const signing = action(doc, 'payments-signing');
    expect(signing.action).toBe('update');
    expect(signing.changes).toEqual([{ path: 'environments.staging.content', sensitive: true }]);
    expect(signing.unknownFields).not.toContain('environments.staging.content');
    expect(doc.warnings.join('\n')).not.toContain('could not be compared');

    await applied(dir);
    const again = await jsonPlan(dir);
    expect(again.run.code, again.run.stdout + again.run.stderr).toBe(0);
  });

  it('a password-only difference is no change in the plan (unknown), and apply --redeploy sends it', async () => {
    const dir = tree();
    await applied(dir);
    // Someone changed the keystore's password on the server: nothing can read it back.
    const raw = structuredClone(emulator().store.get('Payments', 'Keystore', 'partner-mtls'));
    if (raw === undefined) throw new Error('partner-mtls was not created');
    const entries = raw.keyStoreEnvironmentList as Record<string, unknown>[];
    for (const e of entries) e.password = 'changed-on-the-server';
    emulator().store.put('Payments', 'Keystore', raw);

    const { run, doc } = await jsonPlan(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(action(doc, 'partner-mtls')).toMatchObject({ action: 'noop', changes: [], unknownFields: PASSWORDS });
    emulator().resetStats();
    expect((await applied(dir)).stdout).toContain('Apply: 0 created, 0 updated, 0 deleted, 4 unchanged, 0 failed.');
    expect(emulator().stats().writes).toBe(0);

    await applied(dir, ['--redeploy']);
    expect(emulator().stats().byRoute[R.keystorePut]).toBe(1);
    expect(emulator().stats().byQuery[`${R.keystorePut}?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`]).toBe(1);
    const stored = emulator().store.get('Payments', 'Keystore', 'partner-mtls')?.keyStoreEnvironmentList;
    if (!Array.isArray(stored)) throw new Error('partner-mtls has no environments');
    expect(stored.map((e: Record<string, unknown>) => e.password)).toEqual([PASSWORD, PASSWORD]);
  });

  it('prune deletes a removed key with jwkDeleteAction=NULLIFY, and the plan warns about derived JWKs', async () => {
    const dir = tree();
    await applied(dir);
    const docs = readFileSync(join(dir, KEYS), 'utf8').split('\n---\n');
    writeFileSync(join(dir, KEYS), docs.filter((d) => !d.includes('name: payments-signing-public')).join('\n---\n'));

    const { run, doc } = await jsonPlan(dir, ['--prune']);
    expect(run.code, run.stderr).toBe(2);
    expect(doc.summary).toEqual({ create: 0, update: 0, delete: 1, noop: 3 });
    expect(action(doc, 'payments-signing-public').action).toBe('delete');
    const lose = /jwkDeleteAction=NULLIFY: JWKs made from a deleted key or keystore lose their source/;
    expect(doc.warnings).toEqual([expect.stringMatching(lose)]);
    const text = await cli(dir, ['plan', 'm', '--prune']);
    expect(text.stdout).toMatch(lose);

    emulator().resetStats();
    await applied(dir, ['--prune']);
    expect(writeQueries(emulator())).toEqual({ [`${R.keyDelete}?jwkDeleteAction=NULLIFY`]: 1 });
    expect(emulator().store.get('Payments', 'Key', 'payments-signing-public')).toBeUndefined();
  });

  it('export refused: plan shows no change, the material unknown and one line why; export writes nothing', async () => {
    const dir = tree();
    await applied(dir);
    emulator().configure({ refuseExport: true });
    emulator().resetStats();

    const { run, doc } = await jsonPlan(dir);
    expect(run.code, run.stderr).toBe(0);
    expect(doc.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 4 });
    const contents = ['environments.production.content', 'environments.staging.content'];
    expect(action(doc, 'payments-signing').unknownFields).toEqual(contents);
    expect(action(doc, 'payments-webhook-hmac').unknownFields).toEqual(['environments.production.content']);
    expect(action(doc, 'partner-mtls').unknownFields).toEqual([
      'environments.production.file',
      'environments.production.password',
      'environments.staging.file',
      'environments.staging.password',
    ]);
    expect(doc.warnings).toHaveLength(1);
    expect(doc.warnings[0]).toMatch(/could not be compared: the server refused export-file \(HTTP 403\)/);
    expect(doc.warnings[0]).toContain('needs the SECRETS and EXPORT_IMPORT permissions');
    expect(emulator().stats()).toMatchObject({ writes: 0, exports: 6, exportsRefused: 6 });
    const text = await cli(dir, ['plan', 'm']);
    expect(text.stdout.split('\n').filter((l) => l.includes('EXPORT_IMPORT'))).toHaveLength(1);
    expect(text.stdout).toContain('No changes.');

    const exported = await cli(dir, ['export', '--project', 'Payments', '--out', 'out']);
    expect(exported.code).toBe(1);
    expect(exported.stderr).toContain('SECRETS and EXPORT_IMPORT permissions');
    expect(exported.stderr).toContain('nothing was written');
    expect(existsSync(join(dir, 'out')) ? readdirSync(join(dir, 'out')) : []).toEqual([]);
  });

  it('keystore lists with environment ids: the plan after apply still reports no changes', async () => {
    emulator().configure({ keystoreListEnvironmentIds: true });
    const dir = tree();
    await applied(dir);
    emulator().resetStats();
    const run = await cli(dir, ['plan', 'm', '--detailed-exitcode']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toContain('No changes.');
    // The list named no environment, so the keystore was read once by itself (the single GET names them).
    expect(emulator().stats().byRoute['GET /apiops/projects/{project}/keystores/{name}/']).toBe(1);
    expect(emulator().stats().writes).toBe(0);

    // The material is still compared per environment name: a swapped keystore file is an update.
    const material = join(dir, 'm/payments/material');
    cpSync(join(material, 'partner-mtls-staging.p12'), join(material, 'partner-mtls-production.p12'));
    const { run: swapped, doc } = await jsonPlan(dir);
    expect(swapped.code, swapped.stderr).toBe(2);
    expect(action(doc, 'partner-mtls').changes).toEqual([{ path: 'environments.production.file', sensitive: true }]);
  });

  it('export from a current server writes current-form manifests; with passwords set, plan: no changes', async () => {
    const dir = tree();
    await applied(dir);
    const run = await cli(dir, ['export', '--project', 'Payments', '--out', 'exported']);
    expect(run.code, run.stderr).toBe(0);
    const listed = run.stderr.matchAll(/^ {2}(\w+) +Keystore Payments\/partner-mtls environment (\w+) password/gm);
    const variables = [...listed].map((m) => [m[1] ?? '', m[2] ?? '']);
    expect(variables.map(([, env]) => env).sort()).toEqual(['production', 'staging']);
    // A password variable holds the text itself: the list must not call it base64.
    expect(run.stderr).toMatch(/partner-mtls environment production password \(text\)/);
    expect(run.stderr).not.toMatch(/password \(base64\)|variables \(base64\)/);
    const keystorePath = join(dir, 'exported/Payments/keystores/partner-mtls.yaml');
    const manifest = keep('exported keystore', readFileSync(keystorePath, 'utf8'));
    for (const [variable] of variables) expect(manifest).toContain(`password: { fromEnv: ${variable} }`);
    const key = keep('exported key', readFileSync(join(dir, 'exported/Payments/keys/payments-signing.yaml'), 'utf8'));
    expect(key).toMatch(/keyType: PRIVATE_KEY/);
    expect(key).toMatch(/content: \{ fromFile: /);

    const passwords = Object.fromEntries(variables.map(([v]) => [v ?? '', PASSWORD]));
    const plan = await cli(dir, ['plan', 'exported', '--detailed-exitcode'], passwords);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toContain('No changes.');
  });

  it('each form is refused on the other generation before any write, with file:line and what to write', async () => {
    const legacyTree = tree(LEGACY);
    const onCurrent = await cli(legacyTree, ['apply', 'm']);
    expect(onCurrent.code).toBe(1);
    // Each at the environment entry whose fields are of the other form (SPEC §2: a field's problem
    // points at the field, a missing one at the mapping that lacks it), not the document's first line.
    const mismatches = (text: string) => text.split('\n').filter((l) => l.endsWith('[form-generation-mismatch]'));
    const legacyLines = mismatches(onCurrent.stdout + onCurrent.stderr);
    expect(legacyLines.map((l) => l.split(': ')[0])).toEqual([
      'm/identity/keys/token-signing.yaml:15:7 Key Identity/token-signing',
      'm/identity/keystores/ldap-truststore.yaml:10:7 Keystore Identity/ldap-truststore',
      'm/payments/keys/signing.yaml:14:7 Key Payments/payments-signing',
      'm/payments/keys/signing.yaml:35:7 Key Payments/payments-webhook-hmac',
      'm/payments/keystores/partner-mtls.yaml:10:7 Keystore Payments/partner-mtls',
    ]);
    expect(legacyLines[2]).toContain('is written in the legacy form');
    expect(legacyLines[2]).toContain('give each environment `content` instead of publicKey/privateKey');
    expect(legacyLines[4]).toContain('add `password: { fromEnv: NAME }` (or fromFile) to every environment');
    expect(onCurrent.stderr + onCurrent.stdout).toContain('nothing was written');
    expect(emulator().stats().writes).toBe(0);

    emulator().configure({ generation: 'legacy' });
    emulator().resetStats();
    const currentTree = tree();
    const onLegacy = await cli(currentTree, ['apply', 'm']);
    expect(onLegacy.code).toBe(1);
    const currentLines = mismatches(onLegacy.stdout + onLegacy.stderr);
    expect(currentLines.map((l) => l.split(': ')[0])).toEqual([
      'm/payments/keys/signing.yaml:16:7 Key Payments/payments-signing', // alias:
      'm/payments/keys/signing.yaml:29:7 Key Payments/payments-signing-public', // - name: (content in it)
      'm/payments/keys/signing.yaml:42:3 Key Payments/payments-webhook-hmac', // algorithm:
      'm/payments/keystores/partner-mtls.yaml:17:7 Keystore Payments/partner-mtls', // password:
    ]);
    expect(currentLines[0]).toContain('give each environment publicKey and/or privateKey instead of content');
    expect(currentLines[3]).toContain('remove password and alias from every environment');
    expect(emulator().stats().writes).toBe(0);

    // A forced generation skips the probe. Legacy on a legacy server: no current environments call.
    emulator().resetStats();
    await applied(legacyTree, ['--api-generation', 'legacy']);
    expect(emulator().stats().byRoute[R.envs]).toBeUndefined();
    expect(emulator().stats().byRoute[R.legacyEnvs]).toBe(2);
    // Current forced on the legacy server: the 404 is not taken for "legacy" (no fallback), nothing written.
    emulator().resetStats();
    const forcedCurrent = await cli(currentTree, ['plan', 'm'], { APINIZER_API_GENERATION: 'current' });
    expect(forcedCurrent.code).toBe(1);
    expect(emulator().stats().byRoute[R.legacyEnvs]).toBeUndefined();
    expect(emulator().stats().byRoute[R.envs]).toBe(1);
    expect(emulator().stats().writes).toBe(0);
    // Legacy forced on a current server: the current environments path is never asked.
    emulator().configure({ generation: 'current' });
    emulator().store.clear();
    emulator().resetStats();
    const forcedLegacy = await cli(legacyTree, ['plan', 'm', '--api-generation', 'legacy']);
    expect(forcedLegacy.code).toBe(1);
    expect(emulator().stats().byRoute[R.envs]).toBeUndefined();
    expect(emulator().stats().byRoute[R.legacyEnvs]).toBe(2);
  });
});
