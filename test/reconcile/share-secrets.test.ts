// shareEqualSecrets: the plan's memory cut that lets the server's copy of unchanged material go.
// What must hold is that it changes nothing a plan can see: only secrets with exactly the same
// text are shared, and a changed, masked or extra secret is left as the server reported it.
import { describe, expect, it } from 'vitest';
import type { CurrentKey, KeyEnvironment } from '../../src/kinds/key.js';
import { resourceKey, type DesiredResource } from '../../src/model.js';
import { shareEqualSecrets } from '../../src/reconcile/run-plan.js';
import { Secret } from '../../src/secret.js';
import { aKey, aKeyEnvironment, currentOf, privateKeyFor } from '../support/builders.js';

const byKey = (...rs: DesiredResource[]) => new Map(rs.map((r) => [resourceKey(r), r]));

describe('shareEqualSecrets', () => {
  it('points an unchanged secret at the desired Secret and leaves a changed one alone', () => {
    const desired = aKey();
    const current = currentOf(desired) as CurrentKey;
    const [prod, test] = current.environments;
    // The server's copy: equal text in a distinct object, as JSON.parse makes it.
    prod!.publicKey = new Secret((prod!.publicKey as Secret).reveal());
    test!.privateKey = privateKeyFor('rotated');
    const changed = test!.privateKey;
    shareEqualSecrets([current], byKey(desired));
    const d = desired.environments;
    expect(prod!.publicKey).toBe(d[0]!.publicKey);
    expect(test!.privateKey).toBe(changed);
  });

  it('leaves masked values, whitespace variants and resources the manifests do not hold as they were', () => {
    const desired = aKey({ environments: [aKeyEnvironment('production')] });
    const current = currentOf(desired) as CurrentKey;
    const env = current.environments[0]!;
    env.privateKey = 'masked';
    const wrapped = (desired.environments[0] as KeyEnvironment).publicKey!.reveal().replace(/(.{8})/g, '$1\n');
    env.publicKey = new Secret(wrapped);
    const before = env.publicKey;
    const other = currentOf(aKey({ name: 'not-in-manifests' })) as CurrentKey;
    const otherSecret = other.environments[0]!.publicKey;
    shareEqualSecrets([current, other], byKey(desired));
    expect(env.privateKey).toBe('masked');
    expect(env.publicKey).toBe(before);
    expect(other.environments[0]!.publicKey).toBe(otherSecret);
  });
});
