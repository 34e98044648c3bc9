// Held secrets: the plan's memory cut that reads the server's copy of unchanged material as the
// manifest's own Secret. What must hold is that it changes nothing a plan can see: only exactly the
// same text is read as a held Secret; changed, masked, re-wrapped and unknown values are read as
// before, and a plan over the real client is the same with and without it.
import { describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import type { CurrentKey, DesiredKey } from '../../src/kinds/key.js';
import type { DesiredKeystore } from '../../src/kinds/keystore.js';
import { heldSecrets, readSecret } from '../../src/kinds/material.js';
import { desiredSecrets, readPlan } from '../../src/reconcile/run-plan.js';
import { Secret } from '../../src/secret.js';
import { aKey, aKeyEnvironment, aKeystore, privateKeyFor } from '../support/builders.js';
import { useEmulator } from '../support/emulator.js';

describe('desiredSecrets', () => {
  it('holds every binary secret of the manifests, and no text secret', () => {
    const key = aKey();
    const store: DesiredKeystore = aKeystore({ name: 'current-store' });
    const password = new Secret('a keystore password');
    store.environments[0]!.password = password;
    const held = desiredSecrets({ resources: [key, store], projects: ['Payments'] });
    for (const e of key.environments) {
      for (const s of [e.publicKey, e.privateKey]) if (s) expect(held.find(s.reveal())).toBe(s);
    }
    expect(held.find(store.environments[0]!.file.reveal())).toBe(store.environments[0]!.file);
    expect(held.find(password.reveal())).toBeUndefined();
  });
});

describe('readSecret with held secrets', () => {
  const mine = privateKeyFor('production');
  const held = heldSecrets([mine, privateKeyFor('staging')]);

  it('reads exactly the held text as the held Secret', () => {
    expect(readSecret(mine.reveal(), held)).toBe(mine);
  });

  it('reads anything else as without them', () => {
    const other = privateKeyFor('rotated').reveal();
    const wrapped = mine.reveal().replace(/(.{8})/g, '$1\n');
    for (const v of [other, wrapped, '******', '', '  ', null, undefined, 42]) {
      const got = readSecret(v, held);
      const before = readSecret(v);
      expect(got).not.toBe(mine);
      if (before instanceof Secret) expect((got as Secret).reveal()).toBe(before.reveal());
      else expect(got).toBe(before);
    }
  });
});

describe('heldSecrets', () => {
  it('finds exactly the held texts, whatever their samples share', () => {
    // Texts of one length that differ in one character only, at every position: the sampled
    // hash sees few of those differences, the comparison all of them.
    const base = 'QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0'.repeat(3);
    const texts = [...base].map((_, i) => base.slice(0, i) + (base[i] === 'A' ? 'B' : 'A') + base.slice(i + 1));
    const secrets = texts.filter((_, i) => i % 2 === 0).map((t) => new Secret(t));
    const held = heldSecrets([...secrets, new Secret(secrets[0]!.reveal())]);
    texts.forEach((t, i) => {
      const found = held.find(t);
      if (i % 2 === 0) expect(found).toBe(secrets[i / 2]);
      else expect(found).toBeUndefined();
    });
    expect(held.find(base)).toBeUndefined();
    expect(held.find('')).toBeUndefined();
  });

  it('finds a held text by its bytes anywhere in a buffer, and only texts whose JSON literal is their bytes', () => {
    const a = new Secret('QUJD'.repeat(30));
    const quoted = new Secret(`${'QUJD'.repeat(30)}"`);
    const accented = new Secret(`${'QUJD'.repeat(30)}é`);
    const held = heldSecrets([a, quoted, accented]);
    const bytes = Buffer.from(`{"v":"${a.reveal()}","w":"${a.reveal().slice(1)}X"}`);
    const at = bytes.indexOf(a.reveal());
    expect(held.findBytes(bytes, at, at + a.reveal().length)).toBe(a);
    expect(held.findBytes(bytes, at + 1, at + a.reveal().length)).toBeUndefined();
    expect(held.findBytes(bytes, at, at + a.reveal().length - 1)).toBeUndefined();
    const w = bytes.lastIndexOf('QUJ');
    expect(held.findBytes(bytes, w - 1, w - 1 + a.reveal().length)).toBeUndefined();
    expect(held.findBytes(bytes, 3, 3)).toBeUndefined();
    for (const s of [quoted, accented]) {
      const b = Buffer.from(s.reveal(), 'latin1');
      expect(held.findBytes(b, 0, b.length)).toBeUndefined();
      expect(held.find(s.reveal())).toBe(s);
    }
  });
});

describe('a plan through the real client', () => {
  const emulator = useEmulator({ projects: [{ name: 'Payments', environments: ['production', 'test'] }] });

  it('reads unchanged material as the manifest Secret and plans exactly as without held secrets', async () => {
    const client = createApiClient({ server: emulator().url, auth: { token: emulator().token }, timeoutMs: 5000 });
    try {
      const unchanged = aKey({ name: 'unchanged' });
      const changed: DesiredKey = aKey({
        name: 'changed',
        environments: [aKeyEnvironment('production'), aKeyEnvironment('test')],
      });
      for (const r of [unchanged, changed]) expect((await client.create(r)).ok).toBe(true);
      changed.environments[1]!.privateKey = privateKeyFor('test', 'rotated');
      const desired = { resources: [changed, unchanged], projects: ['Payments'] };
      const options = { prune: false, allowEmptyPrune: false, extraProjects: [], server: emulator().url };

      const outcome = await readPlan(desired, client, options);
      expect(outcome.ok).toBe(true);
      const byName = new Map(outcome.plan!.actions.map((a) => [a.name, a]));
      const current = byName.get('unchanged')!.current as CurrentKey;
      expect(current.environments[0]!.privateKey).toBe(unchanged.environments[0]!.privateKey);
      expect(byName.get('changed')!.changes).toEqual([{ path: 'environments.test.privateKey', sensitive: true }]);

      // The same plan from lists read without held secrets.
      const plain = { ...client, list: (p: string, k: string) => client.list(p, k) };
      const reference = await readPlan(desired, plain, options);
      const shape = (o: typeof outcome) =>
        o.plan!.actions.map((a) => ({
          ...a,
          desired: undefined,
          current: undefined,
          fingerprints: { desired: a.fingerprints.desired, current: a.fingerprints.current },
        }));
      expect(shape(outcome)).toEqual(shape(reference));
      expect(outcome.plan!.summary).toEqual({ create: 0, update: 1, delete: 0, noop: 1 });
    } finally {
      await client.close();
    }
  });
});
