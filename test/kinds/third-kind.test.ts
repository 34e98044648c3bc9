// The proof that the core names no kind (issue 10): a third kind, written here and nowhere in
// src/, goes through validate -> plan -> apply -> plan-again against the in-memory server, in
// both API generations. Its dependency on Key orders creates and deletes; its secret is a
// sensitive change; its schema, given inline, finds an unknown field with file:line:col.
// A fourth, JWK-like kind proves references (issue 19): its `key` field names a Key, the plan
// checks that Key exists in the manifests or on the server (file:line:col when not), orders by it,
// and prune refuses to delete a Key that a kept JWK still references.
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerKind } from '../../src/kinds/index.js';
import { readEnvironments, readSecret, sendBinary, text } from '../../src/kinds/material.js';
import { defineKind, type ExportShape } from '../../src/kinds/types.js';
import { createLogger } from '../../src/log.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { ApiGeneration, CurrentResource, CurrentSecret, DesiredResource, DesiredState } from '../../src/model.js';
import { applyPlan } from '../../src/reconcile/apply.js';
import { readPlan } from '../../src/reconcile/run-plan.js';
import { renderReportJson } from '../../src/reconcile/render/json.js';
import { compareWithSavedPlan, planToJson } from '../../src/reconcile/saved.js';
import type { Plan } from '../../src/reconcile/types.js';
import type { Secret } from '../../src/secret.js';
import { fakeActions, type FakeActions } from '../support/fake-actions.js';
import { tempTree } from '../support/tmp.js';

interface CertificateEnvironment {
  name: string;
  pem?: Secret;
  label?: string;
}
interface DesiredCertificate extends DesiredResource {
  usage: string;
  environments: CertificateEnvironment[];
}
interface CurrentCertificate extends CurrentResource {
  usage: string;
  environments: { name: string; pem?: CurrentSecret; label?: string }[];
}

const secretValue = {
  anyOf: [
    { type: 'string', pattern: '^[A-Za-z0-9+/=\\s]+$' },
    {
      type: 'object',
      additionalProperties: false,
      required: ['fromFile'],
      properties: { fromFile: { type: 'string' } },
    },
    {
      type: 'object',
      additionalProperties: false,
      required: ['fromEnv'],
      properties: { fromEnv: { type: 'string' }, encoding: { enum: ['base64', 'utf8'] } },
    },
  ],
};

/** The manifest format of the test's kind: the same envelope as the shipped kinds. */
const certificateSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  additionalProperties: false,
  required: ['apiVersion', 'kind', 'metadata', 'spec'],
  properties: {
    apiVersion: { const: 'apinizer-gitops/v1' },
    kind: { const: 'Certificate' },
    metadata: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: { name: { type: 'string', minLength: 1 }, project: { type: 'string', minLength: 1 } },
    },
    spec: {
      type: 'object',
      additionalProperties: false,
      required: ['usage', 'environments'],
      properties: {
        description: { type: 'string' },
        usage: { enum: ['SERVER_AUTH', 'CLIENT_AUTH'] },
        environments: {
          type: 'array',
          minItems: 1,
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'pem'],
            properties: {
              name: { type: 'string', minLength: 1 },
              pem: secretValue,
              label: { type: 'string', minLength: 1 },
            },
          },
        },
      },
    },
  },
};

const hasLabel = (env: object) => (env as { label?: unknown }).label !== undefined;

/**
 * A certificate per environment. The legacy API takes `usage` and `pem` in
 * `certificateEnvironmentList`; the current one renames them (`certificateUsage`, `content` in
 * `environments`), never reads the PEM back (export-file gives it) and adds `label`.
 */
const certificateKind = defineKind<DesiredCertificate, CurrentCertificate>({
  kind: 'Certificate',
  plural: 'Certificates',
  segment: 'certificates',
  schema: certificateSchema,
  dependsOn: ['Key'],
  resourceFields: [{ name: 'usage', role: 'plain' }],
  environmentFields: [
    { name: 'pem', role: 'binary-secret' },
    { name: 'label', role: 'plain', forms: ['current'], unmanagedWhenUnset: true },
  ],
  exportField: 'pem',
  redactNames: ['pem', 'content'],
  formOf: (resource) => (resource.environments.some(hasLabel) ? 'current' : 'legacy'),
  formAdvice: (form) =>
    form === 'legacy'
      ? 'that generation labels certificates: add label to an environment'
      : 'that generation has no labels: remove label from every environment',
  checkSpec: () => [],
  toApiBody(cert, generation) {
    if (generation === 'legacy') {
      return {
        name: cert.name,
        description: cert.description,
        usage: cert.usage,
        certificateEnvironmentList: cert.environments.map((e) => ({
          environmentName: e.name,
          ...(e.pem ? { pem: sendBinary(e.pem) } : {}),
        })),
      };
    }
    return {
      name: cert.name,
      description: cert.description,
      certificateUsage: cert.usage,
      environments: cert.environments.map((e) => ({
        environmentName: e.name,
        ...(e.pem ? { content: sendBinary(e.pem) } : {}),
        ...(e.label !== undefined ? { label: e.label } : {}),
      })),
    };
  },
  fromApiObject(raw, base, generation) {
    const list = generation === 'legacy' ? ['certificateEnvironmentList'] : ['environments'];
    const environments = readEnvironments(raw, list, (e, name) => {
      const env: CurrentCertificate['environments'][number] = { name };
      if (generation === 'legacy') {
        const pem = readSecret(e.pem);
        if (pem !== undefined) env.pem = pem;
      } else {
        const label = text(e.label);
        if (label !== undefined) env.label = label;
      }
      return env;
    });
    const usage = text(generation === 'legacy' ? raw.usage : raw.certificateUsage) ?? '';
    const cert: CurrentCertificate = { ...base, usage, environments };
    return cert;
  },
  exportShape(cert, generation): ExportShape {
    return {
      fields: [['usage', cert.usage]],
      environments: cert.environments.map((e) => ({
        name: e.name,
        plain: generation === 'current' && e.label !== undefined ? [['label', e.label]] : [],
        secrets: [{ field: 'pem', value: e.pem, required: true }],
      })),
      warnings: [],
    };
  },
});

// The published JSON formats of plan and report take any registered kind.
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormatsModule.default(ajv);
const schemaOf = (name: string) =>
  JSON.parse(readFileSync(new URL(`../../schemas/${name}`, import.meta.url), 'utf8')) as object;
const validPlanJson = ajv.compile(schemaOf('plan.schema.json'));
const validReportJson = ajv.compile(schemaOf('report.schema.json'));

let unregister: () => void = () => undefined;
beforeAll(() => {
  unregister = registerKind(certificateKind);
});
afterAll(() => unregister());

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');
const CA_PEM = '-----BEGIN PUBLIC KEY-----\nTHIRD-KIND-CA\n-----END PUBLIC KEY-----\n';
const TLS_PEM = '-----BEGIN CERTIFICATE-----\nTHIRD-KIND-TLS-PRODUCTION\n-----END CERTIFICATE-----\n';
const ROTATED_PEM = '-----BEGIN CERTIFICATE-----\nTHIRD-KIND-TLS-ROTATED\n-----END CERTIFICATE-----\n';
const TEST_PEM = '-----BEGIN CERTIFICATE-----\nTHIRD-KIND-TLS-TEST\n-----END CERTIFICATE-----\n';

/** A Key and two Certificates in the form of `generation`; the production PEM comes from API_TLS_PEM. */
function manifests(generation: ApiGeneration, extra = ''): Record<string, string> {
  const key =
    generation === 'legacy'
      ? `  keyType: RSA\n  environments:\n    - name: production\n      publicKey: ${b64(CA_PEM)}\n`
      : `  keyType: PUBLIC_KEY\n  environments:\n    - name: production\n      content: ${b64(CA_PEM)}\n`;
  const label = generation === 'current' ? '      label: api-tls-2026\n' : '';
  return {
    'manifests/keys.yaml':
      'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: ca-key\n  project: Payments\n' + `spec:\n${key}`,
    'manifests/certificates.yaml':
      'apiVersion: apinizer-gitops/v1\nkind: Certificate\nmetadata:\n  name: api-tls\n  project: Payments\nspec:\n' +
      `  description: TLS for the API\n  usage: SERVER_AUTH\n${extra}  environments:\n` +
      `    - name: production\n      pem: { fromEnv: API_TLS_PEM, encoding: utf8 }\n${label}` +
      `    - name: test\n      pem: ${b64(TEST_PEM)}\n` +
      '---\napiVersion: apinizer-gitops/v1\nkind: Certificate\nmetadata:\n  name: mtls-client\n  project: Payments\n' +
      `spec:\n  usage: CLIENT_AUTH\n  environments:\n    - name: production\n      pem: ${b64(TEST_PEM)}\n${label}`,
  };
}

async function load(dir: string, pem = TLS_PEM): Promise<DesiredState> {
  const result = await loadManifests(['manifests'], { cwd: dir, env: { API_TLS_PEM: pem } });
  expect(result.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
  if (!result.state) throw new Error('manifests did not load');
  return result.state;
}

const planOptions = { prune: false, allowEmptyPrune: false, extraProjects: [], server: 'https://manager.test' };

async function plan(desired: DesiredState, fake: FakeActions, prune = false): Promise<Plan> {
  const options = { ...planOptions, prune, allowEmptyPrune: prune, extraProjects: ['Payments'] };
  const outcome = await readPlan(desired, fake.actions, options);
  if (!outcome.ok) throw new Error(`plan stopped at ${outcome.stage}`);
  return outcome.plan;
}

/** Lets every call that can start, start (the fake answers in microtasks). */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i += 1) await Promise.resolve();
}

const creates = (fake: FakeActions, kind: string) => fake.calls.filter((c) => c.method === 'create' && c.kind === kind);
const deletes = (fake: FakeActions, kind: string) => fake.calls.filter((c) => c.method === 'delete' && c.kind === kind);

describe.each(['legacy', 'current'] as const)('a third kind on a %s server', (generation) => {
  it('plans, applies after the Keys it depends on, then plans no change', async () => {
    const dir = tempTree(manifests(generation));
    const fake = fakeActions({ generation });
    const desired = await load(dir);
    expect(desired.resources.map((r) => `${r.kind}/${r.name}`)).toEqual([
      'Key/ca-key',
      'Certificate/api-tls',
      'Certificate/mtls-client',
    ]);

    const first = await plan(desired, fake);
    expect(first.summary).toEqual({ create: 3, update: 0, delete: 0, noop: 0 });
    const tls = first.actions.find((a) => a.name === 'api-tls');
    expect(tls?.changes).toContainEqual({ path: 'usage', after: 'SERVER_AUTH', sensitive: false });
    // A created environment is one line; its PEM shows only as a sensitive value.
    expect(tls?.changes).toContainEqual({
      path: 'environments.production',
      after: expect.stringMatching(/^\{ pem: \(sensitive value\)/) as unknown,
      sensitive: false,
    });
    expect(JSON.stringify(planToJson(first))).not.toContain(b64(TLS_PEM));

    // The Key's create is held in flight: no Certificate create may start before it ends.
    const release = fake.hold();
    const applying = applyPlan(first, fake.actions, { concurrency: 8, server: planOptions.server, finalRound: false });
    await settle();
    expect(creates(fake, 'Key')).toHaveLength(1);
    expect(creates(fake, 'Certificate')).toHaveLength(0);
    release();
    const report = await applying;
    expect(report.results.map((r) => `${r.kind}/${r.name}:${r.outcome}`)).toEqual([
      'Key/ca-key:ok',
      'Certificate/api-tls:ok',
      'Certificate/mtls-client:ok',
    ]);
    expect(creates(fake, 'Certificate')).toHaveLength(2);
    expect(validPlanJson(planToJson(first)), JSON.stringify(validPlanJson.errors)).toBe(true);
    expect(validReportJson(JSON.parse(renderReportJson(report))), JSON.stringify(validReportJson.errors)).toBe(true);

    const writes = fake.writes();
    const again = await plan(await load(dir), fake);
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 3 });
    expect(again.actions.flatMap((a) => a.unknownFields)).toEqual([]);
    // The saved form of the plan takes the kind too (apply --plan reads it back).
    expect(compareWithSavedPlan(JSON.parse(JSON.stringify(planToJson(again))), again)).toEqual([]);
    expect(fake.writes()).toBe(writes);
  });

  it('shows a changed PEM as a sensitive update of that field only', async () => {
    const dir = tempTree(manifests(generation));
    const fake = fakeActions({ generation });
    await applyPlan(await plan(await load(dir), fake), fake.actions, { concurrency: 4, server: planOptions.server });

    const rotated = await plan(await load(dir, ROTATED_PEM), fake);
    expect(rotated.summary).toEqual({ create: 0, update: 1, delete: 0, noop: 2 });
    const update = rotated.actions.find((a) => a.action === 'update');
    expect(update?.name).toBe('api-tls');
    expect(update?.changes).toEqual([{ path: 'environments.production.pem', sensitive: true }]);
    expect(JSON.stringify(planToJson(rotated))).not.toContain(b64(ROTATED_PEM));
  });

  it('deletes the Certificates before the Key they depend on', async () => {
    const dir = tempTree(manifests(generation));
    const fake = fakeActions({ generation });
    await applyPlan(await plan(await load(dir), fake), fake.actions, { concurrency: 4, server: planOptions.server });

    const empty: DesiredState = { resources: [], projects: [] };
    const prune = await plan(empty, fake, true);
    expect(prune.summary).toEqual({ create: 0, update: 0, delete: 3, noop: 0 });
    const release = fake.hold();
    const applying = applyPlan(prune, fake.actions, { concurrency: 8, server: planOptions.server, finalRound: false });
    await settle();
    expect(deletes(fake, 'Certificate')).toHaveLength(2);
    expect(deletes(fake, 'Key')).toHaveLength(0);
    release();
    const report = await applying;
    expect(report.results.every((r) => r.outcome === 'ok')).toBe(true);
    expect(fake.all()).toEqual([]);
  });
});

describe('a third kind, generation-specific', () => {
  it('leaves a label the manifest does not set to the server (unmanagedWhenUnset)', async () => {
    const dir = tempTree(manifests('current'));
    const fake = fakeActions({ generation: 'current' });
    await applyPlan(await plan(await load(dir), fake), fake.actions, { concurrency: 4, server: planOptions.server });
    const held = fake.held({ kind: 'Certificate', project: 'Payments', name: 'api-tls' }) as CurrentCertificate;
    // The test environment sets no label; someone labels it on the server.
    const labelled = held.environments.map((e) => (e.name === 'test' ? { ...e, label: 'by-hand' } : e));
    fake.put({ ...held, environments: labelled });
    const again = await plan(await load(dir), fake);
    expect(again.summary).toEqual({ create: 0, update: 0, delete: 0, noop: 3 });
  });

  it("refuses a legacy-form Certificate on a current server, with the kind's advice, before any write", async () => {
    const dir = tempTree(manifests('legacy'));
    const fake = fakeActions({ generation: 'current' });
    const outcome = await readPlan(await load(dir), fake.actions, planOptions);
    expect(outcome.stage).toBe('preflight');
    const messages = outcome.plan?.diagnostics.map((d) => d.message) ?? [];
    expect(messages.some((m) => m.includes('labels certificates'))).toBe(true);
    expect(fake.writes()).toBe(0);
  });

  it('reports an unknown field of its manifest against the inline schema, with file:line:col', async () => {
    const dir = tempTree(manifests('legacy', '  colour: red\n'));
    const result = await loadManifests(['manifests'], { cwd: dir, env: { API_TLS_PEM: TLS_PEM } });
    expect(result.state).toBeNull();
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ file: 'manifests/certificates.yaml', line: 9, column: 3, path: 'spec.colour' });
    expect(errors[0]?.message).toContain('colour');
  });

  it('never echoes an invalid inline value of its secret field, nor of a plain field', async () => {
    const leaky = 'NOT-BASE64-INLINE-SECRET!';
    const files = manifests('legacy');
    const certificates = files['manifests/certificates.yaml'] ?? '';
    files['manifests/certificates.yaml'] = certificates.replace(/pem: \S+\n/, `pem: "${leaky}"\n`);
    const dir = tempTree(files);
    const result = await loadManifests(['manifests'], { cwd: dir, env: { API_TLS_PEM: TLS_PEM } });
    const errors = result.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => d.path)).toEqual(['spec.environments[1].pem']);
    expect(errors[0]?.message).toContain('{ fromFile: PATH }');
    expect(JSON.stringify(result.diagnostics)).not.toContain(leaky);
  });

  it('has its secret field and API body names redacted from logs', () => {
    let text = '';
    const destination = new Writable({
      write(chunk: Buffer, _encoding, done) {
        text += chunk.toString('utf8');
        done();
      },
    });
    const logger = createLogger({ level: 'info', format: 'json', destination });
    logger.info({ body: { pem: 'LOGGED-PEM-VALUE' } }, 'request');
    expect(text).toContain('(sensitive value)');
    expect(text).not.toContain('LOGGED-PEM-VALUE');
  });
});

interface DesiredJwk extends DesiredResource {
  key: string;
  use: string;
}
interface CurrentJwk extends CurrentResource {
  key: string;
  use: string;
}

/** A JWK made from a Key of the same project: `key` is a reference, `use` plain text. */
const jwkKind = defineKind<DesiredJwk, CurrentJwk>({
  kind: 'Jwk',
  plural: 'JWKs',
  segment: 'jwks',
  schema: {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    additionalProperties: false,
    required: ['apiVersion', 'kind', 'metadata', 'spec'],
    properties: {
      apiVersion: { const: 'apinizer-gitops/v1' },
      kind: { const: 'Jwk' },
      metadata: certificateSchema.properties.metadata,
      spec: {
        type: 'object',
        additionalProperties: false,
        required: ['key', 'use', 'environments'],
        properties: {
          description: { type: 'string' },
          key: { type: 'string', minLength: 1 },
          use: { enum: ['sig', 'enc'] },
          environments: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: { name: { type: 'string', minLength: 1 } },
            },
          },
        },
      },
    },
  },
  dependsOn: ['Key'],
  resourceFields: [
    { name: 'key', role: 'plain', references: 'Key' },
    { name: 'use', role: 'plain' },
  ],
  environmentFields: [],
  redactNames: [],
  formOf: () => 'legacy',
  formAdvice: () => 'a JWK has one form',
  checkSpec: () => [],
  toApiBody: (jwk) => ({
    name: jwk.name,
    description: jwk.description,
    keyName: jwk.key,
    use: jwk.use,
    environments: jwk.environments.map((e) => ({ environmentName: e.name })),
  }),
  fromApiObject: (raw, base) => ({
    ...base,
    key: text(raw.keyName) ?? '',
    use: text(raw.use) ?? '',
    environments: readEnvironments(raw, ['environments'], (_e, name) => ({ name })),
  }),
  exportShape: (jwk) => ({
    fields: [
      ['key', jwk.key],
      ['use', jwk.use],
    ],
    environments: jwk.environments.map((e) => ({ name: e.name, plain: [], secrets: [] })),
    warnings: [],
  }),
});

const keyManifest = (name: string) =>
  `apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: ${name}\n  project: Payments\n` +
  `spec:\n  keyType: RSA\n  environments:\n    - name: production\n      publicKey: ${b64(`${CA_PEM}${name}`)}\n`;

/** A JWK manifest; `key:` is on line 7, column 3. */
const jwkManifest = (name: string, key: string) =>
  `apiVersion: apinizer-gitops/v1\nkind: Jwk\nmetadata:\n  name: ${name}\n  project: Payments\n` +
  `spec:\n  key: ${key}\n  use: sig\n  environments:\n    - name: production\n`;

describe('references between resources (a JWK-like kind that names a Key)', () => {
  let unregisterJwk: () => void = () => undefined;
  beforeAll(() => {
    unregisterJwk = registerKind(jwkKind);
  });
  afterAll(() => unregisterJwk());

  /** Plans `files` against `fake`; the outcome as it is, not thrown. */
  async function planOf(files: Record<string, string>, fake: FakeActions, prune = false, allowEmptyPrune = false) {
    const dir = tempTree(files);
    const loaded = await loadManifests(['manifests'], { cwd: dir, env: {} });
    expect(loaded.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    if (!loaded.state) throw new Error('manifests did not load');
    return readPlan(loaded.state, fake.actions, {
      ...planOptions,
      prune,
      allowEmptyPrune,
      extraProjects: ['Payments'],
    });
  }

  it('accepts a target declared in the manifests, and creates it before the JWK', async () => {
    const fake = fakeActions();
    const outcome = await planOf(
      { 'manifests/keys.yaml': keyManifest('signing'), 'manifests/jwks.yaml': jwkManifest('signing-jwk', 'signing') },
      fake,
    );
    if (!outcome.ok) throw new Error(`plan stopped at ${outcome.stage}`);
    expect(outcome.plan.actions.map((a) => `${a.action} ${a.kind}/${a.name}`)).toEqual([
      'create Key/signing',
      'create Jwk/signing-jwk',
    ]);
    const release = fake.hold();
    const applying = applyPlan(outcome.plan, fake.actions, {
      concurrency: 8,
      server: planOptions.server,
      finalRound: false,
    });
    await settle();
    expect(creates(fake, 'Key')).toHaveLength(1);
    expect(creates(fake, 'Jwk')).toHaveLength(0);
    release();
    expect((await applying).results.every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('accepts a target that only the server has, listing its kind although no manifest holds one', async () => {
    const fake = fakeActions();
    const seeded = await planOf({ 'manifests/keys.yaml': keyManifest('signing') }, fake);
    if (!seeded.ok) throw new Error('seed plan failed');
    await applyPlan(seeded.plan, fake.actions, { concurrency: 4, server: planOptions.server });

    const outcome = await planOf({ 'manifests/jwks.yaml': jwkManifest('signing-jwk', 'signing') }, fake);
    expect(outcome.ok).toBe(true);
    if (outcome.ok) expect(outcome.plan.summary).toEqual({ create: 1, update: 0, delete: 0, noop: 0 });
    expect(fake.calls.some((c) => c.method === 'list' && c.kind === 'Key')).toBe(true);
  });

  it('refuses a reference to a Key that neither the manifests nor the server have, at file:line:col', async () => {
    const fake = fakeActions();
    const outcome = await planOf(
      { 'manifests/keys.yaml': keyManifest('signing'), 'manifests/jwks.yaml': jwkManifest('signing-jwk', 'signnig') },
      fake,
    );
    expect(outcome.ok).toBe(false);
    if (outcome.ok || outcome.plan === null) throw new Error('expected a plan with diagnostics');
    expect(outcome.plan.actions).toEqual([]);
    const errors = outcome.plan.diagnostics.filter((d) => d.severity === 'error');
    expect(errors).toEqual([
      expect.objectContaining({
        code: 'unknown-reference',
        file: 'manifests/jwks.yaml',
        line: 7,
        column: 3,
        path: 'spec.key',
        resource: 'Jwk Payments/signing-jwk',
      }),
    ]);
    expect(errors[0]?.message).toContain('Key Payments/signnig');
    expect(fake.writes()).toBe(0);
  });

  it.each([
    ['other Keys are declared', false],
    ['--allow-empty-prune includes every Key of the project', true],
  ])('makes prune refuse to delete a Key a kept JWK still references (%s), naming both', async (_case, empty) => {
    const fake = fakeActions();
    const seeded = await planOf(
      { 'manifests/keys.yaml': keyManifest('signing') + '---\n' + keyManifest('other') },
      fake,
    );
    if (!seeded.ok) throw new Error('seed plan failed');
    await applyPlan(seeded.plan, fake.actions, { concurrency: 4, server: planOptions.server });
    const writes = fake.writes();

    const files: Record<string, string> = { 'manifests/jwks.yaml': jwkManifest('signing-jwk', 'signing') };
    if (!empty) files['manifests/keys.yaml'] = keyManifest('other');
    const outcome = await planOf(files, fake, true, empty);
    expect(outcome.ok).toBe(false);
    if (outcome.ok || outcome.plan === null) throw new Error('expected a plan with diagnostics');
    expect(outcome.plan.actions).toEqual([]);
    const errors = outcome.plan.diagnostics.filter((d) => d.severity === 'error');
    expect(errors.map((d) => [d.code, d.file, d.line, d.column, d.path])).toEqual([
      ['referenced-by-kept', 'manifests/jwks.yaml', 7, 3, 'spec.key'],
    ]);
    expect(errors[0]?.message).toContain('Jwk Payments/signing-jwk');
    expect(errors[0]?.message).toContain('Key Payments/signing');
    expect(fake.writes()).toBe(writes);
  });

  it('prunes a JWK and its Key together, the JWK first, when neither is declared any more', async () => {
    const fake = fakeActions();
    const seeded = await planOf(
      {
        'manifests/keys.yaml': keyManifest('signing') + '---\n' + keyManifest('other'),
        'manifests/jwks.yaml': jwkManifest('signing-jwk', 'signing'),
      },
      fake,
    );
    if (!seeded.ok) throw new Error('seed plan failed');
    await applyPlan(seeded.plan, fake.actions, { concurrency: 4, server: planOptions.server });

    const outcome = await planOf({ 'manifests/keys.yaml': keyManifest('other') }, fake, true, true);
    if (!outcome.ok) throw new Error(`plan stopped at ${outcome.stage}`);
    expect(outcome.plan.actions.filter((a) => a.action === 'delete').map((a) => `${a.kind}/${a.name}`)).toEqual([
      'Jwk/signing-jwk',
      'Key/signing',
    ]);
    const release = fake.hold();
    const applying = applyPlan(outcome.plan, fake.actions, {
      concurrency: 8,
      server: planOptions.server,
      finalRound: false,
    });
    await settle();
    expect(deletes(fake, 'Jwk')).toHaveLength(1);
    expect(deletes(fake, 'Key')).toHaveLength(0);
    release();
    expect((await applying).results.every((r) => r.outcome === 'ok')).toBe(true);
  });

  it('cannot be registered without its target kind in dependsOn', () => {
    expect(() => registerKind(defineKind({ ...jwkKind, kind: 'LooseJwk', dependsOn: [] }))).toThrow(
      /references Key, which dependsOn must list/,
    );
  });
});
