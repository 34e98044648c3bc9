// The client against the real emulator over real HTTP: every call, in both answer dialects.
import { describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient } from '../../src/api/client.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import type { CurrentKeystore, DesiredKeystore } from '../../src/kinds/keystore.js';
import { Secret } from '../../src/secret.js';
import { aKey, aKeyEnvironment, aKeystore } from '../support/builders.js';
import { useEmulator } from '../support/emulator.js';
import type { RunningEmulator } from '../../src/emulator/index.js';

function clientFor(emulator: RunningEmulator, server = emulator.url): ApiClient {
  return createApiClient({ server, auth: { token: emulator.token }, timeoutMs: 5000 });
}

/** Unwraps a Result, failing the test with the error's message when it is not ok. */
function value<T>(r: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!r.ok) throw new Error(`expected ok, got ${r.error.name}: ${r.error.message}`);
  return r.value;
}

for (const dialect of ['documented', 'status'] as const) {
  describe(`every call (${dialect} dialect)`, () => {
    const emulator = useEmulator({
      dialect,
      projects: [
        { name: 'Payments', environments: ['production', 'staging', 'test'] },
        { name: 'My Project', environments: ['production'] },
      ],
    });

    it('lists projects and the environments of a project', async () => {
      const client = clientFor(emulator());
      try {
        expect(value(await client.listProjects())).toEqual(['Payments', 'My Project']);
        expect(value(await client.environments('Payments'))).toEqual(['production', 'staging', 'test']);
        expect(value(await client.environments('My Project'))).toEqual(['production']);
      } finally {
        await client.close();
      }
    });

    it('creates, reads, updates and deletes a key', async () => {
      const client = clientFor(emulator());
      const key = aKey({ name: `k-${dialect}` });
      try {
        const created = value(await client.create(key));
        expect(created.deployment.map((d) => d.environment).sort()).toEqual(['production', 'test']);
        expect(created.deployment.every((d) => d.success)).toBe(true);

        const stored = emulator().store.get('Payments', 'Key', key.name);
        expect(stored?.cryptoKeyInfoEnvironmentList).toEqual([
          expect.objectContaining({
            environmentName: 'production',
            publicKey: key.environments[0]!.publicKey!.reveal(),
          }),
          expect.objectContaining({ environmentName: 'test', publicKey: key.environments[1]!.publicKey!.reveal() }),
        ]);

        const got = value(await client.get(key)) as CurrentKey;
        expect(got).toMatchObject({
          kind: 'Key',
          project: 'Payments',
          name: key.name,
          description: key.description,
          keyType: 'RSA',
        });
        expect(got.environments.map((e) => e.name)).toEqual(['production', 'test']);
        expect((got.environments[0]!.privateKey as Secret).equals(key.environments[0]!.privateKey!)).toBe(true);
        expect(got.environments[1]!.privateKey).toBeUndefined();

        const listed = value(await client.list('Payments', 'Key'));
        expect(listed.map((r) => r.name)).toContain(key.name);

        value(await client.update({ ...key, description: 'changed' }));
        expect(value(await client.get(key))?.description).toBe('changed');

        const again = await client.create(key);
        expect(again.ok).toBe(false);
        if (!again.ok) {
          expect(again.error.kind).toBe('already-exists');
          expect(again.error.status).toBe(400);
          expect(again.error.message).toMatch(/already exist/);
          expect(again.error.attempts).toBe(1);
        }

        const deleted = value(await client.delete(key));
        expect(deleted.deployment.length).toBeGreaterThan(0);
        expect(value(await client.get(key))).toBeNull();

        const deletedAgain = await client.delete(key);
        expect(deletedAgain.ok ? 'ok' : deletedAgain.error.kind).toBe('not-found');
        const updatedMissing = await client.update(key);
        expect(updatedMissing.ok ? 'ok' : updatedMissing.error.kind).toBe('not-found');
      } finally {
        await client.close();
      }
    });

    it('creates, reads, updates and deletes a keystore', async () => {
      const client = clientFor(emulator());
      const ks = aKeystore({ name: `ks-${dialect}` });
      try {
        value(await client.create(ks));
        const got = value(await client.get(ks)) as CurrentKeystore;
        expect(got).toMatchObject({ kind: 'Keystore', name: ks.name, description: ks.description });
        expect(got.environments[0]).toMatchObject({ name: 'production', type: 'PKCS12' });
        expect((got.environments[0]!.file as Secret).equals(ks.environments[0]!.file)).toBe(true);
        expect(value(await client.list('Payments', 'Keystore')).map((r) => r.name)).toContain(ks.name);
        value(
          await client.update({ ...ks, environments: [{ ...ks.environments[0]!, type: 'JKS' }] } as DesiredKeystore),
        );
        expect((value(await client.get(ks)) as CurrentKeystore).environments[0]!.type).toBe('JKS');
        const again = await client.create(ks);
        expect(again.ok ? 'ok' : again.error.kind).toBe('already-exists');
        value(await client.delete(ks));
        expect(value(await client.get(ks))).toBeNull();
      } finally {
        await client.close();
      }
    });

    it('URL-encodes a project name with a space', async () => {
      const client = clientFor(emulator());
      const key = aKey({ project: 'My Project', name: 'spaced', environments: [aKeyEnvironment('production')] });
      try {
        value(await client.create(key));
        expect(emulator().store.get('My Project', 'Key', 'spaced')).toBeDefined();
        expect(value(await client.list('My Project', 'Key')).map((r) => r.name)).toEqual(['spaced']);
        expect(value(await client.get(key))?.project).toBe('My Project');
        value(await client.delete(key));
      } finally {
        await client.close();
      }
    });

    it('calls an unknown project not-found, naming it, and never a missing object', async () => {
      const client = clientFor(emulator());
      try {
        for (const r of [
          await client.list('Paymnts', 'Key'),
          await client.environments('Paymnts'),
          await client.get({ kind: 'Key', project: 'Paymnts', name: 'x' }),
        ]) {
          expect(r.ok).toBe(false);
          if (r.ok) continue;
          expect(r.error.kind).toBe('project-not-found');
          expect(r.error.status).toBe(400);
          expect(r.error.hint).toMatch(/project "Paymnts" does not exist/);
        }
      } finally {
        await client.close();
      }
    });

    it('reports a failed deployment per environment', async () => {
      emulator().configure({ failDeploymentTo: ['test'] });
      const client = clientFor(emulator());
      const key = aKey({ name: `deploy-${dialect}` });
      try {
        const created = value(await client.create(key));
        expect(created.deployment.find((d) => d.environment === 'test')).toMatchObject({ success: false });
        expect(created.deployment.find((d) => d.environment === 'production')).toMatchObject({ success: true });
        value(await client.delete(key));
      } finally {
        emulator().configure({ failDeploymentTo: [] });
        await client.close();
      }
    });

    it('reads masked secrets as masked', async () => {
      const client = clientFor(emulator());
      const key = aKey({ name: `masked-${dialect}` });
      try {
        value(await client.create(key));
        emulator().configure({ maskSecrets: true });
        const got = value(await client.get(key)) as CurrentKey;
        expect(got.environments[0]!.privateKey).toBe('masked');
        const listed = value(await client.list('Payments', 'Key')).find((r) => r.name === key.name) as CurrentKey;
        expect(listed.environments[0]!.publicKey).toBe('masked');
      } finally {
        emulator().configure({ maskSecrets: false });
        await client.delete(key);
        await client.close();
      }
    });
  });
}

describe('the server URL', () => {
  const emulator = useEmulator();
  it.each(['', '/', '/apiops', '/apiops/'])('tolerates a base URL ending in %j', async (suffix) => {
    const client = clientFor(emulator(), `${emulator().url}${suffix}`);
    try {
      expect(value(await client.listProjects())).toContain('Payments');
    } finally {
      await client.close();
    }
  });
});
