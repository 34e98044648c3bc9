import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import type { CurrentResource, DesiredState } from '../../src/model.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import { fingerprintCurrent, fingerprintDesired } from '../../src/reconcile/fingerprint.js';
import { buildPlan, checkEnvironments, listScopes } from '../../src/reconcile/plan.js';
import type { PlanInput } from '../../src/reconcile/plan.js';
import { Secret } from '../../src/secret.js';
import {
  aCurrentKey,
  aCurrentKeystore,
  aKey,
  aKeystore,
  currentOf,
  desiredState,
  privateKeyFor,
  publicKeyFor,
} from '../support/builders.js';

function planOf(desired: DesiredState, current: CurrentResource[], options: Partial<PlanInput> = {}) {
  const prune = options.prune ?? false;
  const allowEmptyPrune = options.allowEmptyPrune ?? false;
  const extraProjects = options.extraProjects ?? [];
  return buildPlan({
    desired,
    current,
    scopes: listScopes(desired, { prune, allowEmptyPrune, extraProjects }),
    prune,
    allowEmptyPrune,
    extraProjects,
    server: 'https://manager.example.com',
    createdAt: '2024-05-01T10:00:00.000Z',
    ...options,
  });
}

const summaryOf = (p: ReturnType<typeof planOf>) =>
  p.actions.map((a) => `${a.action} ${a.kind} ${a.project}/${a.name}`);

describe('buildPlan', () => {
  it('creates what the server lacks, updates what differs, and lists the rest as noops', () => {
    const desired = desiredState(
      aKey({ name: 'a' }),
      aKey({ name: 'b', description: 'new' }),
      aKey({ name: 'c' }),
      aKeystore(),
    );
    const plan = planOf(desired, [
      aCurrentKey({ name: 'b', description: 'old' }),
      aCurrentKey({ name: 'c' }),
      aCurrentKeystore(),
    ]);
    expect(summaryOf(plan)).toEqual([
      'create Key Payments/a',
      'update Key Payments/b',
      'noop Key Payments/c',
      'noop Keystore Payments/partner-mtls',
    ]);
    expect(plan.summary).toEqual({ create: 1, update: 1, delete: 0, noop: 2 });
    expect(plan.actions[1]!.changes).toEqual([{ path: 'description', before: 'old', after: 'new', sensitive: false }]);
    expect(plan.actions[0]!.source).toEqual({ file: 'keys/a.yaml', line: 1, column: 1 });
    expect(plan.actions[0]!.desired?.name).toBe('a');
    expect(plan.actions[1]!.current?.name).toBe('b');
    expect(plan.server).toBe('https://manager.example.com');
    expect(plan.createdAt).toBe('2024-05-01T10:00:00.000Z');
  });

  it('never deletes without prune', () => {
    const plan = planOf(desiredState(aKey()), [aCurrentKey(), aCurrentKey({ name: 'stray' })]);
    expect(summaryOf(plan)).toEqual(['noop Key Payments/payments-signing']);
    expect(plan.warnings).toEqual([]);
  });

  it('with prune deletes strays only in (project, kind) pairs that hold a manifest, and warns about the rest', () => {
    const desired = desiredState(aKey({ project: 'Payments' }), aKeystore({ project: 'Identity' }));
    const current = [
      aCurrentKey({ project: 'Payments' }),
      aCurrentKey({ project: 'Payments', name: 'old-key' }),
      aCurrentKeystore({ project: 'Payments', name: 'hand-managed' }),
      aCurrentKeystore({ project: 'Identity', name: 'old-store' }),
      aCurrentKey({ project: 'Identity', name: 'hand-managed-key' }),
    ];
    const plan = planOf(desired, current, {
      prune: true,
      scopes: [
        { project: 'Identity', kind: 'Key' },
        { project: 'Identity', kind: 'Keystore' },
        { project: 'Payments', kind: 'Key' },
        { project: 'Payments', kind: 'Keystore' },
      ],
    });
    expect(summaryOf(plan)).toEqual([
      'noop Key Payments/payments-signing',
      'create Keystore Identity/partner-mtls',
      'delete Keystore Identity/old-store',
      'delete Key Payments/old-key',
    ]);
    expect(plan.warnings).toEqual([
      'Key in project Identity: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)',
      'Keystore in project Payments: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)',
    ]);
    const del = plan.actions.find((a) => a.name === 'old-key')!;
    expect(del.source).toBeUndefined();
    expect(del.fingerprints.desired).toBeNull();
    expect(del.fingerprints.current).toMatch(/^[0-9a-f]{64}$/);
  });

  it('warns about both kinds of a project named only by --project', () => {
    const plan = planOf(desiredState(aKey()), [aCurrentKey()], { prune: true, extraProjects: ['Identity'] });
    expect(plan.warnings).toEqual([
      'Key in project Identity: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)',
      'Keystore in project Identity: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)',
      'Keystore in project Payments: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)',
    ]);
  });

  it('with allowEmptyPrune deletes in both kinds of every named project, kinds in reverse order', () => {
    const desired = desiredState(aKey());
    const current = [
      aCurrentKey({ name: 'z-old' }),
      aCurrentKeystore({ name: 'store' }),
      aCurrentKey({ project: 'Identity', name: 'idk' }),
      aCurrentKey({ project: 'Elsewhere', name: 'untouched' }),
    ];
    const plan = planOf(desired, current, { prune: true, allowEmptyPrune: true, extraProjects: ['Identity'] });
    expect(summaryOf(plan)).toEqual([
      'create Key Payments/payments-signing',
      'delete Keystore Payments/store',
      'delete Key Identity/idk',
      'delete Key Payments/z-old',
    ]);
    expect(plan.warnings).toEqual([]);
    expect(plan.summary).toEqual({ create: 1, update: 0, delete: 3, noop: 0 });
  });

  it('only deletes what a listed scope returned', () => {
    const desired = desiredState(aKey());
    const plan = planOf(desired, [aCurrentKey({ name: 'stray' })], { prune: true, scopes: [] });
    expect(plan.summary.delete).toBe(0);
  });

  it('an empty desired state with allowEmptyPrune and --project deletes everything there', () => {
    const plan = planOf({ resources: [], projects: [] }, [aCurrentKey(), aCurrentKeystore()], {
      prune: true,
      allowEmptyPrune: true,
      extraProjects: ['Payments'],
    });
    expect(summaryOf(plan)).toEqual(['delete Keystore Payments/partner-mtls', 'delete Key Payments/payments-signing']);
  });

  it('sorts in kind order, then project, then name, whatever the input order', () => {
    const desired: DesiredState = {
      resources: [
        aKeystore({ name: 'a' }),
        aKey({ project: 'Zeta', name: 'b' }),
        aKey({ project: 'Alpha', name: 'c' }),
        aKey({ project: 'Alpha', name: 'a' }),
      ],
      projects: ['Alpha', 'Payments', 'Zeta'],
    };
    expect(summaryOf(planOf(desired, []))).toEqual([
      'create Key Alpha/a',
      'create Key Alpha/c',
      'create Key Zeta/b',
      'create Keystore Payments/a',
    ]);
  });

  it('keeps unknown fields on a noop and is not fooled by a masking server', () => {
    const key = aKey();
    const plan = planOf(desiredState(key), [currentOf(key, 'masked')]);
    expect(plan.actions[0]!.action).toBe('noop');
    expect(plan.actions[0]!.unknownFields).toEqual([
      'environments.production.publicKey',
      'environments.production.privateKey',
      'environments.test.publicKey',
    ]);
  });

  it('says why a removed environment may be planned again (a server that merges environment lists, SPEC §5)', () => {
    const full = aKey();
    const withoutTest = aKey({ environments: full.environments.filter((e) => e.name !== 'test') });
    const plan = planOf(desiredState(withoutTest, aKey({ name: 'other' })), [
      currentOf(full),
      aCurrentKey({ name: 'other', description: 'old' }),
    ]);
    expect(summaryOf(plan)).toEqual(['update Key Payments/other', 'update Key Payments/payments-signing']);
    expect(plan.warnings).toEqual([
      'Key Payments/payments-signing: the update removes environment "test"; if this change is planned again after apply, the server merges environment lists instead of replacing them (apply then reports the resource failed): remove it by hand in the Apinizer Manager',
    ]);
    // No warning when nothing is removed, nor for a create or a delete.
    expect(planOf(desiredState(full), [currentOf(withoutTest)]).warnings).toEqual([]);
  });

  it('claims no API generation when no project was asked (an empty folder), and names the one or mixed otherwise', () => {
    expect(planOf(desiredState(), [], { generations: new Map() }).apiGeneration).toBeUndefined();
    const one = new Map([['Payments', 'current' as const]]);
    expect(planOf(desiredState(aKey()), [], { generations: one }).apiGeneration).toBe('current');
    const two = new Map([
      ['Payments', 'current' as const],
      ['Identity', 'legacy' as const],
    ]);
    const both = desiredState(aKey(), aKey({ project: 'Identity' }));
    expect(planOf(both, [], { generations: two }).apiGeneration).toBe('mixed');
  });

  it('carries the diagnostics it is given, sorted', () => {
    const d = (file: string, line: number): Diagnostic => ({
      code: 'unknown-environment',
      severity: 'error',
      message: 'm',
      file,
      line,
      column: 1,
      path: '',
    });
    const plan = planOf(desiredState(aKey()), [], { diagnostics: [d('b.yaml', 1), d('a.yaml', 9), d('a.yaml', 2)] });
    expect(plan.diagnostics.map((x) => `${x.file}:${x.line}`)).toEqual(['a.yaml:2', 'a.yaml:9', 'b.yaml:1']);
  });
});

describe('listScopes', () => {
  const desired = desiredState(
    aKey({ project: 'Payments' }),
    aKeystore({ project: 'Identity' }),
    aKey({ project: 'Identity', name: 'k' }),
  );

  it('lists the (project, kind) pairs the manifests touch, sorted', () => {
    const expected = [
      { project: 'Identity', kind: 'Key' },
      { project: 'Identity', kind: 'Keystore' },
      { project: 'Payments', kind: 'Key' },
    ];
    expect(listScopes(desired, { prune: false, allowEmptyPrune: false, extraProjects: ['Other'] })).toEqual(expected);
    expect(listScopes(desired, { prune: true, allowEmptyPrune: false, extraProjects: ['Other'] })).toEqual(expected);
  });

  it('with prune and allowEmptyPrune lists both kinds of every named project', () => {
    expect(listScopes(desired, { prune: true, allowEmptyPrune: true, extraProjects: ['Other'] })).toEqual([
      { project: 'Identity', kind: 'Key' },
      { project: 'Identity', kind: 'Keystore' },
      { project: 'Other', kind: 'Key' },
      { project: 'Other', kind: 'Keystore' },
      { project: 'Payments', kind: 'Key' },
      { project: 'Payments', kind: 'Keystore' },
    ]);
  });

  it('lists nothing for an empty state without allowEmptyPrune', () => {
    expect(
      listScopes({ resources: [], projects: [] }, { prune: true, allowEmptyPrune: false, extraProjects: ['P'] }),
    ).toEqual([]);
  });
});

describe('checkEnvironments', () => {
  it('names an unknown environment at the resource and the environments the project has', () => {
    const key = aKey({
      environments: [
        { name: 'production', publicKey: publicKeyFor('p') },
        { name: 'staging', publicKey: publicKeyFor('s') },
      ],
    });
    const diagnostics = checkEnvironments(desiredState(key), new Map([['Payments', ['test', 'production']]]));
    expect(diagnostics).toEqual([
      {
        code: 'unknown-environment',
        severity: 'error',
        file: 'keys/payments-signing.yaml',
        line: 1,
        column: 1,
        path: 'spec.environments[1].name',
        resource: 'Key Payments/payments-signing',
        message: 'environment "staging" does not exist in project Payments (it has: production, test)',
      },
    ]);
  });

  it('reports a project the server does not know', () => {
    const diagnostics = checkEnvironments(
      desiredState(aKeystore({ project: 'Nope' })),
      new Map([['Payments', ['production']]]),
    );
    expect(diagnostics).toHaveLength(1);
    expect(diagnostics[0]).toMatchObject({
      code: 'unknown-project',
      severity: 'error',
      resource: 'Keystore Nope/partner-mtls',
    });
    expect(diagnostics[0]!.message).toContain('"Nope"');
  });

  it('is silent when every environment exists', () => {
    expect(
      checkEnvironments(desiredState(aKey(), aKeystore()), new Map([['Payments', ['production', 'test']]])),
    ).toEqual([]);
  });
});

describe('fingerprints', () => {
  const key = aKey();

  it('are equal for desired and current when the server holds the same object', () => {
    expect(fingerprintCurrent(currentOf(key))).toBe(fingerprintDesired(key));
    expect(fingerprintCurrent(currentOf(aKeystore()))).toBe(fingerprintDesired(aKeystore()));
  });

  it('ignore environment order, base64 whitespace, keystore type case and server-only fields', () => {
    const current = currentOf(key) as CurrentKey;
    const noisy = {
      ...current,
      id: 'abc',
      projectId: 'p1',
      environments: [...current.environments].reverse().map((e) => ({
        ...e,
        environmentId: 'e1',
        publicKey: new Secret(`${(e.publicKey as Secret).reveal()}\n`),
      })),
    } as CurrentKey;
    expect(fingerprintCurrent(noisy)).toBe(fingerprintDesired(key));
    const ks = aKeystore();
    const lower = currentOf(ks) as { environments: { type: string }[] };
    lower.environments[0]!.type = 'pkcs12';
    expect(fingerprintCurrent(lower as unknown as CurrentResource)).toBe(fingerprintDesired(ks));
  });

  it('change when a secret changes, and differ from the desired one when the server masks secrets', () => {
    const rotated = aKey({
      environments: [
        { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('rotated') },
        key.environments[1]!,
      ],
    });
    expect(fingerprintDesired(rotated)).not.toBe(fingerprintDesired(key));
    expect(fingerprintCurrent(currentOf(key, 'masked'))).not.toBe(fingerprintDesired(key));
    expect(fingerprintCurrent(currentOf(key, 'masked'))).toBe(fingerprintCurrent(currentOf(key, 'absent')));
  });

  it('are SHA-256 hex', () => {
    expect(fingerprintDesired(key)).toMatch(/^[0-9a-f]{64}$/);
  });
});
