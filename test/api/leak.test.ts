// No token, password or secret value in any log line, error message or hint: calls run with
// trace logging into a buffer, through successes, failures, retries and renewals, and the
// buffer and every error are searched for the secret bytes (text and base64).
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient, type ClientOptions } from '../../src/api/client.js';
import type { ApiError } from '../../src/api/types.js';
import { createLogger } from '../../src/log.js';
import { aKey, aKeystore, secretNeedles } from '../support/builders.js';
import { useEmulator } from '../support/emulator.js';
import { fakeClock } from './fake-clock.js';
import { sendJson, startLocalServer, type LocalServer } from './local-server.js';

const TOKEN = 'tok-LEAKCHECK-0123456789';
const PASSWORD = 'pw-LEAKCHECK-9876543210';
const ISSUED = 'issued-LEAKCHECK-abcdef';

function captured() {
  let text = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, done) {
      text += chunk.toString('utf8');
      done();
    },
  });
  return { logger: createLogger({ level: 'trace', format: 'json', destination }), text: () => text };
}

function errorTexts(errors: ApiError[]): string {
  return errors.map((e) => `${e.message}\n${e.hint}\n${e.request}\n${String(e)}\n${JSON.stringify(e)}`).join('\n');
}

function expectNoSecrets(text: string, extra: string[] = []): void {
  for (const needle of [TOKEN, PASSWORD, ISSUED, ...extra, ...secretNeedles()]) expect(text).not.toContain(needle);
}

async function collect(
  client: ApiClient,
  run: (c: ApiClient) => Promise<{ ok: boolean; error?: ApiError }[]>,
): Promise<ApiError[]> {
  try {
    const results = await run(client);
    return results.filter((r) => !r.ok).map((r) => r.error!);
  } finally {
    await client.close();
  }
}

describe('no secret in logs or errors (emulator)', () => {
  const emulator = useEmulator({
    token: TOKEN,
    users: [{ username: 'deployer', password: PASSWORD }],
    retryAfterSeconds: 0,
  });

  it('logs one debug line per request with method, path template, status, ms and attempt, and nothing secret', async () => {
    const log = captured();
    const options = (extra: Partial<ClientOptions>): ClientOptions => ({
      server: emulator().url,
      auth: { token: TOKEN },
      logger: log.logger,
      clock: fakeClock(),
      ...extra,
    });
    const key = aKey({ name: 'leak-key' });
    const ks = aKeystore({ name: 'leak-ks' });
    const errors: ApiError[] = [];
    errors.push(
      ...(await collect(createApiClient(options({})), async (c) => [
        await c.create(key),
        await c.create(key), // already exists
        await c.create(ks),
        await c.get(key),
        await c.list('Payments', 'Key'),
        await c.update({ ...key, description: 'x' }),
        await c.update(aKey({ name: 'missing', project: 'Nope' })),
        await c.delete(key),
        await c.delete(ks),
      ])),
    );
    errors.push(
      ...(await collect(createApiClient(options({ auth: { token: `${TOKEN}-wrong` } })), async (c) => [
        await c.create(key),
      ])),
    );
    errors.push(
      ...(await collect(
        createApiClient(options({ auth: { username: 'deployer', password: `${PASSWORD}-wrong` } })),
        async (c) => [await c.create(key)],
      )),
    );
    errors.push(
      ...(await collect(createApiClient(options({ auth: { username: 'deployer', password: PASSWORD } })), async (c) => {
        const first = await c.create(key);
        emulator().revokeTokens();
        const second = await c.update(key);
        emulator().configure({ failRate: 1, failKinds: ['500', '429', '503', 'reset'] });
        const faulty = [await c.list('Payments', 'Key'), await c.update(key), await c.create(ks)];
        emulator().configure({ failRate: 0 });
        return [first, second, ...faulty, await c.delete(key)];
      })),
    );
    expect(errors.length).toBeGreaterThanOrEqual(5);
    const text = log.text();
    expectNoSecrets(text);
    expectNoSecrets(errorTexts(errors));
    expect(text).not.toMatch(/authorization|Bearer|client_secret/i);

    const lines = text
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    const requests = lines.filter((l) => l.msg === 'api request' || l.msg === 'api request failed');
    expect(requests.length).toBeGreaterThan(10);
    for (const line of requests) {
      expect(Object.keys(line).sort()).toEqual(['attempt', 'level', 'method', 'ms', 'msg', 'path', 'status', 'time']);
      expect(String(line.path)).not.toMatch(/Payments|leak-/); // templates, not names
    }
    expect(requests.some((l) => l.path === '/apiops/projects/{project}/keys/{name}/' && l.method === 'PUT')).toBe(true);
  });
});

describe('no secret in errors from a server that echoes requests back', () => {
  let server: LocalServer;
  beforeAll(async () => {
    server = await startLocalServer();
    server.handle((req, res) => {
      if (req.url === '/apiops/auth/token') return sendJson(res, 200, { access_token: ISSUED, expires_in: 3600 });
      // The worst server: quotes the request's credentials and body in its error.
      sendJson(res, 400, {
        error: 'bad_request',
        error_description: `rejected ${req.headers.authorization ?? ''} ${req.body}`,
      });
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it('scrubs token, issued token, password and key material from messages', async () => {
    const log = captured();
    const key = aKey({ name: 'echo-key' });
    const errors = [
      ...(await collect(
        createApiClient({ server: server.url, auth: { token: TOKEN }, logger: log.logger }),
        async (c) => [await c.create(key), await c.update(key)],
      )),
      ...(await collect(
        createApiClient({ server: server.url, auth: { username: 'u', password: PASSWORD }, logger: log.logger }),
        async (c) => [await c.create(aKeystore({ name: 'echo-ks' }))],
      )),
    ];
    expect(errors).toHaveLength(3);
    expect(errors[0]!.message).toMatch(/^rejected Bearer \(sensitive value\)/);
    expectNoSecrets(
      errorTexts(errors),
      key.environments.flatMap((e) => [e.publicKey?.reveal() ?? '', e.privateKey?.reveal() ?? '']).filter(Boolean),
    );
    expectNoSecrets(log.text());
  });

  it('never leaves half a token where a long message is cut', async () => {
    const padded = await startLocalServer();
    padded.handle((req, res) =>
      sendJson(res, 400, {
        error_description: `${'x '.repeat(190)} ${req.headers.authorization ?? ''} ${'y '.repeat(50)}`,
      }),
    );
    try {
      const errors = await collect(createApiClient({ server: padded.url, auth: { token: TOKEN } }), async (c) => [
        await c.listProjects(),
      ]);
      expect(errors).toHaveLength(1);
      expect(errors[0]!.message).not.toContain(TOKEN.slice(0, 8));
    } finally {
      await padded.close();
    }
  });

  it('scrubs a password a token endpoint echoes form-encoded, and a key cut off mid-value in a Jackson error', async () => {
    const password = 'pä ss/w+rd&LEAK=9';
    const material = aKey({ name: 'jackson-key' });
    const secret = material.environments[0]!.publicKey!.reveal();
    const hostile = await startLocalServer();
    hostile.handle((req, res) => {
      // Echo the request body verbatim (form-encoded), or quote the JSON body cut 20 characters into the secret.
      if (req.url === '/apiops/auth/token') {
        return sendJson(res, 400, {
          error: 'invalid_client',
          error_description: `Bad credentials for request ${req.body}`,
        });
      }
      const at = req.body.indexOf(secret);
      const quoted = at >= 0 ? req.body.slice(0, at + 20) : req.body;
      sendJson(res, 400, {
        error: 'bad_request',
        error_description: `JSON parse error: Unexpected end-of-input; [Source: (String)"${quoted}"[truncated 4000 chars]; line: 1]`,
      });
    });
    try {
      const tokenErrors = await collect(
        createApiClient({ server: hostile.url, auth: { username: 'u', password } }),
        async (c) => [await c.listProjects()],
      );
      expect(tokenErrors).toHaveLength(1);
      const formEncoded = new URLSearchParams({ v: password }).toString().slice(2);
      expect(tokenErrors[0]!.message).toMatch(
        /^the token request \(POST \/apiops\/auth\/token\) failed: Bad credentials for request .*client_secret=\(sensitive value\)/,
      );
      for (const form of [password, formEncoded, encodeURIComponent(password), formEncoded.slice(0, 6)])
        expect(errorTexts(tokenErrors)).not.toContain(form);

      const writeErrors = await collect(createApiClient({ server: hostile.url, auth: { token: TOKEN } }), async (c) => [
        await c.create(material),
      ]);
      expect(writeErrors).toHaveLength(1);
      expect(writeErrors[0]!.message).toContain('[Source: (String)');
      expect(writeErrors[0]!.message).not.toContain(secret.slice(0, 12));
    } finally {
      await hostile.close();
    }
  });
});
