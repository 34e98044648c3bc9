// What the client puts on the wire, and answers the emulator does not give (403, HTML, junk,
// other shapes, TLS), against tiny scripted local servers over real HTTP.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient, type ClientOptions } from '../../src/api/client.js';
import { toApiBody } from '../../src/api/mapping.js';
import { UsageError } from '../../src/cli/command.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import { aKey, aKeyEnvironment, aKeystore } from '../support/builders.js';
import { tempTree } from '../support/tmp.js';
import { fakeClock } from './fake-clock.js';
import { sendJson, startLocalServer, type LocalServer } from './local-server.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  server.seen.length = 0;
  server.handle((_req, res) => sendJson(res, 200, { success: true, resultList: [] }));
});

function client(extra: Partial<ClientOptions> = {}): ApiClient {
  // The generation probe has tests of its own (client.generation.test.ts): legacy unless told.
  return createApiClient({
    server: server.url,
    auth: { token: 'wire-token' },
    clock: fakeClock(),
    timeoutMs: 5000,
    apiGeneration: 'legacy',
    ...extra,
  });
}

async function using<T>(c: ApiClient, run: (c: ApiClient) => Promise<T>): Promise<T> {
  try {
    return await run(c);
  } finally {
    await c.close();
  }
}

describe('the wire format', () => {
  it('sends every call to the documented path, encoded, with the documented headers and bodies', async () => {
    const key = aKey({ project: 'My Project', name: 'a.b_c-d' });
    const ks = aKeystore({ project: 'My Project' });
    await using(client(), async (c) => {
      await c.listProjects();
      await c.environments('My Project');
      await c.list('My Project', 'Key');
      await c.list('My Project', 'Keystore');
      await c.get({ kind: 'Key', project: 'My Project', name: 'a b' });
      await c.create(key);
      // The write options are the plan's, sent as given (values encoded): the client knows no kind's.
      await c.update(key, { updateReferencedJwks: 'true', updateScope: 'ALL_PROJECTS' });
      await c.update(ks, { updateReferencedJwks: 'true', updateScope: 'SAME PROJECT&x=1' });
      await c.delete(ks);
    });
    expect(server.seen.map((r) => `${r.method} ${r.url}`)).toEqual([
      'GET /apiops/projects/',
      'GET /apiops/environments/My%20Project',
      'GET /apiops/projects/My%20Project/keys/',
      'GET /apiops/projects/My%20Project/keystores/',
      'GET /apiops/projects/My%20Project/keys/a%20b/',
      'POST /apiops/projects/My%20Project/keys/',
      'PUT /apiops/projects/My%20Project/keys/a.b_c-d/?updateReferencedJwks=true&updateScope=ALL_PROJECTS',
      'PUT /apiops/projects/My%20Project/keystores/partner-mtls/?updateReferencedJwks=true&updateScope=SAME%20PROJECT%26x%3D1',
      'DELETE /apiops/projects/My%20Project/keystores/partner-mtls/',
    ]);
    for (const r of server.seen) {
      expect(r.headers.accept).toBe('application/json');
      expect(r.headers.authorization).toBe('Bearer wire-token');
    }
    const [post, put] = [server.seen[5]!, server.seen[6]!];
    expect(post.headers['content-type']).toBe('application/json');
    expect(JSON.parse(post.body)).toEqual(JSON.parse(JSON.stringify(toApiBody(key))));
    expect(JSON.parse(put.body)).toEqual(JSON.parse(JSON.stringify(toApiBody(key))));
    expect(server.seen[8]!.body).toBe('');
    expect(server.seen[8]!.headers['content-type']).toBeUndefined();
  });

  it('keeps a path prefix of the Manager URL', async () => {
    await using(client({ server: `${server.url}/manager/` }), (c) => c.listProjects());
    expect(server.seen[0]!.url).toBe('/manager/apiops/projects/');
  });

  it('asks for a token with the documented form body', async () => {
    server.handle((req, res) =>
      req.url === '/apiops/auth/token'
        ? sendJson(res, 200, { access_token: 'issued-1', token_type: 'Bearer', expires_in: 3600 })
        : sendJson(res, 200, { success: true, resultList: [] }),
    );
    await using(client({ auth: { username: 'ad min', password: 'p&w=1' } }), (c) => c.listProjects());
    const [token, call] = server.seen;
    expect(token).toMatchObject({ method: 'POST', url: '/apiops/auth/token' });
    expect(token!.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(token!.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(token!.body))).toEqual({
      grant_type: 'client_credentials',
      client_id: 'ad min',
      client_secret: 'p&w=1',
    });
    expect(call!.headers.authorization).toBe('Bearer issued-1');
  });
});

describe('answers only a real server gives', () => {
  it.each([
    ['a key write (reads worked: the deploy role is missing)', 'Access is denied', /ROLE_DEPLOY_UNDEPLOY_PROXIES/],
    ['a deployment', 'User has no privilege to deploy or undeploy proxies', /ROLE_DEPLOY_UNDEPLOY_PROXIES/],
  ])('403 on %s names the role needed', async (_label, description, role) => {
    server.handle((_req, res) => sendJson(res, 403, { error: 'access_denied', error_description: description }));
    const r = await using(client(), (c) => c.create(aKey()));
    expect(r.ok ? 'ok' : r.error).toMatchObject({
      kind: 'forbidden',
      status: 403,
      code: 'access_denied',
      message: description,
      attempts: 1,
    });
    if (!r.ok) expect(r.error.hint).toMatch(role);
  });

  it('403 in the status dialect too', async () => {
    server.handle((_req, res) => sendJson(res, 403, { status: 'FAILURE', resultMessage: 'Forbidden' }));
    const r = await using(client(), (c) => c.list('Payments', 'Keystore'));
    expect(r.ok ? 'ok' : r.error.kind).toBe('forbidden');
  });

  it('409 duplicate_name is already-exists', async () => {
    server.handle((_req, res) => sendJson(res, 409, { error: 'duplicate_name', error_description: 'Name is taken' }));
    const r = await using(client(), (c) => c.create(aKey()));
    expect(r.ok ? 'ok' : r.error.kind).toBe('already-exists');
  });

  it('an HTML page is a protocol error, and a 404 page is not "no such object"', async () => {
    server.handle((_req, res) => {
      res.writeHead(404, { 'content-type': 'text/html' });
      res.end('<html><body><h1>Whitelabel Error Page</h1></body></html>');
    });
    const r = await using(client(), (c) => c.get({ kind: 'Key', project: 'Payments', name: 'k' }));
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'protocol', status: 404 });
    if (!r.ok) {
      expect(r.error.message).toMatch(/HTTP 404 answer is not JSON: <html>/);
      expect(r.error.hint).toMatch(/is --server .* the Apinizer Manager URL, without \/apiops/);
    }
  });

  it('a 200 that is not JSON is a protocol error that quotes nothing', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>sign in PRIVATE-STUFF</html>');
    });
    const r = await using(client(), (c) => c.list('Payments', 'Key'));
    expect(r.ok ? 'ok' : r.error.kind).toBe('protocol');
    if (!r.ok) expect(r.error.message).not.toContain('PRIVATE');
  });

  it('a redirect is a protocol error that says where it points', async () => {
    server.handle((_req, res) => {
      res.writeHead(301, { location: 'https://apinizer.example.com/apiops/projects/' });
      res.end();
    });
    const r = await using(client(), (c) => c.listProjects());
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'protocol', status: 301 });
    if (!r.ok) expect(r.error.message).toMatch(/redirect to https:\/\/apinizer.example.com/);
  });

  it('a list of an unexpected shape is a protocol error', async () => {
    server.handle((_req, res) => sendJson(res, 200, { success: true, result: { name: 'x' } }));
    const r = await using(client(), (c) => c.list('Payments', 'Key'));
    expect(r.ok ? 'ok' : r.error.kind).toBe('protocol');
  });

  it('skips junk entries of a list without failing it', async () => {
    server.handle((_req, res) =>
      sendJson(res, 200, {
        status: 'SUCCESS',
        resultList: [{ name: 'good', keyType: 'RSA' }, {}, 'junk', null, { name: '' }, { description: 'x' }],
        resultCount: 6,
      }),
    );
    const r = await using(client(), (c) => c.list('Payments', 'Key'));
    expect(r.ok ? r.value.map((x) => x.name) : r.error.message).toEqual(['good']);
  });

  it.each([
    ['result: object', { success: true, result: { name: 'k', keyType: 'EC' } }],
    ['the bare object', { name: 'k', keyType: 'EC', cryptoKeyInfoEnvironmentList: [] }],
    ['resultList: [object]', { status: 'SUCCESS', resultList: [{ name: 'k', keyType: 'EC' }], resultCount: 1 }],
  ])('reads a single GET answered as %s', async (_label, body) => {
    server.handle((_req, res) => sendJson(res, 200, body));
    const r = await using(client(), (c) => c.get({ kind: 'Key', project: 'P', name: 'k' }));
    expect(r.ok ? (r.value as CurrentKey | null)?.keyType : r.error.message).toBe('EC');
  });

  it.each([
    ['404', 404, { error: 'not_found', error_description: 'Key not found' }],
    ['400 not found', 400, { resultMessage: 'Key (name: k) was not found in project (P)!' }],
    ['200 FAILURE', 200, { status: 'FAILURE', resultMessage: 'Key does not exist' }],
  ])('get answers null for a missing object (%s)', async (_label, status, body) => {
    server.handle((_req, res) => sendJson(res, status, body));
    const r = await using(client(), (c) => c.get({ kind: 'Key', project: 'P', name: 'k' }));
    expect(r).toEqual({ ok: true, value: null });
  });

  it('a write answered success:false without deployment details is an error', async () => {
    server.handle((_req, res) => sendJson(res, 200, { success: false, error_description: 'keyType is not supported' }));
    const r = await using(client(), (c) => c.create(aKey({ keyType: 'DSA' })));
    expect(r.ok ? 'ok' : r.error).toMatchObject({
      kind: 'bad-request',
      status: 200,
      message: 'keyType is not supported',
    });
  });

  it('honours Retry-After given as an HTTP date', async () => {
    const clock = fakeClock();
    let calls = 0;
    server.handle((_req, res) => {
      calls++;
      if (calls === 1)
        sendJson(res, 503, { error: 'server_error' }, { 'retry-after': new Date(clock.now() + 4000).toUTCString() });
      else sendJson(res, 200, { success: true, resultList: [] });
    });
    const r = await using(client({ clock, random: () => 0 }), (c) => c.list('P', 'Key'));
    expect(r.ok).toBe(true);
    expect(clock.sleeps).toEqual([4000]);
  });

  it('renews a refused issued token once, then stops with a hint', async () => {
    let issued = 0;
    server.handle((req, res) => {
      if (req.url === '/apiops/auth/token')
        sendJson(res, 200, { access_token: `t${++issued}`, token_type: 'Bearer', expires_in: 3600 });
      else sendJson(res, 401, { error: 'invalid_token', error_description: 'Token is not valid' });
    });
    const r = await using(client({ auth: { username: 'u', password: 'p' } }), (c) => c.list('P', 'Key'));
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'unauthorized', status: 401, attempts: 2 });
    if (!r.ok) expect(r.error.hint).toMatch(/freshly issued/);
    expect(server.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
      'POST /apiops/auth/token',
      'GET /apiops/projects/P/keys/',
      'POST /apiops/auth/token',
      'GET /apiops/projects/P/keys/',
    ]);
  });

  it('a token answer without access_token is a protocol error', async () => {
    server.handle((_req, res) => sendJson(res, 200, { token_type: 'Bearer' }));
    const r = await using(client({ auth: { username: 'u', password: 'p' } }), (c) => c.listProjects());
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'protocol', request: 'POST /apiops/auth/token' });
  });
});

describe('TLS with a private CA', () => {
  let tlsServer: LocalServer;
  let dir: string;
  beforeAll(async () => {
    dir = tempTree();
    // A throwaway self-signed certificate for 127.0.0.1, made the way an operator would.
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=127.0.0.1',
        '-addext',
        'subjectAltName=IP:127.0.0.1',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    tlsServer = await startLocalServer({
      key: readFileSync(join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    });
    tlsServer.handle((_req, res) =>
      sendJson(res, 200, { status: 'SUCCESS', resultList: [{ name: 'Payments' }], resultCount: 1 }),
    );
  });
  afterAll(async () => {
    await tlsServer.close();
  });

  it('trusts the server with --ca-file', async () => {
    const r = await using(
      createApiClient({ server: tlsServer.url, auth: { token: 't' }, caFile: join(dir, 'cert.pem') }),
      (c) => c.listProjects(),
    );
    expect(r).toEqual({ ok: true, value: ['Payments'] });
  });

  it('without it, fails at once with a hint naming --ca-file', async () => {
    const clock = fakeClock();
    const r = await using(createApiClient({ server: tlsServer.url, auth: { token: 't' }, clock }), (c) =>
      c.listProjects(),
    );
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'network', attempts: 1 });
    if (!r.ok) expect(r.error.hint).toMatch(/--ca-file/);
    expect(clock.sleeps).toEqual([]);
  });

  it('refuses an unreadable CA file when the client is made', () => {
    expect(() =>
      createApiClient({ server: tlsServer.url, auth: { token: 't' }, caFile: join(dir, 'missing.pem') }),
    ).toThrow(UsageError);
    expect(() =>
      createApiClient({ server: tlsServer.url, auth: { token: 't' }, caFile: join(dir, 'key.pem') }),
    ).toThrow(/no PEM certificate|CA file/);
  });
});

describe('keys without private material', () => {
  it('sends only the fields it has', async () => {
    const key = aKey({ environments: [aKeyEnvironment('production', { privateKey: undefined })] });
    await using(client(), (c) => c.create(key));
    const body = JSON.parse(server.seen[0]!.body);
    expect(body.cryptoKeyInfoEnvironmentList).toEqual([
      { environmentName: 'production', publicKey: key.environments[0]!.publicKey!.reveal() },
    ]);
  });
});
