import { afterEach, describe, expect, it } from 'vitest';
import { type RunningEmulator, startEmulator } from '../../src/emulator/index.js';
import { useEmulator } from '../support/emulator.js';
import { call, eventually, requestToken } from './http.js';

describe('emulator authentication', () => {
  const emulator = useEmulator({
    users: [
      { username: 'admin', password: 'admin' },
      { username: 'ci bot', password: 's3cr:et&=' },
    ],
  });

  it.each([
    ['no Authorization header', null],
    ['an unknown token', 'not-the-token'],
    ['an empty bearer', ''],
  ])('answers 401 invalid_token to %s', async (_what, token) => {
    const reply = await call(emulator(), 'GET', '/apiops/projects/', { token });
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe('invalid_token');
    expect(reply.headers.get('www-authenticate')).toContain('Bearer');
  });

  it('answers 401 to another scheme than Bearer', async () => {
    const reply = await call(emulator(), 'GET', '/apiops/projects/Payments/keys/', {
      token: null,
      headers: { authorization: 'Basic YWRtaW46YWRtaW4=' },
    });
    expect(reply.status).toBe(401);
  });

  it('requires the token on every API endpoint but token issuance', async () => {
    const e = emulator();
    const paths: [string, string][] = [
      ['GET', '/apiops/projects/'],
      ['GET', '/apiops/environments/'],
      ['GET', '/apiops/environments/Payments'],
      ['GET', '/apiops/projects/Payments/keys/'],
      ['POST', '/apiops/projects/Payments/keys/'],
      ['GET', '/apiops/projects/Payments/keystores/x/'],
      ['PUT', '/apiops/projects/Payments/keystores/x/'],
      ['DELETE', '/apiops/projects/Payments/keystores/x/'],
    ];
    for (const [method, path] of paths)
      expect(
        (await call(e, method, path, { token: null, body: method === 'POST' || method === 'PUT' ? {} : undefined }))
          .status,
        `${method} ${path}`,
      ).toBe(401);
    expect(e.store.size()).toBe(0);
  });

  it('issues a working token for form credentials, the JSON form, and HTTP Basic', async () => {
    const e = emulator();
    const form = await requestToken(e, 'ci bot', 's3cr:et&=');
    expect(form.status).toBe(200);
    expect((await call(e, 'GET', '/apiops/projects/', { token: form.body.access_token })).status).toBe(200);
    const json = await call(e, 'POST', '/apiops/auth/token/', {
      token: null,
      body: { grant_type: 'client_credentials', client_id: 'admin', client_secret: 'admin' },
    });
    expect(json.status).toBe(200);
    const basic = await call(e, 'POST', '/apiops/auth/token', {
      token: null,
      headers: {
        authorization: `Basic ${Buffer.from('admin:admin').toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    expect(basic.status).toBe(200);
    expect(new Set([form.body.access_token, json.body.access_token, basic.body.access_token]).size).toBe(3);
  });

  it.each([
    ['a wrong password', 'admin', 'nope'],
    ['an unknown user', 'root', 'admin'],
    ['an empty password', 'admin', ''],
  ])('answers 401 unauthorized_client to %s', async (_what, user, password) => {
    const reply = await requestToken(emulator(), user, password);
    expect(reply.status).toBe(401);
    expect(reply.body).toEqual({ error: 'unauthorized_client', error_description: 'Bad credentials' });
  });

  it('answers 400 to another grant type', async () => {
    const reply = await call(emulator(), 'POST', '/apiops/auth/token', {
      token: null,
      body: 'grant_type=password&username=admin&password=admin',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(reply.status).toBe(400);
    expect(reply.body.error).toBe('unsupported_grant_type');
  });

  it('revokes issued tokens but keeps the static token working', async () => {
    const e = emulator();
    const issued = (await requestToken(e, 'admin', 'admin')).body.access_token as string;
    e.revokeTokens();
    const reply = await call(e, 'GET', '/apiops/projects/', { token: issued });
    expect(reply.status).toBe(401);
    expect(reply.body.error).toBe('invalid_token');
    expect((await call(e, 'GET', '/apiops/projects/')).status).toBe(200);
  });

  it('serves /__emulator/stats without a token', async () => {
    expect((await call(emulator(), 'GET', '/__emulator/stats', { token: null })).status).toBe(200);
  });
});

describe('emulator token expiry', () => {
  let e: RunningEmulator | undefined;
  afterEach(async () => {
    await e?.close();
    e = undefined;
  });

  it('answers 401 token_expired once an issued token outlives tokenTtlSeconds, and a new token works', async () => {
    e = await startEmulator({ tokenTtlSeconds: 0.3, token: 'static-one' });
    const first = await requestToken(e, 'admin', 'admin');
    expect(first.body.expires_in).toBe(1); // whole seconds, rounded up
    const token = first.body.access_token as string;
    expect((await call(e, 'GET', '/apiops/projects/', { token })).status).toBe(200);
    let last = await call(e, 'GET', '/apiops/projects/', { token });
    await eventually(async () => {
      last = await call(e!, 'GET', '/apiops/projects/', { token });
      return last.status === 401;
    });
    expect(last.body).toEqual({ error: 'token_expired', error_description: expect.any(String) });
    const renewed = (await requestToken(e, 'admin', 'admin')).body.access_token as string;
    expect((await call(e, 'GET', '/apiops/projects/', { token: renewed })).status).toBe(200);
    expect((await call(e, 'GET', '/apiops/projects/', { token: 'static-one' })).status).toBe(200);
    expect(e.token).toBe('static-one');
  });
});
