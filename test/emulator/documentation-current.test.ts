import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { b64, pem } from './builders.js';
import { type Reply, call } from './http.js';
import { readZip } from './zip.js';

// Each case restates an example of Apinizer's current API reference (2026; the pages under
// api-reference/keys-secrets/crud/ and api-reference/environments/ of the apinizer/docs
// repository, and its openapi.yaml): the path, the request body with its placeholders filled in,
// and the answer the page shows. The current pages show writes as {"success": true, ...} and
// reads and errors in the status dialect ({"status": ...}), so each case runs in the dialect its
// page shows.

const P = '/apiops/projects/MyProject';
const PRIVATE_PEM = pem('PRIVATE KEY', 'my-key private material');
const KEY_CONTENT = b64(PRIVATE_PEM); // "base64-encoded-key-content"
const KEYSTORE_FILE = b64('keystore file bytes'); // "base64-encoded-keystore-file-content"

/** Create Key, first example. */
const createKey = {
  name: 'my-key',
  description: 'Key for API encryption',
  keyType: 'PRIVATE_KEY',
  cryptoKeyInfoEnvironmentList: [{ environmentName: 'production', content: KEY_CONTENT, alias: 'my-key-alias' }],
};
/** Create Key, "Example 2: Create Key with Multiple Environments". */
const createSecretKey = {
  name: 'my-key',
  description: 'Key for API encryption',
  keyType: 'SECRET_KEY',
  algorithm: 'AES',
  cryptoKeyInfoEnvironmentList: [
    { environmentName: 'production', content: b64('prod key bytes'), alias: 'prod-key-alias' },
    { environmentName: 'staging', content: b64('staging key bytes'), alias: 'staging-key-alias' },
  ],
};
/** Create Keystore, first example. */
const createKeystore = {
  name: 'my-keystore',
  description: 'Keystore for API security',
  keyStoreEnvironmentList: [
    {
      environmentName: 'production',
      file: KEYSTORE_FILE,
      password: 'keystore-password',
      alias: 'my-alias',
      keyStoreType: 'JKS',
    },
  ],
};
/** Create Keystore, "Example 2: Create Keystore with Multiple Environments". */
const createKeystore2 = {
  ...createKeystore,
  keyStoreEnvironmentList: [
    {
      environmentName: 'production',
      file: KEYSTORE_FILE,
      password: 'prod-password',
      alias: 'prod-alias',
      keyStoreType: 'JKS',
    },
    {
      environmentName: 'staging',
      file: KEYSTORE_FILE,
      password: 'staging-password',
      alias: 'staging-alias',
      keyStoreType: 'PKCS12',
    },
  ],
};

const deployed = (environments: string[]) => ({
  success: true,
  deploymentResult: {
    success: true,
    message: 'Deployment completed successfully',
    environmentResults: environments.map((environmentName) => ({
      environmentName,
      success: true,
      message: 'Deployed successfully',
    })),
  },
});
const undeployed = {
  success: true,
  deploymentResult: {
    success: true,
    message: 'Undeployment completed successfully',
    environmentResults: [{ environmentName: 'production', success: true, message: 'Undeployed successfully' }],
  },
};

const failureBody = (resultMessage: string) => ({ status: 'FAILURE', resultMessage });

function keysOf(value: unknown): string[] {
  return Object.keys(value as object).sort();
}

describe('the emulator (--generation current) answers as the current reference pages do', () => {
  const emulator = useEmulator({
    generation: 'current',
    projects: [{ name: 'MyProject', environments: ['production', 'staging', 'test', 'uat'] }],
  });
  const useDialect = (dialect: 'documented' | 'status') => emulator().configure({ dialect });
  beforeEach(() => {
    emulator().store.clear();
    emulator().configure({ dialect: 'documented', refuseExport: false, keystoreListEnvironmentIds: false });
  });

  describe('Get Environments by Project', () => {
    it('GET /apiops/projects/{projectName}/environments/ answers the EnvironmentDTO list with resultCount', async () => {
      useDialect('status');
      const reply = await call(emulator(), 'GET', `${P}/environments/`);
      expect(reply.status).toBe(200);
      expect(keysOf(reply.body)).toEqual(['resultCount', 'resultList', 'status']);
      expect(reply.body).toMatchObject({ status: 'SUCCESS', resultCount: 4 });
      for (const env of reply.body.resultList) {
        expect(keysOf(env)).toEqual([
          'accessUrl',
          'deployed',
          'description',
          'id',
          'name',
          'redeployRequired',
          'status',
          'type',
        ]);
        expect(['PRODUCTION', 'SANDBOX', 'TEST']).toContain(env.type);
        expect(['UNPUBLISHED', 'PUBLISHED', 'REPUBLISH_REQUIRED']).toContain(env.status);
      }
    });

    it('answers 400 for a project that is not found (not 403)', async () => {
      useDialect('status');
      const reply = await call(emulator(), 'GET', '/apiops/projects/Elsewhere/environments/');
      expect(reply.status).toBe(400);
      expect(reply.body).toStrictEqual(
        failureBody('Project (Elsewhere) is not found or user does not have privilege to access it!'),
      );
    });
  });

  describe('Keys', () => {
    it('Create Key: both examples answer 200 with the deployment result', async () => {
      const e = emulator();
      const first = await call(e, 'POST', `${P}/keys/`, { body: createKey });
      expect(first.status).toBe(200);
      expect(first.body).toStrictEqual(deployed(['production']));
      await call(e, 'DELETE', `${P}/keys/my-key/`);
      const second = await call(e, 'POST', `${P}/keys/`, { body: createSecretKey });
      expect(second.body).toStrictEqual(deployed(['production', 'staging']));
    });

    it('Create Key: "already exist" and "algorithm is required" as the page shows them', async () => {
      const e = emulator();
      useDialect('status');
      await call(e, 'POST', `${P}/keys/`, { body: createKey });
      const again = await call(e, 'POST', `${P}/keys/`, { body: createKey });
      expect(again.status).toBe(400);
      expect(again.body).toStrictEqual(
        failureBody('Key (name: my-key) is already exist! Try update operation if want to change its value.'),
      );
      const { algorithm: _none, ...noAlgorithm } = createSecretKey;
      const missing = await call(e, 'POST', `${P}/keys/`, { body: { ...noAlgorithm, name: 'other' } });
      expect(missing.status).toBe(400);
      expect(missing.body).toStrictEqual(
        failureBody('algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA'),
      );
    });

    it('Create Key: name, keyType and cryptoKeyInfoEnvironmentList are required; content and environmentName per entry', async () => {
      const e = emulator();
      for (const field of ['name', 'keyType', 'cryptoKeyInfoEnvironmentList']) {
        const body: Record<string, unknown> = { ...createKey };
        delete body[field];
        expect((await call(e, 'POST', `${P}/keys/`, { body })).status, field).toBe(400);
      }
      for (const field of ['environmentName', 'content']) {
        const entry: Record<string, unknown> = { ...createKey.cryptoKeyInfoEnvironmentList[0] };
        delete entry[field];
        expect(
          (await call(e, 'POST', `${P}/keys/`, { body: { ...createKey, cryptoKeyInfoEnvironmentList: [entry] } }))
            .status,
          field,
        ).toBe(400);
      }
      const { description: _d, ...noDescription } = createKey;
      const { alias: _a, ...noAlias } = createKey.cryptoKeyInfoEnvironmentList[0]!;
      const optional = await call(e, 'POST', `${P}/keys/`, {
        body: { ...noDescription, cryptoKeyInfoEnvironmentList: [noAlias] },
      });
      expect(optional.status).toBe(200);
    });

    it('List Keys and Get Key: the KeyManagementDTO, material never returned', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keys/`, { body: createSecretKey });
      useDialect('status');
      const list = await call(e, 'GET', `${P}/keys/`);
      expect(list.body).toMatchObject({ status: 'SUCCESS', resultList: [expect.any(Object)] });
      const [key] = list.body.resultList;
      expect(key).toStrictEqual({
        id: expect.any(String),
        name: 'my-key',
        description: 'Key for API encryption',
        projectId: expect.any(String),
        keyType: 'SECRET_KEY',
        algorithm: 'AES',
        cryptoKeyInfoEnvironmentList: [
          { environmentName: 'production', alias: 'prod-key-alias', source: null },
          { environmentName: 'staging', alias: 'staging-key-alias', source: null },
        ],
      });
      const get = await call(e, 'GET', `${P}/keys/my-key/`);
      expect(get.body.resultList).toStrictEqual([key]);
      for (const reply of [list, get]) expect(reply.text).not.toContain(b64('prod key bytes'));
    });

    it('Update Key: the three examples (JWK update, clear JWK references with a partial body, rename)', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keys/`, { body: createKey });
      const example2 = await call(e, 'PUT', `${P}/keys/my-key/?jwkUpdateAction=NULLIFY`, {
        body: {
          description: 'Updated description only',
          cryptoKeyInfoEnvironmentList: [
            { environmentName: 'production', content: KEY_CONTENT, alias: 'updated-alias' },
          ],
        },
      });
      expect(example2.body).toStrictEqual(deployed(['production']));
      expect((await call(e, 'GET', `${P}/keys/my-key/`)).body.resultList[0]).toMatchObject({
        description: 'Updated description only',
        keyType: 'PRIVATE_KEY',
        cryptoKeyInfoEnvironmentList: [{ environmentName: 'production', alias: 'updated-alias', source: null }],
      });
      const example3 = await call(e, 'PUT', `${P}/keys/my-key/`, { body: { name: 'new-key-name' } });
      expect(example3.status).toBe(200);
      expect((await call(e, 'GET', `${P}/keys/new-key-name/`)).status).toBe(200);

      await call(e, 'POST', `${P}/keys/`, { body: createKey });
      const example1 = await call(e, 'PUT', `${P}/keys/my-key/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`, {
        body: {
          name: 'updated-key',
          description: 'Updated key description',
          keyType: 'PRIVATE_KEY',
          cryptoKeyInfoEnvironmentList: [
            { environmentName: 'production', content: KEY_CONTENT, alias: 'updated-alias' },
          ],
        },
      });
      expect(example1.body).toStrictEqual(deployed(['production']));
      expect((await call(e, 'GET', `${P}/keys/updated-key/`)).body.resultList[0].description).toBe(
        'Updated key description',
      );
      expect(e.stats().byQuery).toMatchObject({
        'PUT /apiops/projects/{project}/keys/{name}/?jwkUpdateAction=NULLIFY': 1,
        'PUT /apiops/projects/{project}/keys/{name}/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT': 1,
      });
    });

    it.each(['', '?jwkDeleteAction=NULLIFY', '?jwkDeleteAction=DELETE'])(
      'Delete Key%s answers the undeployment result',
      async (query) => {
        const e = emulator();
        await call(e, 'POST', `${P}/keys/`, { body: createKey });
        const reply = await call(e, 'DELETE', `${P}/keys/my-key/${query}`);
        expect(reply.status).toBe(200);
        expect(reply.body).toStrictEqual(undeployed);
      },
    );
  });

  describe('Keystores', () => {
    it('Create Keystore: both examples, and "already exist" as the page shows it', async () => {
      const e = emulator();
      expect((await call(e, 'POST', `${P}/keystores/`, { body: createKeystore })).body).toStrictEqual(
        deployed(['production']),
      );
      await call(e, 'DELETE', `${P}/keystores/my-keystore/`);
      expect((await call(e, 'POST', `${P}/keystores/`, { body: createKeystore2 })).body).toStrictEqual(
        deployed(['production', 'staging']),
      );
      useDialect('status');
      const again = await call(e, 'POST', `${P}/keystores/`, { body: createKeystore });
      expect(again.status).toBe(400);
      expect(again.body).toStrictEqual(
        failureBody('Keystore (name: my-keystore) is already exist! Try update operation if want to change its value.'),
      );
    });

    it('Create Keystore: environmentName, file, password and keyStoreType are required per entry; alias is not', async () => {
      const e = emulator();
      for (const field of ['environmentName', 'file', 'password', 'keyStoreType']) {
        const entry: Record<string, unknown> = { ...createKeystore.keyStoreEnvironmentList[0] };
        delete entry[field];
        const reply = await call(e, 'POST', `${P}/keystores/`, {
          body: { ...createKeystore, keyStoreEnvironmentList: [entry] },
        });
        expect(reply.status, field).toBe(400);
      }
      const { alias: _a, ...noAlias } = createKeystore.keyStoreEnvironmentList[0]!;
      expect(
        (await call(e, 'POST', `${P}/keystores/`, { body: { ...createKeystore, keyStoreEnvironmentList: [noAlias] } }))
          .status,
      ).toBe(200);
    });

    it('List and Get Keystore: the OpenAPI KeystoreManagementDTO by default, the List page shape with the switch', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keystores/`, { body: createKeystore });
      useDialect('status');
      const list = await call(e, 'GET', `${P}/keystores/`);
      const [store] = list.body.resultList;
      expect(store).toStrictEqual({
        id: expect.any(String),
        name: 'my-keystore',
        description: 'Keystore for API security',
        projectId: expect.any(String),
        keyStoreEnvironmentList: [{ environmentName: 'production', alias: 'my-alias', keyStoreType: 'JKS' }],
      });
      e.configure({ keystoreListEnvironmentIds: true });
      const pageShape = (await call(e, 'GET', `${P}/keystores/`)).body.resultList[0];
      expect(keysOf(pageShape)).toEqual(['description', 'id', 'keyStoreEnvironmentList', 'name', 'projectId']);
      expect(pageShape.keyStoreEnvironmentList).toEqual([
        {
          environmentId: expect.any(String),
          file: expect.any(String),
          password: expect.any(String),
          alias: 'my-alias',
          keyStoreType: 'JKS',
        },
      ]);
      expect(pageShape.keyStoreEnvironmentList[0].file).not.toBe(KEYSTORE_FILE);
      expect(pageShape.keyStoreEnvironmentList[0].password).not.toBe('keystore-password');
      // "To get environment names, use the Get Keystore endpoint."
      expect((await call(e, 'GET', `${P}/keystores/my-keystore/`)).body.resultList).toStrictEqual([store]);
    });

    it('Update Keystore: the three examples', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keystores/`, { body: createKeystore });
      const entry = {
        environmentName: 'production',
        file: KEYSTORE_FILE,
        password: 'updated-password',
        alias: 'updated-alias',
      };
      const example2 = await call(e, 'PUT', `${P}/keystores/my-keystore/?jwkUpdateAction=NULLIFY`, {
        body: {
          description: 'Updated description only',
          keyStoreEnvironmentList: [{ ...entry, keyStoreType: 'PKCS12' }],
        },
      });
      expect(example2.body).toStrictEqual(deployed(['production']));
      expect(
        (await call(e, 'PUT', `${P}/keystores/my-keystore/`, { body: { name: 'new-keystore-name' } })).status,
      ).toBe(200);
      await call(e, 'POST', `${P}/keystores/`, { body: createKeystore });
      const example1 = await call(
        e,
        'PUT',
        `${P}/keystores/my-keystore/?jwkUpdateAction=UPDATE&updateScope=SAME_PROJECT`,
        {
          body: {
            name: 'updated-keystore',
            description: 'Updated keystore description',
            keyStoreEnvironmentList: [{ ...entry, keyStoreType: 'JKS' }],
          },
        },
      );
      expect(example1.body).toStrictEqual(deployed(['production']));
      const names = (await call(e, 'GET', `${P}/keystores/`)).body.resultList.map((k: { name: string }) => k.name);
      expect(names.sort()).toEqual(['new-keystore-name', 'updated-keystore']);
    });

    it.each(['', '?jwkDeleteAction=NULLIFY', '?jwkDeleteAction=DELETE'])(
      'Delete Keystore%s answers the undeployment result',
      async (query) => {
        const e = emulator();
        await call(e, 'POST', `${P}/keystores/`, { body: createKeystore });
        expect((await call(e, 'DELETE', `${P}/keystores/my-keystore/${query}`)).body).toStrictEqual(undeployed);
      },
    );
  });

  describe('Export Key File and Export Keystore File', () => {
    const signingKey = {
      name: 'signing-key',
      keyType: 'PRIVATE_KEY',
      cryptoKeyInfoEnvironmentList: ['test', 'uat'].map((environmentName) => ({
        environmentName,
        content: b64(pem('PRIVATE KEY', `signing ${environmentName}`)),
      })),
    };
    const partnerStore = {
      name: 'partner-store',
      keyStoreEnvironmentList: ['test', 'uat'].map((environmentName) => ({
        environmentName,
        file: b64(`p12 ${environmentName}`),
        password: 'pw',
        keyStoreType: 'PKCS12',
      })),
    };

    function expectFile(reply: Reply, contentType: string, fileName: string): void {
      expect(reply.status).toBe(200);
      expect(reply.headers.get('content-type')).toBe(contentType);
      expect(reply.headers.get('content-disposition')).toBe(`attachment; filename="${fileName}"`);
    }

    it('Example 1 and 2 of Export Key File: one PEM, or a ZIP with <keyName>-<environmentName>.pem entries', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keys/`, { body: signingKey });
      const one = await call(e, 'GET', `${P}/keys/signing-key/export-file/?environmentName=uat`);
      expectFile(one, 'application/x-pem-file', 'signing-key-uat.pem');
      expect(one.text).toBe(pem('PRIVATE KEY', 'signing uat'));
      const all = await call(e, 'GET', `${P}/keys/signing-key/export-file/`);
      expectFile(all, 'application/octet-stream', 'signing-key-keys.zip');
      expect([...readZip(all.bytes).keys()]).toEqual(['signing-key-test.pem', 'signing-key-uat.pem']);
    });

    it('Example 1 and 2 of Export Keystore File: the bytes unchanged, or a ZIP; .p12 for PKCS12', async () => {
      const e = emulator();
      await call(e, 'POST', `${P}/keystores/`, { body: partnerStore });
      const one = await call(e, 'GET', `${P}/keystores/partner-store/export-file/?environmentName=test`);
      expectFile(one, 'application/octet-stream', 'partner-store-test.p12');
      expect(one.bytes.toString()).toBe('p12 test');
      const all = await call(e, 'GET', `${P}/keystores/partner-store/export-file/`);
      expectFile(all, 'application/octet-stream', 'partner-store-keystores.zip');
      expect([...readZip(all.bytes).keys()]).toEqual(['partner-store-test.p12', 'partner-store-uat.p12']);
    });

    it.each([
      ['keys', 'Key', 'signing-key'],
      ['keystores', 'Keystore', 'partner-store'],
    ])('the three documented 400 answers of %s export-file', async (segment, label, name) => {
      const e = emulator();
      await call(e, 'POST', `${P}/keys/`, { body: signingKey });
      await call(e, 'POST', `${P}/keystores/`, { body: partnerStore });
      useDialect('status');
      const missing = await call(e, 'GET', `${P}/${segment}/${name}-x/export-file/`);
      expect(missing.status).toBe(400);
      expect(missing.body).toStrictEqual(failureBody(`${label} (name: ${name}-x) is not found!`));
      const prod = await call(e, 'GET', `${P}/${segment}/${name}/export-file/?environmentName=prod`);
      expect(prod.status).toBe(400);
      expect(prod.body).toStrictEqual(
        failureBody(`(${name}) has no material for environment (prod)! Available: test, uat`),
      );
      const listField = segment === 'keys' ? 'cryptoKeyInfoEnvironmentList' : 'keyStoreEnvironmentList';
      e.store.put('MyProject', label as 'Key' | 'Keystore', { name, [listField]: [] });
      const none = await call(e, 'GET', `${P}/${segment}/${name}/export-file/`);
      expect(none.status).toBe(400);
      expect(none.body).toStrictEqual(failureBody(`(${name}) carries no environment material to export!`));
    });
  });
});
