// Property tests for the rule SPEC §4 cares most about: once applied, a desired state plans as
// no changes, whatever the server does to lists, base64 wrapping, enum case or secret masking;
// and the plan does not depend on the order of its inputs.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { CurrentResource, DesiredResource, DesiredState } from '../../src/model.js';
import type { DesiredKey, KeyEnvironment } from '../../src/kinds/key.js';
import type { DesiredKeystore } from '../../src/kinds/keystore.js';
import { buildPlan, listScopes } from '../../src/reconcile/plan.js';
import { planToJson } from '../../src/reconcile/saved.js';
import { Secret } from '../../src/secret.js';
import { desiredState } from '../support/builders.js';
import type { SecretReadMode } from '../support/builders.js';

const RUNS = 150;

const secretArb = fc
  .uint8Array({ minLength: 1, maxLength: 48 })
  .map((b) => new Secret(Buffer.from(b).toString('base64')));
const envNameArb = fc.constantFrom('production', 'staging', 'test', 'dev', 'eu-west.1');
const nameArb = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,12}$/);
const projectArb = fc.constantFrom('Payments', 'Identity', 'Ops');
const descriptionArb = fc.oneof(fc.constant(''), fc.string({ maxLength: 40 }));
const source = { file: 'm.yaml', line: 1, column: 1 };

const keyEnvArb = (name: string) =>
  fc
    .record({
      publicKey: fc.option(secretArb, { nil: undefined }),
      privateKey: fc.option(secretArb, { nil: undefined }),
    })
    .filter((e) => e.publicKey !== undefined || e.privateKey !== undefined)
    .map((e) => {
      const env: KeyEnvironment = { name };
      if (e.publicKey) env.publicKey = e.publicKey;
      if (e.privateKey) env.privateKey = e.privateKey;
      return env;
    });

const envNamesArb = fc.uniqueArray(envNameArb, { minLength: 1, maxLength: 4 });

const keyArb: fc.Arbitrary<DesiredKey> = fc
  .record({
    project: projectArb,
    name: nameArb,
    description: descriptionArb,
    keyType: fc.constantFrom('RSA', 'EC', 'SECRET_KEY'),
    envNames: envNamesArb,
  })
  .chain(({ envNames, ...rest }) =>
    fc
      .tuple(...envNames.map(keyEnvArb))
      .map((environments) => ({ kind: 'Key' as const, ...rest, environments, source })),
  );

const keystoreArb: fc.Arbitrary<DesiredKeystore> = fc
  .record({ project: projectArb, name: nameArb, description: descriptionArb, envNames: envNamesArb })
  .chain(({ envNames, ...rest }) =>
    fc
      .tuple(
        ...envNames.map((name) =>
          fc
            .record({ type: fc.constantFrom('JKS' as const, 'PKCS12' as const), file: secretArb })
            .map((e) => ({ name, ...e })),
        ),
      )
      .map((environments) => ({ kind: 'Keystore' as const, ...rest, environments, source })),
  );

const stateArb: fc.Arbitrary<DesiredState> = fc
  .uniqueArray(fc.oneof(keyArb, keystoreArb), {
    maxLength: 8,
    selector: (r) => `${r.kind}/${r.project}/${r.name}`,
  })
  .map((resources) => desiredState(...resources));

/** A small deterministic PRNG so a failing case reproduces from fast-check's seed alone. */
function rng(seed: number): () => number {
  let t = seed >>> 0;
  return () => {
    t = (t + 0x6d2b79f5) >>> 0;
    let r = Math.imul(t ^ (t >>> 15), 1 | t);
    r ^= r + Math.imul(r ^ (r >>> 7), 61 | r);
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(items: readonly T[], random: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Base64 as a server might return it: wrapped at 76 or 64 columns, CRLF, trailing newline. */
function rewrap(s: Secret, random: () => number): Secret {
  const width = random() < 0.5 ? 76 : 64;
  const eol = random() < 0.5 ? '\n' : '\r\n';
  const text = s.reveal().replace(new RegExp(`(.{${width}})`, 'g'), `$1${eol}`);
  return new Secret(random() < 0.5 ? `${text}${eol}` : text);
}

/**
 * What a server holds after applying `r`, read back with noise: environments reordered, base64
 * re-wrapped, keystore types lower-cased, an empty description absent, server-only fields added,
 * and secrets shown, masked or left out according to `mode` ('mixed' decides per field).
 */
function serverImage(resource: DesiredResource, mode: SecretReadMode | 'mixed', random: () => number): CurrentResource {
  const r = resource as DesiredKey | DesiredKeystore;
  const read = (s: Secret | undefined): Secret | 'masked' | undefined => {
    if (s === undefined) return undefined;
    const m = mode === 'mixed' ? (['plain', 'masked', 'absent'] as const)[Math.floor(random() * 3)]! : mode;
    return m === 'plain' ? rewrap(s, random) : m === 'masked' ? 'masked' : undefined;
  };
  const serverOnly = { id: `id-${Math.floor(random() * 1e6)}`, projectId: 'p-1' };
  const description = r.description === '' && random() < 0.5 ? (undefined as unknown as string) : r.description;
  if (r.kind === 'Key') {
    const environments = shuffle(r.environments, random).map((e) => {
      const env: Record<string, unknown> = { name: e.name, environmentId: 'e-1', alias: e.name };
      const pub = read(e.publicKey);
      const priv = read(e.privateKey);
      if (pub !== undefined) env.publicKey = pub;
      if (priv !== undefined) env.privateKey = priv;
      return env;
    });
    return {
      ...serverOnly,
      kind: 'Key',
      project: r.project,
      name: r.name,
      description,
      keyType: r.keyType,
      environments,
    } as unknown as CurrentResource;
  }
  const environments = shuffle(r.environments, random).map((e) => {
    const env: Record<string, unknown> = {
      name: e.name,
      environmentId: 'e-1',
      type: random() < 0.5 ? e.type.toLowerCase() : e.type,
    };
    const file = read(e.file);
    if (file !== undefined) env.file = file;
    return env;
  });
  return {
    ...serverOnly,
    kind: 'Keystore',
    project: r.project,
    name: r.name,
    description,
    environments,
  } as unknown as CurrentResource;
}

function plan(desired: DesiredState, current: CurrentResource[], prune = true) {
  const options = { prune, allowEmptyPrune: false, extraProjects: [] };
  return buildPlan({
    desired,
    current,
    scopes: listScopes(desired, options),
    ...options,
    server: 'https://m.example',
    createdAt: '2024-01-01T00:00:00.000Z',
  });
}

function secretFieldsOf(resource: DesiredResource): string[] {
  const r = resource as DesiredKey | DesiredKeystore;
  return r.environments.flatMap((e) =>
    (['publicKey', 'privateKey', 'file'] as const)
      .filter((f) => (e as unknown as Record<string, unknown>)[f] !== undefined)
      .map((f) => `environments.${e.name}.${f}`),
  );
}

describe('plan after apply (property)', () => {
  it('is all noops, with equal fingerprints, when the server shows secrets', () => {
    fc.assert(
      fc.property(stateArb, fc.integer(), (desired, seed) => {
        const random = rng(seed);
        const current = shuffle(
          desired.resources.map((r) => serverImage(r, 'plain', random)),
          random,
        );
        const p = plan(desired, current);
        expect(p.summary).toEqual({ create: 0, update: 0, delete: 0, noop: desired.resources.length });
        for (const a of p.actions) {
          expect(a.changes).toEqual([]);
          expect(a.unknownFields).toEqual([]);
          expect(a.fingerprints.current).toBe(a.fingerprints.desired);
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('is all noops, with the hidden secrets listed as unknown, when the server masks or omits secrets', () => {
    fc.assert(
      fc.property(
        stateArb,
        fc.constantFrom<SecretReadMode>('masked', 'absent'),
        fc.integer(),
        (desired, mode, seed) => {
          const random = rng(seed);
          const current = desired.resources.map((r) => serverImage(r, mode, random));
          const p = plan(desired, current);
          expect(p.summary.noop).toBe(desired.resources.length);
          for (const a of p.actions) {
            expect(a.changes).toEqual([]);
            expect([...a.unknownFields].sort()).toEqual(secretFieldsOf(a.desired!).sort());
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('is all noops when each secret field is shown, masked or left out at random', () => {
    fc.assert(
      fc.property(stateArb, fc.integer(), (desired, seed) => {
        const random = rng(seed);
        const p = plan(
          desired,
          desired.resources.map((r) => serverImage(r, 'mixed', random)),
        );
        expect(p.summary).toEqual({ create: 0, update: 0, delete: 0, noop: desired.resources.length });
      }),
      { numRuns: RUNS },
    );
  });

  it('does not depend on the order of desired resources or of the server list', () => {
    fc.assert(
      fc.property(stateArb, stateArb, fc.integer(), (desired, other, seed) => {
        const random = rng(seed);
        // The server holds another state (some overlap, some strays), so every action type occurs.
        const held = new Map(
          [...other.resources, ...desired.resources.slice(0, 3)].map((r) => [`${r.kind}/${r.project}/${r.name}`, r]),
        );
        const current = [...held.values()].map((r) => serverImage(r, 'plain', random));
        const shuffledDesired: DesiredState = {
          resources: shuffle(desired.resources, random),
          projects: [...desired.projects],
        };
        const a = planToJson(plan(desired, current));
        const b = planToJson(plan(shuffledDesired, shuffle(current, random)));
        expect(b).toEqual(a);
      }),
      { numRuns: RUNS },
    );
  });
});
