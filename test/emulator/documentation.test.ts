import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { b64, keyBody, keystoreBody } from './builders.js';
import { call, requestToken } from './http.js';

// Each case is an example from docs/apinizer-api.md (the summary of Apinizer's Management API docs),
// with "<base64>" placeholders filled in. The emulator must answer exactly as the docs do.

const docKey = {
  name: 'my-key',
  description: 'Key for API encryption',
  keyType: 'RSA',
  cryptoKeyInfoEnvironmentList: [
    { environmentName: 'production', publicKey: b64('public'), privateKey: b64('private') },
  ],
};
const docKeystore = {
  name: 'my-keystore',
  description: 'Keystore for API security',
  keyStoreEnvironmentList: [{ environmentName: 'production', type: 'JKS', file: b64('keystore file') }],
};
const docDeployment = {
  success: true,
  deploymentResult: {
    success: true,
    message: 'Deployment completed successfully',
    environmentResults: [{ environmentName: 'production', success: true, message: 'Deployed successfully' }],
  },
};

describe('the emulator answers as the documentation examples do', () => {
  const emulator = useEmulator({ projects: [{ name: 'Payments', environments: ['production', 'test'] }] });
  beforeEach(() => {
    emulator().store.clear();
    emulator().configure({ dialect: 'documented' });
  });

  it('POST /apiops/auth/token answers {access_token, token_type: Bearer, expires_in: 3600}', async () => {
    const reply = await requestToken(emulator(), 'admin', 'admin');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ access_token: expect.any(String), token_type: 'Bearer', expires_in: 3600 });
  });

  it('bad credentials answer 401 {"error":"unauthorized_client","error_description":"Bad credentials"}', async () => {
    const reply = await requestToken(emulator(), 'admin', 'wrong');
    expect(reply.status).toBe(401);
    expect(reply.text).toBe('{"error":"unauthorized_client","error_description":"Bad credentials"}');
  });

  it('create, update and delete answer 200 with the documented deployment result', async () => {
    const e = emulator();
    expect(await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: docKey })).toMatchObject({
      status: 200,
      body: docDeployment,
    });
    expect(await call(e, 'PUT', '/apiops/projects/Payments/keys/my-key/', { body: docKey })).toMatchObject({
      status: 200,
      body: docDeployment,
    });
    expect(await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore })).toMatchObject({
      status: 200,
      body: docDeployment,
    });
    expect(await call(e, 'DELETE', '/apiops/projects/Payments/keystores/my-keystore/')).toMatchObject({
      status: 200,
      body: docDeployment,
    });
    const exact = await call(e, 'DELETE', '/apiops/projects/Payments/keys/my-key/');
    expect(exact.body).toStrictEqual(docDeployment);
  });

  it('creating a name that exists answers the documented 400, for keys and keystores', async () => {
    const e = emulator();
    await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: docKey });
    await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore });
    const key = await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: docKey });
    expect(key.status).toBe(400);
    expect(key.text).toBe(
      '{"error":"bad_request","error_description":"Key (name: my-key) is already exist! Try update operation if want to change its value."}',
    );
    const keystore = await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore });
    expect(keystore.status).toBe(400);
    expect(keystore.body).toStrictEqual({
      error: 'bad_request',
      error_description:
        'Keystore (name: my-keystore) is already exist! Try update operation if want to change its value.',
    });
  });

  it('lists keys as {"success": true, "resultList": [{name, description, projectId, keyType, cryptoKeyInfoEnvironmentList}]}, material included', async () => {
    const e = emulator();
    await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: docKey });
    const reply = await call(e, 'GET', '/apiops/projects/Payments/keys/');
    expect(Object.keys(reply.body)).toEqual(['success', 'resultList']);
    expect(reply.body.success).toBe(true);
    const [item] = reply.body.resultList;
    expect(item).toMatchObject({
      ...docKey,
      cryptoKeyInfoEnvironmentList: [{ ...docKey.cryptoKeyInfoEnvironmentList[0], environmentId: expect.any(String) }],
    });
    expect(Object.keys(item)).toEqual(
      expect.arrayContaining(['name', 'description', 'projectId', 'keyType', 'cryptoKeyInfoEnvironmentList', 'id']),
    );
  });

  it('answers a single GET "in the list format, but with a single key"', async () => {
    const e = emulator();
    await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore });
    const reply = await call(e, 'GET', '/apiops/projects/Payments/keystores/my-keystore/');
    expect(reply.status).toBe(200);
    expect(Object.keys(reply.body)).toEqual(['success', 'resultList']);
    expect(reply.body.resultList).toHaveLength(1);
    expect(reply.body.resultList[0]).toMatchObject(
      docKeystore.keyStoreEnvironmentList.length
        ? { name: 'my-keystore', description: 'Keystore for API security' }
        : {},
    );
    expect(reply.body.resultList[0].keyStoreEnvironmentList[0]).toMatchObject(docKeystore.keyStoreEnvironmentList[0]!);
  });

  it('lists projects as {"status":"SUCCESS","resultList":[{name, description}],"resultCount":N}', async () => {
    const reply = await call(emulator(), 'GET', '/apiops/projects/');
    expect(reply.body).toEqual({
      status: 'SUCCESS',
      resultList: [expect.objectContaining({ name: 'Payments', description: expect.any(String) })],
      resultCount: 1,
    });
  });

  it('lists environments as {"success": true, "resultList": [{name, description, type, status, accessUrl}], "resultCount": N}', async () => {
    const reply = await call(emulator(), 'GET', '/apiops/environments/Payments');
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      success: true,
      resultList: ['production', 'test'].map((name): unknown =>
        expect.objectContaining({
          name,
          description: expect.any(String),
          type: expect.any(String),
          status: expect.any(String),
          accessUrl: expect.any(String),
        }),
      ),
      resultCount: 2,
    });
  });

  it('an unknown project answers 400 "Project not found for name: (X) or user has not privilege to access it!"', async () => {
    const reply = await call(emulator(), 'GET', '/apiops/environments/Unknown');
    expect(reply.status).toBe(400);
    expect(reply.body).toStrictEqual({
      error: 'bad_request',
      error_description: 'Project not found for name: (Unknown) or user has not privilege to access it!',
    });
  });

  it('errors have the documented {error, error_description} shape with the documented codes', async () => {
    const e = emulator();
    const missing = await call(e, 'GET', '/apiops/projects/Payments/keys/nothing/');
    expect(missing.status).toBe(404);
    expect(Object.keys(missing.body)).toEqual(['error', 'error_description']);
    expect(missing.body.error).toBe('not_found');
    const noToken = await call(e, 'GET', '/apiops/projects/', { token: null });
    expect(noToken.status).toBe(401);
    expect(noToken.body.error).toBe('invalid_token');
  });

  describe('in the status dialect ("status": "SUCCESS", resultMessage errors)', () => {
    beforeEach(() => emulator().configure({ dialect: 'status' }));

    it('lists keys and keystores as {"status":"SUCCESS","resultList":[...],"resultCount":N}', async () => {
      const e = emulator();
      await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('a') });
      await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('b') });
      await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: keystoreBody('c') });
      const keys = await call(e, 'GET', '/apiops/projects/Payments/keys/');
      expect(keys.status).toBe(200);
      expect(Object.keys(keys.body)).toEqual(['status', 'resultList', 'resultCount']);
      expect(keys.body).toMatchObject({ status: 'SUCCESS', resultCount: 2 });
      expect(keys.body.resultList.map((k: { name: string }) => k.name)).toEqual(['a', 'b']);
      expect((await call(e, 'GET', '/apiops/projects/Payments/keystores/')).body).toMatchObject({
        status: 'SUCCESS',
        resultCount: 1,
      });
    });

    it('answers a single GET as resultList with one object', async () => {
      const e = emulator();
      await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('a') });
      const reply = await call(e, 'GET', '/apiops/projects/Payments/keys/a/');
      expect(reply.body).toEqual({
        status: 'SUCCESS',
        resultList: [expect.objectContaining({ name: 'a' })],
        resultCount: 1,
      });
    });

    it('answers writes with status SUCCESS and the deployment result', async () => {
      const reply = await call(emulator(), 'POST', '/apiops/projects/Payments/keys/', { body: docKey });
      expect(reply.status).toBe(200);
      expect(reply.body).toStrictEqual({ status: 'SUCCESS', deploymentResult: docDeployment.deploymentResult });
    });

    it('answers "already exist" as HTTP 400 {status: FAILURE, resultMessage}', async () => {
      const e = emulator();
      await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore });
      const reply = await call(e, 'POST', '/apiops/projects/Payments/keystores/', { body: docKeystore });
      expect(reply.status).toBe(400);
      expect(reply.body).toStrictEqual({
        status: 'FAILURE',
        resultMessage:
          'Keystore (name: my-keystore) is already exist! Try update operation if want to change its value.',
      });
    });

    it.each(['GET', 'PUT', 'DELETE'])(
      'answers %s of a missing object as HTTP 400 with a "not found" resultMessage',
      async (method) => {
        const reply = await call(
          emulator(),
          method,
          '/apiops/projects/Payments/keys/ghost/',
          method === 'PUT' ? { body: keyBody('ghost') } : {},
        );
        expect(reply.status).toBe(400);
        expect(reply.body).toEqual({ status: 'FAILURE', resultMessage: expect.stringMatching(/ghost.*not found!$/) });
      },
    );

    it('answers an unknown project and a validation error as HTTP 400 with resultMessage', async () => {
      const e = emulator();
      const project = await call(e, 'GET', '/apiops/projects/Nowhere/keys/');
      expect(project.status).toBe(400);
      expect(project.body).toStrictEqual({
        status: 'FAILURE',
        resultMessage: 'Project not found for name: (Nowhere) or user has not privilege to access it!',
      });
      const invalid = await call(e, 'POST', '/apiops/projects/Payments/keys/', { body: keyBody('a', {}, ['staging']) });
      expect(invalid.status).toBe(400);
      expect(invalid.body.resultMessage).toContain('Environment (name: staging)');
    });

    it('lists environments in the status shape and keeps 401 for a missing token', async () => {
      const e = emulator();
      expect((await call(e, 'GET', '/apiops/environments/Payments')).body).toMatchObject({
        status: 'SUCCESS',
        resultCount: 2,
      });
      const denied = await call(e, 'GET', '/apiops/environments/Payments', { token: null });
      expect(denied.status).toBe(401);
      expect(denied.body.status).toBe('FAILURE');
    });

    it('keeps the OAuth shape for token issuance errors', async () => {
      const reply = await requestToken(emulator(), 'admin', 'wrong');
      expect(reply.status).toBe(401);
      expect(reply.body).toStrictEqual({ error: 'unauthorized_client', error_description: 'Bad credentials' });
    });
  });
});
