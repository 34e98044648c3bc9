// The pure decisions of a watch cycle: what changed between two valid states, what is still owed
// to the server, what may be pruned, when a noop must still be written, and what counts as drift.
import { describe, expect, it } from 'vitest';
import { resourceKey } from '../../src/model.js';
import { fingerprintDesired } from '../../src/reconcile/fingerprint.js';
import { buildPlan } from '../../src/reconcile/plan.js';
import {
  confirmRemovals,
  deleteAction,
  describeDrift,
  desiredChanges,
  fingerprintOf,
  forceWhereNeeded,
  incrementalPlan,
  pendingResources,
  removalsToDelete,
  sameDesired,
  splitResync,
  type Suspect,
  type SyncedEntry,
} from '../../src/watch/cycle.js';
import { aKey, aKeystore, aSecret, currentOf, desiredState, secretNeedles } from '../support/builders.js';

const synced = (...rs: ReturnType<typeof aKey | typeof aKeystore>[]) =>
  new Map<string, SyncedEntry>(rs.map((r) => [resourceKey(r), { fingerprint: fingerprintOf(r), resource: r }]));

const meta = { server: 'http://127.0.0.1:1', createdAt: '2026-01-01T00:00:00.000Z' };

describe('desiredChanges', () => {
  it('sorts resources into added, changed, removed and unchanged by content, not by object identity', () => {
    const before = desiredState(aKey({ name: 'a' }), aKey({ name: 'b' }), aKeystore({ name: 's' }));
    // Freshly built objects with the same content (as every reload makes) are unchanged.
    const after = desiredState(aKey({ name: 'a' }), aKey({ name: 'b', description: 'new' }), aKey({ name: 'c' }));
    const d = desiredChanges(before, after);
    expect(d.added.map((r) => r.name)).toEqual(['c']);
    expect(d.changed.map((r) => r.name)).toEqual(['b']);
    expect(d.removed).toEqual([{ kind: 'Keystore', project: 'Payments', name: 's' }]);
    expect(d.unchanged).toBe(1);
  });

  it('sees a changed secret and ignores where the manifest lives', () => {
    const before = desiredState(aKey());
    const rotated = aKey({ environments: [{ name: 'production', privateKey: aSecret('rotated private key') }] });
    expect(desiredChanges(before, desiredState(rotated)).changed).toHaveLength(1);
    const moved = aKey({ source: { file: 'elsewhere.yaml', line: 40, column: 1 } });
    expect(desiredChanges(before, desiredState(moved)).unchanged).toBe(1);
  });

  it('compares field by field before hashing, and agrees with the fingerprint either way', () => {
    const base = aKey();
    const cases = [
      aKey(),
      aKey({ description: 'other' }),
      aKey({ keyType: 'EC' }),
      aKey({ environments: [...base.environments].reverse() }), // same content, other order
      aKey({ environments: [base.environments[0]!] }),
      aKey({ updateReferencedJwks: 'ALL_PROJECTS' }), // not part of the fingerprint
      aKey({
        environments: [
          { name: 'production', publicKey: aSecret('x'), privateKey: base.environments[0]!.privateKey! },
          base.environments[1]!,
        ],
      }),
    ];
    for (const c of cases) {
      const verdict = desiredChanges(desiredState(aKey()), desiredState(c)).changed.length === 0;
      expect(verdict).toBe(fingerprintDesired(c) === fingerprintDesired(base));
      if (sameDesired(base, c)) expect(fingerprintDesired(c)).toBe(fingerprintDesired(base));
    }
    expect(
      sameDesired(
        aKeystore(),
        aKeystore({ environments: [{ name: 'production', type: 'PKCS12', file: aSecret('other') }] }),
      ),
    ).toBe(false);
    expect(sameDesired(aKeystore(), aKeystore())).toBe(true);
    expect(sameDesired(aKey(), aKeystore())).toBe(false);
  });

  it('treats everything as added when there is no previous state', () => {
    expect(desiredChanges(null, desiredState(aKey(), aKeystore())).added).toHaveLength(2);
  });
});

describe('pendingResources', () => {
  it('is what differs from the last synced version, plus owed redeploys', () => {
    const a = aKey({ name: 'a' });
    const b = aKey({ name: 'b' });
    const c = aKey({ name: 'c' });
    const state = desiredState(a, aKey({ name: 'b', description: 'changed' }), c);
    const pending = pendingResources(state, synced(a, b, c), new Set([resourceKey(c)]));
    expect(pending.map((r) => r.name)).toEqual(['b', 'c']);
    expect(pendingResources(state, new Map(), new Set()).map((r) => r.name)).toEqual(['a', 'b', 'c']);
  });
});

describe('removalsToDelete', () => {
  const removed = [
    { kind: 'Key' as const, project: 'Payments', name: 'gone' },
    { kind: 'Keystore' as const, project: 'Payments', name: 'last-store' },
  ];
  const next = desiredState(aKey({ name: 'stays' }));

  it.each([
    { prune: false, allowEmptyPrune: false, deleted: [], kept: ['gone', 'last-store'] },
    // No Keystore manifest is left in Payments: prune scope no longer holds that kind.
    { prune: true, allowEmptyPrune: false, deleted: ['gone'], kept: ['last-store'] },
    { prune: true, allowEmptyPrune: true, deleted: ['gone', 'last-store'], kept: [] },
  ])(
    'prune $prune, allowEmptyPrune $allowEmptyPrune: deletes $deleted',
    ({ prune, allowEmptyPrune, deleted, kept }) => {
      const r = removalsToDelete(removed, next, { prune, allowEmptyPrune, extraProjects: [] });
      expect(r.delete.map((id) => id.name)).toEqual(deleted);
      expect(r.keep.map((id) => id.name)).toEqual(kept);
    },
  );
});

describe('forceWhereNeeded', () => {
  const planFor = (desired: ReturnType<typeof aKey>, current: ReturnType<typeof currentOf>) =>
    buildPlan({
      desired: desiredState(desired),
      current: [current],
      scopes: [],
      prune: false,
      allowEmptyPrune: false,
      extraProjects: [],
      ...meta,
    }).actions[0]!;

  it('turns a noop into an update when a deployment is owed', () => {
    const k = aKey();
    const a = planFor(k, currentOf(k));
    expect(a.action).toBe('noop');
    expect(forceWhereNeeded(a, k, true).action).toBe('update');
    expect(forceWhereNeeded(a, k, false)).toBe(a);
  });

  it('writes a secret that Git changed although the server masks it; not when Git changed nothing there', () => {
    const old = aKey();
    const rotated = aKey({
      environments: [
        { name: 'production', publicKey: old.environments[0]!.publicKey!, privateKey: aSecret('rotated-private') },
        old.environments[1]!,
      ],
    });
    const masked = planFor(rotated, currentOf(old, 'masked'));
    expect(masked.action).toBe('noop');
    expect(masked.unknownFields).toContain('environments.production.privateKey');
    const forced = forceWhereNeeded(masked, old, false);
    expect(forced.action).toBe('update');
    expect(forced.changes).toEqual([{ path: 'environments.production.privateKey', sensitive: true }]);
    // Same version as last synced: the masked field is unknown, not changed (as plan says).
    expect(forceWhereNeeded(planFor(old, currentOf(old, 'masked')), old, false).action).toBe('noop');
    // Never synced: nothing to compare with, so a plain plan's answer stands.
    expect(forceWhereNeeded(masked, undefined, false).action).toBe('noop');
  });
});

describe('incrementalPlan', () => {
  it('plans one action per fetched resource with the plan diff, and deletes by identity', () => {
    const created = aKey({ name: 'new' });
    const updated = aKey({ name: 'upd', description: 'after' });
    const same = aKeystore();
    const plan = incrementalPlan(
      [
        { desired: created, current: null, redeploy: false },
        { desired: updated, current: currentOf(aKey({ name: 'upd', description: 'before' })), redeploy: false },
        { desired: same, current: currentOf(same), redeploy: false },
      ],
      [{ kind: 'Key', project: 'Payments', name: 'old' }],
      meta,
    );
    expect(plan.actions.map((a) => `${a.action} ${a.name}`)).toEqual([
      'create new',
      'update upd',
      'noop partner-mtls',
      'delete old',
    ]);
    expect(plan.summary).toEqual({ create: 1, update: 1, delete: 1, noop: 1 });
    expect(plan.actions[1]!.changes).toEqual([
      { path: 'description', before: 'before', after: 'after', sensitive: false },
    ]);
    expect(plan.actions[3]).toEqual(deleteAction({ kind: 'Key', project: 'Payments', name: 'old' }));
  });
});

describe('splitResync', () => {
  const plan = (desired: ReturnType<typeof aKey>[], current: ReturnType<typeof currentOf>[]) =>
    buildPlan({
      desired: desiredState(...desired),
      current,
      scopes: [{ project: 'Payments', kind: 'Key' }],
      prune: true,
      allowEmptyPrune: false,
      extraProjects: [],
      ...meta,
    }).actions;

  it('calls a difference drift only where the synced version is the desired one', () => {
    const inSync = aKey({ name: 'in-sync' });
    const drifted = aKey({ name: 'drifted' });
    const changedInGit = aKey({ name: 'git', description: 'new in git' });
    const actions = plan(
      [inSync, drifted, changedInGit],
      [
        currentOf(inSync),
        currentOf(aKey({ name: 'drifted', description: 'edited by hand' })),
        currentOf(aKey({ name: 'git' })),
        currentOf(aKey({ name: 'stray' })),
        currentOf(aKey({ name: 'removed-in-git' })),
      ],
    );
    const split = splitResync(
      actions,
      synced(inSync, drifted, aKey({ name: 'git' })),
      new Set([resourceKey({ kind: 'Key', project: 'Payments', name: 'removed-in-git' })]),
    );
    expect(split.drift.map((a) => `${a.action} ${a.name}`)).toEqual(['update drifted', 'delete stray']);
    expect(split.fromGit.map((a) => `${a.action} ${a.name}`)).toEqual(['update git', 'delete removed-in-git']);
    expect(split.noop.map((a) => a.name)).toEqual(['in-sync']);
  });

  it('finds no drift when nothing was synced yet (the start is a full apply)', () => {
    const k = aKey();
    const split = splitResync(plan([k], [currentOf(aKey({ description: 'other' }))]), new Map(), new Set());
    expect(split.drift).toEqual([]);
    expect(split.fromGit).toHaveLength(1);
  });

  it('describes drift by field paths only, never values', () => {
    const k = aKey({ environments: [{ name: 'production', privateKey: aSecret('drift-secret-value') }] });
    const actions = plan([k], [currentOf(aKey({ description: 'hand' }))]);
    const text = actions.map(describeDrift).join('\n');
    expect(text).toContain('Key Payments/payments-signing: description');
    for (const needle of secretNeedles()) expect(text).not.toContain(needle);
  });
});

describe('confirmRemovals', () => {
  const id = (name: string) => ({ kind: 'Key', project: 'Payments', name });
  const key = (name: string) => resourceKey(id(name));
  const suspects = (...entries: [string, number][]) =>
    new Map<string, Suspect>(entries.map(([name, since]) => [key(name), { id: id(name), since, drift: false }]));
  const names = (xs: { id?: { name: string }; name?: string }[]) => xs.map((x) => x.id?.name ?? x.name).sort();

  it('holds a resource first seen gone, and confirms it only on a confirming read a quiet period later', () => {
    const first = confirmRemovals(new Map(), [id('a')], new Set(), 1_000, { confirming: true, quietMs: 300 });
    expect(names(first.confirmed)).toEqual([]);
    expect(names(first.fresh)).toEqual(['a']);
    expect([...first.waiting.keys()]).toEqual([key('a')]);
    // Too soon, or not a confirming read: still waiting, not fresh again.
    const soon = confirmRemovals(first.waiting, [], new Set(), 1_200, { confirming: true, quietMs: 300 });
    expect(names(soon.confirmed)).toEqual([]);
    expect(soon.fresh).toEqual([]);
    const unconfirmed = confirmRemovals(first.waiting, [], new Set(), 5_000, { confirming: false, quietMs: 300 });
    expect(names(unconfirmed.confirmed)).toEqual([]);
    const later = confirmRemovals(first.waiting, [], new Set(), 1_300, { confirming: true, quietMs: 300 });
    expect(names(later.confirmed)).toEqual(['a']);
    expect(later.waiting.size).toBe(0);
  });

  it('lets go of a suspect that is back, and marks drift as the resync found it', () => {
    const d = confirmRemovals(suspects(['a', 0], ['b', 0]), [id('c')], new Set([key('a')]), 1_000, {
      confirming: true,
      quietMs: 300,
      drift: new Set([key('c')]),
    });
    expect(names(d.back)).toEqual(['a']);
    expect(names(d.confirmed)).toEqual(['b']);
    expect(d.waiting.get(key('c'))).toMatchObject({ drift: true, since: 1_000 });
  });
});
