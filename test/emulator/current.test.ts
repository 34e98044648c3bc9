import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { startEmulator } from '../../src/emulator/index.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import {
  CURRENT_KINDS,
  b64,
  currentKeyBody,
  currentKeystoreBody,
  currentSecretKeyBody,
  keyBody,
  keystoreBody,
  pem,
} from './builders.js';
import { type Reply, call } from './http.js';
import { readZip } from './zip.js';

const KEYS = '/apiops/projects/Payments/keys/';
const KEYSTORES = '/apiops/projects/Payments/keystores/';
const DIALECTS = ['documented', 'status'] as const;

/** The error text of a failed answer, whatever the dialect. */
function message(reply: Reply): string {
  return (reply.body?.error_description ?? reply.body?.resultMessage ?? '') as string;
}

/** Whether the answer is the dialect's success. */
function succeeded(reply: Reply): boolean {
  return reply.status === 200 && (reply.body?.success === true || reply.body?.status === 'SUCCESS');
}

/** The status a request error (400/404) has in a dialect: the status dialect answers 400 for all. */
function requestErrorStatus(dialect: string, documented: number): number {
  return dialect === 'status' ? 400 : documented;
}

describe('which generation the emulator speaks: the environments paths', () => {
  const emulator = useEmulator();

  it.each(DIALECTS)(
    'legacy (%s): /apiops/environments/{p} answers, /apiops/projects/{p}/environments/ is 404',
    async (dialect) => {
      const e = emulator();
      e.configure({ generation: 'legacy', dialect });
      expect((await call(e, 'GET', '/apiops/environments/Payments')).status).toBe(200);
      const probe = await call(e, 'GET', '/apiops/projects/Payments/environments/');
      expect(probe.status).toBe(404);
      // The export-file route does not exist on a legacy server either.
      expect((await call(e, 'GET', `${KEYS}any/export-file/?environmentName=production`)).status).toBe(404);
    },
  );

  it.each(DIALECTS)(
    'current (%s): /apiops/projects/{p}/environments/ answers, the legacy path is 404',
    async (dialect) => {
      const e = emulator();
      e.configure({ generation: 'current', dialect });
      const reply = await call(e, 'GET', '/apiops/projects/Payments/environments/');
      expect(reply.status).toBe(200);
      expect(reply.body.resultCount).toBe(3);
      expect(reply.body.resultList.map((x: { name: string }) => x.name)).toEqual(['production', 'staging', 'test']);
      expect(reply.body.resultList[1]).toEqual({
        id: expect.stringMatching(/^[0-9a-f]{24}$/),
        name: 'staging',
        description: expect.any(String),
        type: 'SANDBOX',
        accessUrl: expect.any(String),
        status: 'PUBLISHED',
        deployed: null,
        redeployRequired: null,
      });
      expect(dialect === 'status' ? reply.body.status : reply.body.success).toBe(
        dialect === 'status' ? 'SUCCESS' : true,
      );
      expect((await call(e, 'GET', '/apiops/environments/Payments')).status).toBe(404);
      const unknown = await call(e, 'GET', '/apiops/projects/Nowhere/environments/');
      expect(unknown.status).toBe(400);
      expect(message(unknown)).toBe('Project (Nowhere) is not found or user does not have privilege to access it!');
    },
  );
});

describe.each(DIALECTS)('current generation, %s dialect', (dialect) => {
  const emulator = useEmulator({ generation: 'current', dialect });
  beforeEach(() => {
    const e = emulator();
    e.store.clear();
    e.configure({
      generation: 'current',
      dialect,
      refuseExport: false,
      keystoreListEnvironmentIds: false,
      maskSecrets: false,
    });
    e.resetStats();
  });

  describe.each(CURRENT_KINDS)('$label', ({ segment, label, listField, body }) => {
    const base = `/apiops/projects/Payments/${segment}/`;
    const secretsOf = (name: string, env: string): string[] =>
      segment === 'keys'
        ? [
            b64(pem('PRIVATE KEY', `private ${name} ${env}`)),
            pem('PRIVATE KEY', `private ${name} ${env}`).split('\n')[1]!,
          ]
        : [b64(`keystore ${name} ${env}`), `password ${name} ${env}`];

    it('creates, reads without material, lists, updates and deletes (undeploy answer)', async () => {
      const e = emulator();
      const created = await call(e, 'POST', base, { body: body('alpha', {}, ['production', 'test']) });
      expect(succeeded(created)).toBe(true);
      expect(
        created.body.deploymentResult.environmentResults.map((r: { environmentName: string }) => r.environmentName),
      ).toEqual(['production', 'test']);

      const got = await call(e, 'GET', `${base}alpha/`);
      expect(got.status).toBe(200);
      expect(got.body.resultList).toHaveLength(1);
      const object = got.body.resultList[0];
      if (segment === 'keys') {
        expect(object).toStrictEqual({
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          name: 'alpha',
          description: 'alpha description',
          projectId: expect.any(String),
          keyType: 'PRIVATE_KEY',
          algorithm: null,
          cryptoKeyInfoEnvironmentList: [
            { environmentName: 'production', alias: 'alpha-production', source: null },
            { environmentName: 'test', alias: 'alpha-test', source: null },
          ],
        });
      } else {
        expect(object).toStrictEqual({
          id: expect.stringMatching(/^[0-9a-f]{24}$/),
          name: 'alpha',
          description: 'alpha description',
          projectId: expect.any(String),
          keyStoreEnvironmentList: [
            { environmentName: 'production', alias: 'alpha-alias', keyStoreType: 'PKCS12' },
            { environmentName: 'test', alias: 'alpha-alias', keyStoreType: 'PKCS12' },
          ],
        });
      }
      const listed = await call(e, 'GET', base);
      expect(listed.body.resultList).toEqual([object]);
      for (const text of [got.text, listed.text]) {
        for (const env of ['production', 'test'])
          for (const secret of secretsOf('alpha', env)) expect(text).not.toContain(secret);
        expect(text).not.toMatch(/"(content|file|password|privateKey|publicKey)"/);
      }

      const updated = await call(e, 'PUT', `${base}alpha/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`, {
        body: body('alpha', { description: 'changed' }, ['test']),
      });
      expect(succeeded(updated)).toBe(true);
      const after = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      expect(after.description).toBe('changed');
      expect(after.id).toBe(object.id);
      expect(after[listField].map((x: { environmentName: string }) => x.environmentName)).toEqual(['test']);

      const deleted = await call(e, 'DELETE', `${base}alpha/?jwkDeleteAction=NULLIFY`);
      expect(succeeded(deleted)).toBe(true);
      expect(deleted.body.deploymentResult).toEqual({
        success: true,
        message: 'Undeployment completed successfully',
        environmentResults: [{ environmentName: 'test', success: true, message: 'Undeployed successfully' }],
      });
      const gone = await call(e, 'GET', `${base}alpha/`);
      expect(gone.status).toBe(requestErrorStatus(dialect, 404));
      expect(message(gone)).toBe(`${label} (name: alpha) is not found!`);
      expect(e.stats().writes).toBe(3);
    });

    it('answers "already exist" to a create of an existing name', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      const again = await call(e, 'POST', base, { body: body('alpha') });
      expect(again.status).toBe(400);
      expect(message(again)).toBe(
        `${label} (name: alpha) is already exist! Try update operation if want to change its value.`,
      );
    });

    it('applies a partial PUT: omitted fields keep their values, a given list replaces the list', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha', {}, ['production', 'test']) });
      const before = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      const onlyDescription = await call(e, 'PUT', `${base}alpha/`, { body: { description: 'just this' } });
      expect(succeeded(onlyDescription)).toBe(true);
      // The deployment covers the environments the object still has.
      expect(onlyDescription.body.deploymentResult.environmentResults).toHaveLength(2);
      const after = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      expect(after).toEqual({ ...before, description: 'just this' });
      // The material of both environments is still there.
      for (const env of ['production', 'test']) {
        expect((await call(e, 'GET', `${base}alpha/export-file/?environmentName=${env}`)).status).toBe(200);
      }

      const staging: Record<string, unknown> = body('alpha', {}, ['staging']);
      await call(e, 'PUT', `${base}alpha/`, { body: { [listField]: staging[listField] } });
      const replaced = (await call(e, 'GET', `${base}alpha/`)).body.resultList[0];
      expect(replaced.description).toBe('just this');
      expect(replaced[listField].map((x: { environmentName: string }) => x.environmentName)).toEqual(['staging']);
      const old = await call(e, 'GET', `${base}alpha/export-file/?environmentName=production`);
      expect(old.status).toBe(400);
      expect(message(old)).toBe('(alpha) has no material for environment (production)! Available: staging');
    });

    it('renames through PUT, keeping the id, and refuses a rename onto an existing name', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      await call(e, 'POST', base, { body: body('beta') });
      const id = e.store.get('Payments', label, 'alpha')!.id;
      const clash = await call(e, 'PUT', `${base}alpha/`, { body: { name: 'beta' } });
      expect(clash.status).toBe(400);
      expect(message(clash)).toContain(`${label} (name: beta) is already exist!`);
      expect(succeeded(await call(e, 'PUT', `${base}alpha/`, { body: { name: 'gamma' } }))).toBe(true);
      expect(e.store.get('Payments', label, 'alpha')).toBeUndefined();
      expect(e.store.get('Payments', label, 'gamma')!.id).toBe(id);
    });

    it('records the JWK parameters of PUT and DELETE in the stats and the request log', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      await call(e, 'PUT', `${base}alpha/?updateScope=ALL_PROJECTS&jwkUpdateAction=UPDATE`, { body: body('alpha') });
      await call(e, 'PUT', `${base}alpha/?jwkUpdateAction=NULLIFY`, { body: body('alpha') });
      await call(e, 'PUT', `${base}alpha/`, { body: body('alpha') });
      await call(e, 'DELETE', `${base}alpha/?jwkDeleteAction=NULLIFY`);
      const byQuery = e.stats().byQuery;
      expect(byQuery).toEqual({
        [`PUT /apiops/projects/{project}/${segment}/{name}/?jwkUpdateAction=UPDATE&updateScope=ALL_PROJECTS`]: 1,
        [`PUT /apiops/projects/{project}/${segment}/{name}/?jwkUpdateAction=NULLIFY`]: 1,
        [`DELETE /apiops/projects/{project}/${segment}/{name}/?jwkDeleteAction=NULLIFY`]: 1,
      });
      const writes = e.requests().filter((r) => r.method !== 'GET');
      expect(writes.map((r) => [r.method, r.path, r.query, r.status])).toEqual([
        ['POST', base, {}, 200],
        ['PUT', `${base}alpha/`, { updateScope: 'ALL_PROJECTS', jwkUpdateAction: 'UPDATE' }, 200],
        ['PUT', `${base}alpha/`, { jwkUpdateAction: 'NULLIFY' }, 200],
        ['PUT', `${base}alpha/`, {}, 200],
        ['DELETE', `${base}alpha/`, { jwkDeleteAction: 'NULLIFY' }, 200],
      ]);
      const overHttp = (await call(e, 'GET', '/__emulator/requests')).body;
      expect(overHttp.requests).toEqual(e.requests());
      // Never a body or a header: only these fields.
      for (const entry of overHttp.requests)
        expect(Object.keys(entry).sort()).toEqual(['method', 'path', 'query', 'route', 'status']);
    });

    it.each([
      ['PUT', 'alpha/?jwkUpdateAction=update', 'Invalid jwkUpdateAction (update)! Supported values: NULLIFY, UPDATE'],
      [
        'PUT',
        'alpha/?jwkUpdateAction=UPDATE&updateScope=ALL',
        'Invalid updateScope (ALL)! Supported values: SAME_PROJECT, ALL_PROJECTS',
      ],
      ['DELETE', 'alpha/?jwkDeleteAction=KEEP', 'Invalid jwkDeleteAction (KEEP)! Supported values: NULLIFY, DELETE'],
    ])('refuses %s with a bad JWK parameter (%s) and changes nothing', async (method, suffix, text) => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      const stored = e.store.get('Payments', label, 'alpha');
      const reply = await call(e, method, `${base}${suffix}`, method === 'PUT' ? { body: { description: 'x' } } : {});
      expect(reply.status).toBe(400);
      expect(message(reply)).toBe(text);
      expect(e.store.get('Payments', label, 'alpha')).toBe(stored);
      expect(e.stats().writes).toBe(1);
    });

    it('exports one environment as a file and all of them as a ZIP, and counts the calls', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha', {}, ['production', 'test']) });
      const one = await call(e, 'GET', `${base}alpha/export-file/?environmentName=test`);
      expect(one.status).toBe(200);
      const ext = segment === 'keys' ? '.pem' : '.p12';
      expect(one.headers.get('content-type')).toBe(
        segment === 'keys' ? 'application/x-pem-file' : 'application/octet-stream',
      );
      expect(one.headers.get('content-disposition')).toContain(`filename="alpha-test${ext}"`);
      const expected = (env: string): Buffer =>
        segment === 'keys'
          ? Buffer.from(pem('PRIVATE KEY', `private alpha ${env}`))
          : Buffer.from(`keystore alpha ${env}`);
      expect(one.bytes.equals(expected('test'))).toBe(true);

      const all = await call(e, 'GET', `${base}alpha/export-file/`);
      expect(all.status).toBe(200);
      expect(all.headers.get('content-type')).toBe('application/octet-stream');
      expect(all.headers.get('content-disposition')).toContain(`filename="alpha-${segment}.zip"`);
      const files = readZip(all.bytes);
      expect([...files.keys()]).toEqual([`alpha-production${ext}`, `alpha-test${ext}`]);
      expect(files.get(`alpha-production${ext}`)!.equals(expected('production'))).toBe(true);

      expect(e.stats()).toMatchObject({ exports: 2, exportsServed: 2, exportsRefused: 0 });
      expect(e.stats().byRoute[`GET /apiops/projects/{project}/${segment}/{name}/export-file/`]).toBe(2);
      expect(
        e.stats().byQuery[`GET /apiops/projects/{project}/${segment}/{name}/export-file/?environmentName=test`],
      ).toBe(1);
    });

    it('answers the documented export errors', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha', {}, ['test', 'staging']) });
      const missing = await call(e, 'GET', `${base}ghost/export-file/?environmentName=test`);
      expect(missing.status).toBe(400);
      expect(message(missing)).toBe(`${label} (name: ghost) is not found!`);
      const noEnv = await call(e, 'GET', `${base}alpha/export-file/?environmentName=prod`);
      expect(noEnv.status).toBe(400);
      expect(message(noEnv)).toBe('(alpha) has no material for environment (prod)! Available: test, staging');
      e.store.put('Payments', label, {
        name: 'empty',
        description: '',
        ...(segment === 'keys' ? { keyType: 'PUBLIC_KEY' } : {}),
        [listField]: [],
      });
      const empty = await call(e, 'GET', `${base}empty/export-file/`);
      expect(empty.status).toBe(400);
      expect(message(empty)).toBe('(empty) carries no environment material to export!');
      if (dialect === 'status') expect(noEnv.body).toStrictEqual({ status: 'FAILURE', resultMessage: message(noEnv) });
      expect(e.stats()).toMatchObject({ exports: 3, exportsServed: 0 });
    });

    it('refuses export-file with 403 when told to, and counts it', async () => {
      const e = emulator();
      await call(e, 'POST', base, { body: body('alpha') });
      e.configure({ refuseExport: true });
      for (const query of ['?environmentName=production', '']) {
        const reply = await call(e, 'GET', `${base}alpha/export-file/${query}`);
        expect(reply.status).toBe(403);
        expect(message(reply)).toContain('EXPORT_IMPORT');
        for (const secret of secretsOf('alpha', 'production')) expect(reply.text).not.toContain(secret);
      }
      expect(e.stats()).toMatchObject({ exports: 2, exportsServed: 0, exportsRefused: 2 });
    });
  });

  describe('key bodies', () => {
    it('requires algorithm on a SECRET_KEY with the documented message, and writes nothing', async () => {
      const e = emulator();
      const { algorithm: _omitted, ...body } = currentSecretKeyBody('hmac');
      const reply = await call(e, 'POST', KEYS, { body });
      expect(reply.status).toBe(400);
      expect(message(reply)).toBe('algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA');
      expect(e.store.size()).toBe(0);
      const nulled = await call(e, 'POST', KEYS, { body: { ...body, algorithm: null } });
      expect(message(nulled)).toBe('algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA');
    });

    it.each(['aes', 'desede', 'HMAC', 'DESEDE'])(
      'refuses algorithm %s (values are case-sensitive)',
      async (algorithm) => {
        const reply = await call(emulator(), 'POST', KEYS, { body: { ...currentSecretKeyBody('hmac'), algorithm } });
        expect(reply.status).toBe(400);
        expect(message(reply)).toContain('Supported values: AES, DES, DESede, RSA');
      },
    );

    it.each(['AES', 'DES', 'DESede', 'RSA'])(
      'accepts a SECRET_KEY with algorithm %s and reads it back',
      async (algorithm) => {
        const e = emulator();
        expect(succeeded(await call(e, 'POST', KEYS, { body: { ...currentSecretKeyBody('hmac'), algorithm } }))).toBe(
          true,
        );
        const read = (await call(e, 'GET', `${KEYS}hmac/`)).body.resultList[0];
        expect(read).toMatchObject({ keyType: 'SECRET_KEY', algorithm });
        expect(read.cryptoKeyInfoEnvironmentList).toEqual([
          { environmentName: 'production', alias: null, source: null },
        ]);
      },
    );

    it('refuses algorithm on a PRIVATE_KEY or PUBLIC_KEY, a legacy keyType, and legacy key material', async () => {
      const e = emulator();
      const withAlgorithm = await call(e, 'POST', KEYS, { body: currentKeyBody('k', { algorithm: 'RSA' }) });
      expect(withAlgorithm.status).toBe(400);
      expect(message(withAlgorithm)).toContain('algorithm applies to SECRET_KEY only');
      const legacyType = await call(e, 'POST', KEYS, { body: currentKeyBody('k', { keyType: 'RSA' }) });
      expect(legacyType.status).toBe(400);
      expect(message(legacyType)).toContain('keyType is required: one of SECRET_KEY, PRIVATE_KEY, PUBLIC_KEY');
      // A legacy body: publicKey/privateKey are not fields of the current DTO, so content is missing.
      const legacyBody = await call(e, 'POST', KEYS, { body: keyBody('k') });
      expect(legacyBody.status).toBe(400);
      expect(message(legacyBody)).toContain('cryptoKeyInfoEnvironmentList[0].content is required');
      expect(e.store.size()).toBe(0);
    });

    it('stores a PEM sent base64-encoded or raw, and a secret key as its base64 text', async () => {
      const e = emulator();
      const raw = pem('PUBLIC KEY', 'raw public');
      await call(e, 'POST', KEYS, { body: currentKeyBody('encoded') });
      await call(e, 'POST', KEYS, {
        body: {
          name: 'raw',
          keyType: 'PUBLIC_KEY',
          cryptoKeyInfoEnvironmentList: [{ environmentName: 'test', content: raw }],
        },
      });
      await call(e, 'POST', KEYS, { body: currentSecretKeyBody('hmac') });
      const exported = async (name: string, env: string): Promise<string> =>
        (await call(e, 'GET', `${KEYS}${name}/export-file/?environmentName=${env}`)).text;
      expect(await exported('encoded', 'production')).toBe(pem('PRIVATE KEY', 'private encoded production'));
      expect(await exported('raw', 'test')).toBe(raw);
      expect(await exported('hmac', 'production')).toBe(b64('secret bytes hmac production'));
      expect((await call(e, 'GET', `${KEYS}raw/`)).body.resultList[0].description).toBe('');
    });

    it('refuses content that is neither base64 nor PEM, and base64 that is not of a PEM', async () => {
      const e = emulator();
      const entry = (content: string) => [{ environmentName: 'production', content }];
      const neither = await call(e, 'POST', KEYS, {
        body: currentKeyBody('k', { cryptoKeyInfoEnvironmentList: entry('not base64 !') }),
      });
      expect(neither.status).toBe(400);
      expect(message(neither)).toContain('neither base64 nor PEM');
      const notPem = await call(e, 'POST', KEYS, {
        body: currentKeyBody('k', { cryptoKeyInfoEnvironmentList: entry(b64('plain bytes')) }),
      });
      expect(notPem.status).toBe(400);
      const secretPem = await call(e, 'POST', KEYS, {
        body: { ...currentSecretKeyBody('s'), cryptoKeyInfoEnvironmentList: entry(pem('PRIVATE KEY', 'x')) },
      });
      expect(secretPem.status).toBe(400);
      expect(message(secretPem)).toContain('must be base64');
      expect(e.store.size()).toBe(0);
    });

    it('keeps the stored algorithm on a PUT without one, and clears it when the key stops being a SECRET_KEY', async () => {
      const e = emulator();
      await call(e, 'POST', KEYS, { body: { ...currentSecretKeyBody('hmac'), algorithm: 'DESede' } });
      await call(e, 'PUT', `${KEYS}hmac/`, {
        body: {
          description: 'rotated',
          cryptoKeyInfoEnvironmentList: currentSecretKeyBody('hmac').cryptoKeyInfoEnvironmentList,
        },
      });
      expect((await call(e, 'GET', `${KEYS}hmac/`)).body.resultList[0]).toMatchObject({
        algorithm: 'DESede',
        description: 'rotated',
      });
      const toPrivate = await call(e, 'PUT', `${KEYS}hmac/`, {
        body: {
          keyType: 'PRIVATE_KEY',
          cryptoKeyInfoEnvironmentList: currentKeyBody('hmac').cryptoKeyInfoEnvironmentList,
        },
      });
      expect(succeeded(toPrivate)).toBe(true);
      expect((await call(e, 'GET', `${KEYS}hmac/`)).body.resultList[0]).toMatchObject({
        keyType: 'PRIVATE_KEY',
        algorithm: null,
      });
      const toSecret = await call(e, 'PUT', `${KEYS}hmac/`, { body: { keyType: 'SECRET_KEY' } });
      expect(message(toSecret)).toBe('algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA');
    });
  });

  describe('keystore bodies', () => {
    it.each([
      ['password', 'keyStoreEnvironmentList[0].password is required'],
      ['keyStoreType', 'keyStoreEnvironmentList[0].keyStoreType is required: JKS or PKCS12'],
      ['file', 'keyStoreEnvironmentList[0].file is required'],
    ])('requires %s per environment', async (field, text) => {
      const e = emulator();
      const body = currentKeystoreBody('ks');
      delete (body.keyStoreEnvironmentList as Record<string, unknown>[])[0]![field];
      const reply = await call(e, 'POST', KEYSTORES, { body });
      expect(reply.status).toBe(400);
      expect(message(reply)).toContain(text);
      expect(e.store.size()).toBe(0);
    });

    it('refuses a legacy keystore body (type instead of keyStoreType, no password) and a lowercase type', async () => {
      const e = emulator();
      const legacy = await call(e, 'POST', KEYSTORES, { body: keystoreBody('ks') });
      expect(legacy.status).toBe(400);
      expect(message(legacy)).toContain('keyStoreType is required');
      expect(message(legacy)).toContain('password is required');
      const body = currentKeystoreBody('ks');
      (body.keyStoreEnvironmentList as Record<string, unknown>[])[0]!.keyStoreType = 'pkcs12';
      expect((await call(e, 'POST', KEYSTORES, { body })).status).toBe(400);
    });

    it('exports a JKS keystore as .jks and serves the uploaded bytes unchanged', async () => {
      const e = emulator();
      const bytes = Buffer.from([0xfe, 0xed, 0xfe, 0xed, 0, 0, 0, 2, 0xff, 0x80]);
      const body = currentKeystoreBody('jks');
      Object.assign((body.keyStoreEnvironmentList as Record<string, unknown>[])[0]!, {
        keyStoreType: 'JKS',
        file: bytes.toString('base64'),
      });
      await call(e, 'POST', KEYSTORES, { body });
      const reply = await call(e, 'GET', `${KEYSTORES}jks/export-file/?environmentName=production`);
      expect(reply.headers.get('content-disposition')).toContain('filename="jks-production.jks"');
      expect(reply.bytes.equals(bytes)).toBe(true);
    });

    it('lists keystores with environment ids and encrypted-looking values when told to; the single GET keeps names', async () => {
      const e = emulator();
      e.configure({ keystoreListEnvironmentIds: true });
      await call(e, 'POST', KEYSTORES, { body: currentKeystoreBody('ks', {}, ['production', 'test']) });
      const listed = await call(e, 'GET', KEYSTORES);
      const entries = listed.body.resultList[0].keyStoreEnvironmentList;
      expect(entries).toHaveLength(2);
      for (const entry of entries) {
        expect(Object.keys(entry).sort()).toEqual(['alias', 'environmentId', 'file', 'keyStoreType', 'password']);
        expect(entry.environmentId).toMatch(/^[0-9a-f]{24}$/);
        expect(entry.file).toMatch(/^[A-Za-z0-9+/]+=*$/);
        expect(entry.password).toMatch(/^[A-Za-z0-9+/]+=*$/);
      }
      for (const env of ['production', 'test']) {
        expect(listed.text).not.toContain(b64(`keystore ks ${env}`));
        expect(listed.text).not.toContain(`password ks ${env}`);
      }
      const envIds = (await call(e, 'GET', '/apiops/projects/Payments/environments/')).body.resultList.map(
        (x: { id: string }) => x.id,
      );
      expect(entries.map((x: { environmentId: string }) => x.environmentId)).toEqual([envIds[0], envIds[2]]);
      const single = (await call(e, 'GET', `${KEYSTORES}ks/`)).body.resultList[0];
      expect(single.keyStoreEnvironmentList).toEqual([
        { environmentName: 'production', alias: 'ks-alias', keyStoreType: 'PKCS12' },
        { environmentName: 'test', alias: 'ks-alias', keyStoreType: 'PKCS12' },
      ]);
      // Keys are not affected by the switch.
      await call(e, 'POST', KEYS, { body: currentKeyBody('k') });
      expect((await call(e, 'GET', KEYS)).body.resultList[0].cryptoKeyInfoEnvironmentList[0].environmentName).toBe(
        'production',
      );
    });
  });
});

describe('current generation, persistence and the legacy generation unchanged', () => {
  it('keeps current-generation material across a restart (--data), so export serves it', async () => {
    const dataFile = join(tempTree(), 'state.json');
    const first = await startEmulator({ dataFile, generation: 'current' });
    await call(first, 'POST', KEYS, { body: currentSecretKeyBody('hmac') });
    await call(first, 'POST', KEYSTORES, { body: currentKeystoreBody('ks') });
    await first.close();
    const second = await startEmulator({ dataFile, generation: 'current' });
    try {
      expect((await call(second, 'GET', `${KEYS}hmac/export-file/?environmentName=production`)).text).toBe(
        b64('secret bytes hmac production'),
      );
      const file = await call(second, 'GET', `${KEYSTORES}ks/export-file/?environmentName=production`);
      expect(file.bytes.toString()).toBe('keystore ks production');
      expect((await call(second, 'GET', `${KEYSTORES}ks/`)).text).not.toContain('password ks production');
    } finally {
      await second.close();
    }
  });

  it('legacy mode still reads material back and ignores the current-only switches', async () => {
    const e = await startEmulator({ refuseExport: true, keystoreListEnvironmentIds: true });
    try {
      await call(e, 'POST', KEYSTORES, { body: keystoreBody('ks') });
      const entry = (await call(e, 'GET', KEYSTORES)).body.resultList[0].keyStoreEnvironmentList[0];
      expect(entry).toMatchObject({
        environmentName: 'production',
        type: 'PKCS12',
        file: b64('keystore ks production'),
      });
      expect((await call(e, 'GET', `${KEYSTORES}ks/export-file/`)).status).toBe(404);
    } finally {
      await e.close();
    }
  });

  it.skipIf(spawnSync('unzip', ['-v']).status !== 0)('writes a ZIP that unzip lists and tests clean', async () => {
    const e = await startEmulator({ generation: 'current' });
    try {
      await call(e, 'POST', KEYS, { body: currentKeyBody('zipped', {}, ['production', 'staging', 'test']) });
      const zip = join(tempTree(), 'keys.zip');
      writeFileSync(zip, (await call(e, 'GET', `${KEYS}zipped/export-file/`)).bytes);
      const list = spawnSync('unzip', ['-l', zip], { encoding: 'utf8' });
      expect(list.status).toBe(0);
      for (const env of ['production', 'staging', 'test']) expect(list.stdout).toContain(`zipped-${env}.pem`);
      expect(spawnSync('unzip', ['-tq', zip], { encoding: 'utf8' }).status).toBe(0);
    } finally {
      await e.close();
    }
  });
});
