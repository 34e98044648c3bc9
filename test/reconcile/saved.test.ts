import { describe, expect, it } from 'vitest';
import type { CurrentResource, DesiredState } from '../../src/model.js';
import { buildPlan, listScopes } from '../../src/reconcile/plan.js';
import { renderPlanJson } from '../../src/reconcile/render/json.js';
import { compareWithSavedPlan, planToJson } from '../../src/reconcile/saved.js';
import {
  aCurrentKey,
  aKey,
  aKeystore,
  currentOf,
  desiredState,
  privateKeyFor,
  publicKeyFor,
} from '../support/builders.js';

function plan(desired: DesiredState, current: CurrentResource[], prune = false) {
  const o = { prune, allowEmptyPrune: false, extraProjects: [] };
  return buildPlan({
    desired,
    current,
    scopes: listScopes(desired, o),
    ...o,
    server: 'https://m',
    createdAt: '2024-01-01T00:00:00.000Z',
  });
}

/** A plan as `apply --plan` reads it back from the file `plan --format json --out` wrote. */
const saved = (p: ReturnType<typeof plan>): unknown => JSON.parse(renderPlanJson(p));

describe('compareWithSavedPlan', () => {
  const key = aKey();
  const store = aKeystore();
  const desired = desiredState(key, store);
  const current = [aCurrentKey({ description: 'old' })];

  it('finds no difference when nothing moved (noops included)', () => {
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(desired, current))).toEqual([]);
    const all = [currentOf(key), currentOf(store)];
    expect(compareWithSavedPlan(saved(plan(desired, all)), plan(desired, all))).toEqual([]);
  });

  it('ignores the time the plan was made', () => {
    const later = { ...plan(desired, current), createdAt: '2030-01-01T00:00:00.000Z' };
    expect(compareWithSavedPlan(saved(plan(desired, current)), later)).toEqual([]);
  });

  it('notices a manifest change', () => {
    const edited = desiredState(aKey({ description: 'edited after review' }), store);
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(edited, current))).toEqual([
      'Key Payments/payments-signing: the manifests changed since the plan was saved (desired fingerprint differs)',
    ]);
  });

  it('notices a secret rotated in Git, although no secret is in the plan', () => {
    const rotated = desiredState(
      aKey({
        environments: [
          { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('new') },
          key.environments[1]!,
        ],
      }),
      store,
    );
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(rotated, current))).toEqual([
      'Key Payments/payments-signing: the manifests changed since the plan was saved (desired fingerprint differs)',
    ]);
  });

  it('notices a change on the server, and an action that changed', () => {
    const drifted = [aCurrentKey({ description: 'changed by hand' })];
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(desired, drifted))).toEqual([
      'Key Payments/payments-signing: the object on the server changed since the plan was saved (current fingerprint differs)',
    ]);
    const created = [...current, currentOf(store)];
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(desired, created))).toEqual([
      'Keystore Payments/partner-mtls: the saved plan says create, the plan now says noop',
      'Keystore Payments/partner-mtls: the object on the server changed since the plan was saved (current fingerprint differs)',
    ]);
  });

  it('notices resources added to or missing from the plan', () => {
    const fewer = desiredState(key);
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(fewer, current))).toEqual([
      'Keystore Payments/partner-mtls: in the saved plan (create) but not planned now',
    ]);
    const more = desiredState(key, store, aKey({ name: 'extra' }));
    expect(compareWithSavedPlan(saved(plan(desired, current)), plan(more, current))).toEqual([
      'Key Payments/extra: planned now (create) but not in the saved plan',
    ]);
  });

  it('refuses a document that is not a readable plan, with a clear sentence', () => {
    const fresh = plan(desired, current);
    const good = planToJson(fresh);
    const cases: [unknown, RegExp][] = [
      [null, /not a JSON object/],
      [[], /not a JSON object/],
      [{ ...good, formatVersion: 2 }, /formatVersion 2, but this version of apinizer-gitops reads formatVersion 1/],
      [{ actions: [] }, /no formatVersion/],
      [{ formatVersion: 1 }, /no "actions" list/],
      [
        { formatVersion: 1, actions: [{ action: 'create', kind: 'Key', project: 'P', name: 'n' }] },
        /actions\[0\] has no "fingerprints"/,
      ],
      [
        {
          formatVersion: 1,
          actions: [
            { action: 'explode', kind: 'Key', project: 'P', name: 'n', fingerprints: { desired: null, current: null } },
          ],
        },
        /actions\[0\] has no valid "action"/,
      ],
      [
        {
          formatVersion: 1,
          actions: [
            { action: 'noop', kind: 'Key', project: 'P', name: 'n', fingerprints: { desired: 'x', current: null } },
          ],
        },
        /malformed "fingerprints"/,
      ],
    ];
    for (const [doc, message] of cases) {
      const result = compareWithSavedPlan(doc, fresh);
      expect(result).toHaveLength(1);
      expect(result[0]).toMatch(message);
      expect(result[0]).toContain('plan --format json --out FILE');
    }
  });
});

describe('planToJson', () => {
  it('lists every action with source, changes, unknown fields and fingerprints, and no internal objects', () => {
    const key = aKey();
    const json = planToJson(plan(desiredState(key), [currentOf(key, 'masked'), aCurrentKey({ name: 'stray' })], true));
    expect(json.summary).toEqual({ create: 0, update: 0, delete: 1, noop: 1 });
    expect(json.actions[0]).toEqual({
      action: 'noop',
      kind: 'Key',
      project: 'Payments',
      name: 'payments-signing',
      source: { file: 'keys/payments-signing.yaml', line: 1 },
      changes: [],
      unknownFields: [
        'environments.production.publicKey',
        'environments.production.privateKey',
        'environments.test.publicKey',
      ],
      fingerprints: {
        desired: expect.stringMatching(/^[0-9a-f]{64}$/),
        current: expect.stringMatching(/^[0-9a-f]{64}$/),
      },
    });
    expect(json.actions[1]).toMatchObject({
      action: 'delete',
      name: 'stray',
      source: null,
      fingerprints: { desired: null },
    });
  });
});

describe('compareWithSavedPlan and the write options', () => {
  const currentPlan = (desired: DesiredState, current: CurrentResource[]) =>
    buildPlan({
      desired,
      current,
      scopes: listScopes(desired, { prune: false, allowEmptyPrune: false, extraProjects: [] }),
      prune: false,
      allowEmptyPrune: false,
      extraProjects: [],
      server: 'https://m',
      createdAt: '2024-01-01T00:00:00.000Z',
      generations: new Map([['Payments', 'current' as const]]),
    });
  const key = aKey({ description: 'new' });
  const current = [aCurrentKey({ description: 'old' })];

  it('refuses a plan saved by an earlier version, which does not record the options an update sends now', () => {
    const doc = saved(currentPlan(desiredState(key), current)) as { actions: Record<string, unknown>[] };
    for (const a of doc.actions) delete a.writeOptions;
    expect(compareWithSavedPlan(doc, currentPlan(desiredState(key), current))).toEqual([
      'Key Payments/payments-signing: the saved plan does not record the write options this update sends now ' +
        '(jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT); it was made by an earlier version',
    ]);
  });

  it('refuses a plan whose write options were edited in the file', () => {
    const doc = saved(currentPlan(desiredState(key), current)) as {
      actions: { writeOptions: { query: Record<string, string> } }[];
    };
    doc.actions[0]!.writeOptions.query = { jwkUpdateAction: 'NULLIFY' };
    expect(compareWithSavedPlan(doc, currentPlan(desiredState(key), current))).toEqual([
      'Key Payments/payments-signing: the write options changed since the plan was saved ' +
        '(saved: jwkUpdateAction=NULLIFY; now: jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT)',
    ]);
  });
});
