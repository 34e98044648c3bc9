import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { KINDS, b64, keyBody, keystoreBody } from './builders.js';
import { call } from './http.js';

describe('emulator API, documented dialect', () => {
  const emulator = useEmulator();
  beforeEach(() => {
    emulator().store.clear();
    emulator().configure({ dialect: 'documented', maskSecrets: false, hideFromList: [], failDeploymentTo: [] });
  });

  describe.each(KINDS)('$label', ({ segment, label, listField, body }) => {
    const base = `/apiops/projects/Payments/${segment}/`;

    it('creates, reads, lists, updates and deletes, with server-only fields in reads', async () => {
      const e = emulator();
      const created = await call(e, 'POST', base, { body: body('alpha', {}, ['production', 'test']) });
      expect(created.status).toBe(200);
      expect(created.body.success).toBe(true);
      expect(
        created.body.deploymentResult.environmentResults.map((r: { environmentName: string }) => r.environmentName),
      ).toEqual(['production', 'test']);

      const got = await call(e, 'GET', `${base}alpha/`);
      expect(got.status).toBe(200);
      const object = got.body.resultList[0];
      expect(got.body.resultList).toHaveLength(1);
      expect(object).toMatchObject({
        name: 'alpha',
        description: 'alpha description',
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        projectId: expect.any(String),
      });
      for (const entry of object[listField]) expect(entry.environmentId).toEqual(expect.any(String));
      expect(object[listField][0]).toMatchObject(
        (body('alpha', {}, ['production']) as Record<string, unknown[]>)[listField]![0]!,
      );

      const listed = await call(e, 'GET', base);
      expect(listed.body).toEqual({ success: true, resultList: [object] });

      const updated = await call(e, 'PUT', `${base}alpha/`, {
        body: body('alpha', { description: 'changed' }, ['test']),
      });
      expect(updated.status).toBe(200);
      expect(updated.body.deploymentResult.environmentResults).toEqual([
        { environmentName: 'test', success: true, message: 'Deployed successfully' },
      ]);
      const after = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      expect(after.description).toBe('changed');
      expect(after.id).toBe(object.id);
      expect(after[listField].map((x: { environmentName: string }) => x.environmentName)).toEqual(['test']);

      const deleted = await call(e, 'DELETE', `${base}alpha/`);
      expect(deleted.status).toBe(200);
      expect(deleted.body.deploymentResult.environmentResults).toEqual([
        { environmentName: 'test', success: true, message: 'Deployed successfully' },
      ]);
      expect((await call(e, 'GET', `${base}alpha/`)).status).toBe(404);
      expect((await call(e, 'GET', base)).body.resultList).toEqual([]);
      expect(e.stats().writes).toBeGreaterThanOrEqual(3);
    });

    it('answers 400 bad_request "already exist" to a create of an existing name, and keeps the first', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      const again = await call(e, 'POST', base, { body: body('alpha', { description: 'second' }) });
      expect(again.status).toBe(400);
      expect(again.body).toEqual({
        error: 'bad_request',
        error_description: `${label} (name: alpha) is already exist! Try update operation if want to change its value.`,
      });
      expect((await call(e, 'GET', `${base}alpha/`)).body.resultList[0].description).toBe('alpha description');
    });

    it.each(['GET', 'PUT', 'DELETE'])('answers 404 not_found to %s of a missing name', async (method) => {
      const e = emulator();
      const reply = await call(e, method, `${base}ghost/`, method === 'PUT' ? { body: body('ghost') } : {});
      expect(reply.status).toBe(404);
      expect(reply.body.error).toBe('not_found');
      expect(reply.body.error_description).toMatch(/ghost.*not found/);
      expect(e.store.get('Payments', label, 'ghost')).toBeUndefined();
    });

    it('refuses a PUT whose body names another object, changing nothing', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      const reply = await call(e, 'PUT', `${base}alpha/`, { body: body('beta') });
      expect(reply.status).toBe(400);
      expect(reply.body.error_description).toContain('does not match');
      expect(e.store.get('Payments', label, 'beta')).toBeUndefined();
    });

    it('validates environments against the project and names the unknown one', async () => {
      const e = emulator();
      // Identity has production and test, not staging.
      const reply = await call(e, 'POST', `/apiops/projects/Identity/${segment}/`, {
        body: body('alpha', {}, ['production', 'staging']),
      });
      expect(reply.status).toBe(400);
      expect(reply.body.error).toBe('validation_failed');
      expect(reply.body.error_description).toContain('Environment (name: staging)');
      expect(reply.body.error_description).toContain('Identity');
      expect(reply.body.validation_errors).toEqual([
        { field: `${listField}[1].environmentName`, message: expect.stringContaining('staging') },
      ]);
      expect(e.store.list('Identity', label)).toEqual([]);
    });

    it.each([
      ['list', 'GET', ''],
      ['get', 'GET', 'alpha/'],
      ['create', 'POST', ''],
      ['update', 'PUT', 'alpha/'],
      ['delete', 'DELETE', 'alpha/'],
    ])('answers 400 for an unknown project on %s', async (_op, method, suffix) => {
      const e = emulator();
      const reply = await call(
        e,
        method,
        `/apiops/projects/Nowhere/${segment}/${suffix}`,
        method === 'POST' || method === 'PUT' ? { body: body('alpha') } : {},
      );
      expect(reply.status).toBe(400);
      expect(reply.body).toEqual({
        error: 'bad_request',
        error_description: 'Project not found for name: (Nowhere) or user has not privilege to access it!',
      });
    });

    it('accepts paths without the trailing slash, URL-decodes names and keeps them case-sensitive', async () => {
      const e = emulator();
      const odd = 'My Key/2 ü';
      expect((await call(e, 'POST', base.slice(0, -1), { body: body(odd) })).status).toBe(200);
      expect((await call(e, 'POST', base, { body: body('alpha') })).status).toBe(200);
      expect((await call(e, 'POST', base, { body: body('Alpha') })).status).toBe(200);
      expect((await call(e, 'GET', `${base}${encodeURIComponent(odd)}`)).body.resultList[0].name).toBe(odd);
      expect((await call(e, 'GET', `${base}ALPHA/`)).status).toBe(404);
      expect((await call(e, 'GET', base.slice(0, -1))).body.resultList.map((o: { name: string }) => o.name)).toEqual([
        odd,
        'alpha',
        'Alpha',
      ]);
      expect((await call(e, 'DELETE', `${base}${encodeURIComponent(odd)}`)).status).toBe(200);
    });

    it('ignores server-only fields a client sends back and keeps unknown ones', async () => {
      const e = emulator();
      const sent = body('alpha', { id: 'client-made-id', projectId: 'x' });
      (sent[listField] as Record<string, unknown>[])[0]!.environmentId = 'client-env-id';
      (sent[listField] as Record<string, unknown>[])[0]!.alias = 'first';
      expect((await call(e, 'POST', base, { body: sent })).status).toBe(200);
      const stored = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      expect(stored.id).not.toBe('client-made-id');
      expect(stored.projectId).not.toBe('x');
      expect(stored[listField][0].environmentId).not.toBe('client-env-id');
      expect(stored[listField][0].alias).toBe('first');
    });

    it('masks secret fields in reads with maskSecrets, but stores them', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      e.configure({ maskSecrets: true });
      const listed = (await call(e, 'GET', base)).text;
      const got = (await call(e, 'GET', `${base}alpha/`)).text;
      const secrets =
        segment === 'keys'
          ? [b64('public alpha production'), b64('private alpha production')]
          : [b64('keystore alpha production')];
      for (const text of [listed, got]) {
        expect(text).toContain('"******"');
        for (const s of secrets) expect(text).not.toContain(s);
      }
      const raw = JSON.stringify(e.store.get('Payments', label, 'alpha'));
      for (const s of secrets) expect(raw).toContain(s);
    });

    it('leaves hideFromList names out of lists only', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      await call(e, 'POST', base, { body: body('hidden') });
      e.configure({ hideFromList: ['hidden'] });
      expect((await call(e, 'GET', base)).body.resultList.map((o: { name: string }) => o.name)).toEqual(['alpha']);
      expect((await call(e, 'GET', `${base}hidden/`)).status).toBe(200);
      expect((await call(e, 'POST', base, { body: body('hidden') })).body.error_description).toMatch(/already exist/);
    });

    it('reports a failed deployment per environment and still saves the object', async () => {
      const e = emulator();
      e.configure({ failDeploymentTo: ['staging'] });
      const reply = await call(e, 'POST', base, { body: body('alpha', {}, ['production', 'staging']) });
      expect(reply.status).toBe(200);
      expect(reply.body.success).toBe(true);
      expect(reply.body.deploymentResult.success).toBe(false);
      expect(reply.body.deploymentResult.environmentResults).toEqual([
        { environmentName: 'production', success: true, message: 'Deployed successfully' },
        { environmentName: 'staging', success: false, message: expect.stringContaining('staging') },
      ]);
      expect(e.store.get('Payments', label, 'alpha')).toBeDefined();
    });
  });

  describe('body validation', () => {
    const env = (o: Record<string, unknown>) => [{ environmentName: 'production', ...o }];
    it.each([
      ['keys', 'not JSON', '{"name":', /not valid JSON/],
      ['keys', 'an array', [], /JSON object/],
      ['keys', 'no name', keyBody('x', { name: undefined }), /name is required/],
      ['keys', 'an empty name', keyBody('x', { name: '  ' }), /name is required/],
      ['keys', 'no keyType', keyBody('x', { keyType: undefined }), /keyType/],
      [
        'keys',
        'no environment list',
        keyBody('x', { cryptoKeyInfoEnvironmentList: undefined }),
        /cryptoKeyInfoEnvironmentList/,
      ],
      [
        'keys',
        'a PEM private key',
        keyBody('x', { cryptoKeyInfoEnvironmentList: env({ privateKey: '-----BEGIN PRIVATE KEY-----' }) }),
        /privateKey must be base64/,
      ],
      [
        'keys',
        'an entry without key material',
        keyBody('x', { cryptoKeyInfoEnvironmentList: env({}) }),
        /publicKey or a privateKey/,
      ],
      ['keys', 'an environment twice', keyBody('x', {}, ['test', 'test']), /listed twice/],
      [
        'keys',
        'an entry without environmentName',
        keyBody('x', { cryptoKeyInfoEnvironmentList: [{ publicKey: 'QUJD' }] }),
        /environmentName is required/,
      ],
      [
        'keystores',
        'type PEM',
        keystoreBody('x', { keyStoreEnvironmentList: env({ type: 'PEM', file: 'QUJD' }) }),
        /type must be JKS or PKCS12/,
      ],
      [
        'keystores',
        'no file',
        keystoreBody('x', { keyStoreEnvironmentList: env({ type: 'JKS' }) }),
        /file is required/,
      ],
      [
        'keystores',
        'a file that is not base64',
        keystoreBody('x', { keyStoreEnvironmentList: env({ type: 'JKS', file: 'not base64!' }) }),
        /file must be base64/,
      ],
    ])('%s: refuses %s with 400 and stores nothing', async (segment, _what, sent, message) => {
      const e = emulator();
      const reply = await call(e, 'POST', `/apiops/projects/Payments/${segment}/`, { body: sent });
      expect(reply.status).toBe(400);
      expect(reply.body.error_description).toMatch(message);
      expect(e.store.size()).toBe(0);
    });

    it('accepts a key with only a private key (SECRET_KEY) and a JKS keystore', async () => {
      const e = emulator();
      const secretKey = keyBody('hmac', {
        keyType: 'SECRET_KEY',
        cryptoKeyInfoEnvironmentList: env({ privateKey: b64('0123456789abcdef') }),
      });
      expect((await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: secretKey })).status).toBe(200);
      const jks = keystoreBody('jks', { keyStoreEnvironmentList: env({ type: 'JKS', file: b64('jks bytes') }) });
      expect((await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: jks })).status).toBe(200);
    });
  });

  describe('projects and environments', () => {
    it('lists projects in the status shape the docs show', async () => {
      const reply = await call(emulator(), 'GET', '/apiops/projects/');
      expect(reply.status).toBe(200);
      expect(reply.body).toMatchObject({ status: 'SUCCESS', resultCount: 2 });
      expect(reply.body.resultList.map((p: { name: string }) => p.name)).toEqual(['Payments', 'Identity']);
      expect(reply.body.resultList[0]).toEqual({
        id: expect.any(String),
        name: 'Payments',
        description: expect.any(String),
      });
    });

    it.each(['/apiops/environments/Identity', '/apiops/environments/Identity/'])(
      'lists the environments of a project at %s',
      async (path) => {
        const reply = await call(emulator(), 'GET', path);
        expect(reply.status).toBe(200);
        expect(reply.body).toMatchObject({ success: true, resultCount: 2 });
        expect(reply.body.resultList.map((x: { name: string }) => x.name)).toEqual(['production', 'test']);
        for (const x of reply.body.resultList)
          expect(Object.keys(x)).toEqual(
            expect.arrayContaining(['name', 'description', 'type', 'status', 'accessUrl']),
          );
      },
    );

    it('lists all environments at /apiops/environments/', async () => {
      const reply = await call(emulator(), 'GET', '/apiops/environments/');
      expect(reply.body.resultList.map((x: { name: string }) => x.name)).toEqual(['production', 'staging', 'test']);
    });

    it('answers 400 for the environments of an unknown project, URL-decoding its name', async () => {
      const reply = await call(emulator(), 'GET', `/apiops/environments/${encodeURIComponent('No Such')}`);
      expect(reply.status).toBe(400);
      expect(reply.body.error_description).toBe(
        'Project not found for name: (No Such) or user has not privilege to access it!',
      );
    });

    it('serves configured projects', async () => {
      const e = emulator();
      e.configure({ projects: [{ name: 'My Project', environments: ['dev'] }] });
      try {
        expect(
          (await call(e, 'GET', '/apiops/environments/My%20Project')).body.resultList.map(
            (x: { name: string }) => x.name,
          ),
        ).toEqual(['dev']);
        expect((await call(e, 'GET', '/apiops/projects/Payments/keys/')).status).toBe(400);
      } finally {
        e.configure({
          projects: [
            { name: 'Payments', environments: ['production', 'staging', 'test'] },
            { name: 'Identity', environments: ['production', 'test'] },
          ],
        });
      }
    });
  });

  describe('other paths', () => {
    it.each([
      ['DELETE', '/apiops/projects/Payments/keys/', 405],
      ['POST', '/apiops/projects/Payments/keys/alpha/', 405],
      ['GET', '/apiops/auth/token', 405],
      ['GET', '/apiops/projects/Payments/certificates/', 404],
      ['GET', '/apiops/nothing', 404],
      ['GET', '/elsewhere', 404],
      ['GET', '/apiops/projects/Payments/keys/%E0%A4%A/', 400],
    ])('%s %s answers %i', async (method, path, status) => {
      const reply = await call(emulator(), method, path);
      expect(reply.status).toBe(status);
      expect(reply.body.error).toEqual(expect.any(String));
    });
  });
});
