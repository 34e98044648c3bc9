// What used to be kind-specific inside the core is now a hook on the descriptor (issue 19, item 1).
// Each test here drives the core with a kind the core has never heard of, or with a field the old
// hard-coded lists missed, and fails if the core still decides by kind name:
// - the inline-base64 check reads the kind's binary secret fields (a current Key's `content` too);
// - material roles come from `materialFields` (a test kind's PEM is inspected at file:line:col);
// - plan prose comes from `prose` (a kind without it adds no JWK warning on delete);
// - export's identity rules follow the registry (a kind registered after the first export works).
import { generateKeyPairSync } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { descriptorOf, registerKind } from '../../src/kinds/index.js';
import { readEnvironments, readSecret, sendBinary } from '../../src/kinds/material.js';
import { defineKind } from '../../src/kinds/types.js';
import { identityProblem } from '../../src/export/render.js';
import { loadManifests } from '../../src/manifest/load.js';
import type { CurrentResource, CurrentSecret, DesiredResource } from '../../src/model.js';
import { buildPlan } from '../../src/reconcile/plan.js';
import type { Secret } from '../../src/secret.js';
import { aKey, currentOf } from '../support/builders.js';
import { tempTree } from '../support/tmp.js';
import { KEY, edit } from '../manifest/fixtures.js';

interface DesiredTrust extends DesiredResource {
  environments: { name: string; pem: Secret }[];
}
interface CurrentTrust extends CurrentResource {
  environments: { name: string; pem?: CurrentSecret }[];
}

const secretValue = {
  anyOf: [
    { type: 'string' },
    { type: 'object', additionalProperties: false, required: ['fromEnv'], properties: { fromEnv: { type: 'string' } } },
  ],
};

/** A kind with one PEM per environment, which declares that PEM a public key for the material checks. */
function trustKind(name: string, withMaterial: boolean) {
  return defineKind<DesiredTrust, CurrentTrust>({
    kind: name,
    plural: `${name}s`,
    segment: name.toLowerCase(),
    schema: {
      type: 'object',
      additionalProperties: false,
      required: ['apiVersion', 'kind', 'metadata', 'spec'],
      properties: {
        apiVersion: { const: 'apinizer-gitops/v1' },
        kind: { const: name },
        metadata: {
          type: 'object',
          additionalProperties: false,
          required: ['name'],
          properties: { name: { type: 'string', minLength: 1 }, project: { type: 'string', minLength: 1 } },
        },
        spec: {
          type: 'object',
          additionalProperties: false,
          required: ['environments'],
          properties: {
            description: { type: 'string' },
            environments: {
              type: 'array',
              items: {
                type: 'object',
                additionalProperties: false,
                required: ['name', 'pem'],
                properties: { name: { type: 'string' }, pem: secretValue },
              },
            },
          },
        },
      },
    },
    dependsOn: [],
    resourceFields: [],
    environmentFields: [{ name: 'pem', role: 'binary-secret' }],
    redactNames: ['pem'],
    formOf: () => 'legacy',
    formAdvice: () => 'no other form',
    checkSpec: () => [],
    toApiBody: (r) => ({
      name: r.name,
      environments: r.environments.map((e) => ({ name: e.name, pem: sendBinary(e.pem) })),
    }),
    fromApiObject: (raw, base) => ({
      ...base,
      environments: readEnvironments(raw, ['environments'], (e, env) => {
        const pem = readSecret(e.pem);
        return pem === undefined ? { name: env } : { name: env, pem };
      }),
    }),
    exportShape: (r) => ({
      fields: [],
      environments: r.environments.map((e) => ({
        name: e.name,
        plain: [],
        secrets: [{ field: 'pem', value: e.pem, required: true }],
      })),
      warnings: [],
    }),
    ...(withMaterial
      ? {
          materialFields: (r: DesiredTrust) =>
            r.environments.map((e, environment) => ({
              environment,
              field: 'pem',
              role: 'public-key' as const,
              value: e.pem,
            })),
        }
      : {}),
  });
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const undo of cleanup.reverse()) undo();
  cleanup = [];
});

const trustManifest = (kind: string, pem: string) =>
  `apiVersion: apinizer-gitops/v1\nkind: ${kind}\nmetadata:\n  name: anchors\n  project: Payments\n` +
  `spec:\n  environments:\n    - name: production\n      pem: ${pem}\n`;

describe('the inline-base64 check', () => {
  it("covers every binary secret field of the kind, a current Key's content among them", async () => {
    const current = edit(
      edit(KEY, 'keyType: RSA', 'keyType: public_key'),
      'publicKey: QUJDRA==',
      'content: not base64!!',
    );
    const dir = tempTree({ 'k.yaml': current });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics.map((d) => [d.code, d.line, d.column, d.path])).toContainEqual([
      'invalid-base64',
      10,
      7,
      'spec.environments[0].content',
    ]);
    expect(JSON.stringify(r.diagnostics)).not.toContain('not base64!!');
  });

  it("covers a registered kind's own binary field", async () => {
    cleanup.push(registerKind(trustKind('TrustAnchor', false)));
    const dir = tempTree({
      't.yaml': trustManifest('TrustAnchor', '"-----BEGIN CERTIFICATE-----"') + '  colour: red\n',
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics.map((d) => [d.code, d.path])).toEqual([
      ['invalid-base64', 'spec.environments[0].pem'],
      ['schema', 'spec.colour'],
    ]);
  });
});

describe('material roles from the descriptor', () => {
  const privatePem = generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
    .privateKey.export({ type: 'pkcs8', format: 'pem' })
    .toString();
  const inline = Buffer.from(privatePem).toString('base64');
  const material = { now: new Date('2026-06-01T00:00:00Z'), expiryWarnDays: 30, cache: false as const };

  it("inspects a registered kind's fields by the roles it declares, at file:line:col", async () => {
    cleanup.push(registerKind(trustKind('TrustAnchor', true)));
    const dir = tempTree({ 't.yaml': trustManifest('TrustAnchor', inline) });
    const r = await loadManifests(['.'], { cwd: dir, env: {}, material });
    expect(r.diagnostics.map((d) => [d.code, d.file, d.line, d.column, d.path])).toEqual([
      ['key-wrong-kind', 't.yaml', 9, 7, 'spec.environments[0].pem'],
    ]);
    expect(JSON.stringify(r.diagnostics)).not.toContain(inline);
  });

  it('leaves the secrets of a kind without the hook uninspected', async () => {
    cleanup.push(registerKind(trustKind('PlainAnchor', false)));
    const dir = tempTree({ 't.yaml': trustManifest('PlainAnchor', inline) });
    const r = await loadManifests(['.'], { cwd: dir, env: {}, material });
    expect(r.diagnostics).toEqual([]);
  });
});

describe('plan prose from the descriptor', () => {
  const prune = (current: CurrentResource[]) =>
    buildPlan({
      desired: { resources: [], projects: ['Payments'] },
      current,
      scopes: [...new Set(current.map((c) => c.kind))].map((kind) => ({ project: 'Payments', kind })),
      prune: true,
      allowEmptyPrune: true,
      extraProjects: [],
      server: 'https://manager.test',
      createdAt: '2026-01-01T00:00:00Z',
      generations: new Map([['Payments', 'current']]),
    });

  it("warns about JWKs once when a key-material kind's resources are deleted on a current server", () => {
    const plan = prune([currentOf(aKey({ name: 'a' })), currentOf(aKey({ name: 'b' }))]);
    expect(plan.summary.delete).toBe(2);
    expect(plan.warnings.filter((w) => w.includes('jwkDeleteAction'))).toHaveLength(1);
  });

  it('adds no JWK warning for a kind that says nothing about deletes', () => {
    cleanup.push(registerKind(trustKind('PlainAnchor', false)));
    const anchor: CurrentTrust = {
      kind: 'PlainAnchor',
      project: 'Payments',
      name: 'x',
      description: '',
      environments: [],
    };
    const plan = prune([anchor]);
    expect(plan.summary.delete).toBe(1);
    expect(plan.warnings.filter((w) => w.includes('jwkDeleteAction'))).toEqual([]);
    expect(descriptorOf('PlainAnchor').prose).toBeUndefined();
  });
});

describe("export's identity rules", () => {
  it('follow a kind registered after the first export, and a kind registered again', () => {
    expect(identityProblem({ kind: 'Key', project: 'Payments', name: 'ok' })).toBeNull();
    const undo = registerKind(trustKind('LateAnchor', false));
    expect(identityProblem({ kind: 'LateAnchor', project: 'Payments', name: 'any name' })).toBeNull();
    undo();
    // The same name again, now with a schema that restricts names: its own rules, not the cached ones.
    const strict = trustKind('LateAnchor', false);
    const schema = strict.schema as { properties: { metadata: { properties: Record<string, object> } } };
    schema.properties.metadata.properties.name = { type: 'string', pattern: '^[a-z]+$', maxLength: 10 };
    cleanup.push(registerKind(strict));
    expect(identityProblem({ kind: 'LateAnchor', project: 'Payments', name: 'any name' })).toMatch(/its name is not/);
  });
});

describe('a kind defined in code', () => {
  it('may $ref the shared definitions of schemas/common.schema.json, for validate and export alike', async () => {
    const shared = trustKind('SharedAnchor', false);
    const schema = shared.schema as { properties: Record<string, unknown> };
    schema.properties.metadata = { $ref: 'common.schema.json#/$defs/metadata' };
    cleanup.push(registerKind(shared));
    const dir = tempTree({
      't.yaml': edit(trustManifest('SharedAnchor', 'QUJDRA=='), 'project: Payments', 'project: ".."'),
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([['schema', 'metadata.project', 5]]);
    expect(identityProblem({ kind: 'SharedAnchor', project: 'Payments', name: 'any name' })).toMatch(/its name is not/);
  });
});
