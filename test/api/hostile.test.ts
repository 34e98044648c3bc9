// A hostile or broken server, against the real client over real HTTP: an answer trickling in, an
// answer too large, a write answered with nothing, a redirect to a login page, https:// to a
// plain-HTTP port, a token an HTTP header cannot carry, credentials in a URL that does not parse.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApiClient, type ApiClient, type ClientOptions } from '../../src/api/client.js';
import { resolveConnection } from '../../src/cli/connection.js';
import { DEFAULT_MAX_ANSWER_BYTES, maxAnswerBytesFrom } from '../../src/api/http.js';
import { UsageError } from '../../src/cli/command.js';
import { aKey } from '../support/builders.js';
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
});

function client(extra: Partial<ClientOptions> = {}): ApiClient {
  return createApiClient({
    server: server.url,
    auth: { token: 'hostile-token' },
    clock: fakeClock(),
    timeoutMs: 5000,
    attempts: 1,
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

describe('an answer that trickles in', () => {
  it('is cut at the timeout (headers and whole body), said once, and retried', async () => {
    server.handle((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const timer = setInterval(() => res.write(' '), 50); // a byte every 50 ms: never a pause long enough for an idle timeout
      res.on('close', () => clearInterval(timer));
    });
    const started = Date.now();
    const r = await using(client({ timeoutMs: 400, attempts: 2 }), (c) => c.listProjects());
    const took = Date.now() - started;
    expect(r.ok ? 'ok' : r.error).toMatchObject({
      kind: 'timeout',
      status: null,
      attempts: 2,
      message: 'no complete answer within 0.4 s',
    });
    if (!r.ok) expect(r.error.hint).toMatch(/^raise --timeout \(seconds\)/);
    if (!r.ok) expect(`${r.error.message}. ${r.error.hint}`.match(/within/g)).toHaveLength(1);
    expect(server.seen).toHaveLength(2);
    expect(took).toBeLessThan(5_000);
  });
});

describe('an answer over the size cap', () => {
  it.each([
    ['declared by Content-Length', true],
    ['streamed without a length', false],
  ])('%s fails at once, says so, and is not retried', async (_label, declared) => {
    const body = JSON.stringify({ success: true, resultList: [{ name: 'x'.repeat(3 * 1024 * 1024) }] });
    server.handle((_req, res) => {
      res.writeHead(200, {
        'content-type': 'application/json',
        ...(declared ? { 'content-length': Buffer.byteLength(body) } : {}),
      });
      res.end(body);
    });
    const r = await using(client({ maxAnswerBytes: 1024 * 1024, attempts: 4 }), (c) => c.list('Payments', 'Key'));
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'protocol', code: 'ANSWER_TOO_LARGE', attempts: 1 });
    if (!r.ok) expect(r.error.message).toBe('the answer of GET /apiops/projects/Payments/keys/ exceeded 1 MiB');
    if (!r.ok) expect(r.error.hint).toMatch(/APINIZER_MAX_ANSWER_MB/);
    expect(server.seen).toHaveLength(1);
  });

  it('reads the cap from APINIZER_MAX_ANSWER_MB, refusing nonsense', () => {
    expect(maxAnswerBytesFrom({})).toBe(DEFAULT_MAX_ANSWER_BYTES);
    expect(DEFAULT_MAX_ANSWER_BYTES).toBe(256 * 1024 * 1024);
    expect(maxAnswerBytesFrom({ APINIZER_MAX_ANSWER_MB: '512' })).toBe(512 * 1024 * 1024);
    expect(() => maxAnswerBytesFrom({ APINIZER_MAX_ANSWER_MB: 'lots' })).toThrow(
      /APINIZER_MAX_ANSWER_MB must be a number of MiB/,
    );
  });
});

describe('a write answered with something other than a JSON object', () => {
  it.each([
    ['204 No Content', 204, ''],
    ['200 with an empty body', 200, ''],
    ['200 null', 200, 'null'],
    ['200 []', 200, '[]'],
    ['200 "ok"', 200, '"ok"'],
  ])('%s is a protocol failure, not "created"', async (_label, status, text) => {
    server.handle((_req, res) => {
      res.writeHead(
        status,
        status === 204 ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) },
      );
      res.end(status === 204 ? undefined : text);
    });
    const r = await using(client({ attempts: 4 }), (c) => c.create(aKey({ name: 'k' })));
    expect(r.ok ? 'created' : r.error).toMatchObject({
      kind: 'protocol',
      code: 'WRITE_ANSWER_NOT_OBJECT',
      attempts: 1,
    });
    if (!r.ok)
      expect(r.error.message).toMatch(
        /^the server answered the create with .*, not the JSON object with a deploymentResult/,
      );
    if (!r.ok) expect(r.error.hint).toMatch(/run plan to see whether the change was made/);
    expect(server.seen).toHaveLength(1); // a POST is never repeated blindly
  });
});

describe('misleading answers, named for what they are', () => {
  it('a redirect to an SSO login page', async () => {
    server.handle((_req, res) => {
      res.writeHead(302, {
        location: 'https://sso.example.com/realms/corp/protocol/openid-connect/auth?client_id=apinizer',
      });
      res.end();
    });
    const r = await using(client(), (c) => c.listProjects());
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'protocol', status: 302 });
    if (!r.ok) expect(r.error.hint).toMatch(/^the URL points at a login page .*set --server/);
  });

  it('https:// to a plain-HTTP port', async () => {
    server.handle((_req, res) => sendJson(res, 200, { success: true, resultList: [] }));
    const r = await using(client({ server: server.url.replace('http:', 'https:'), attempts: 3 }), (c) =>
      c.listProjects(),
    );
    expect(r.ok ? 'ok' : r.error).toMatchObject({
      kind: 'network',
      message: 'the server does not speak TLS on that port',
      attempts: 1,
    });
    if (!r.ok)
      expect(r.error.hint).toMatch(/^use http:\/\/ \(loopback only\) or the port where the Manager serves https:\/\//);
  });

  it('a token with an inner line break is refused before any call, without echoing it', () => {
    const env = { APINIZER_URL: 'https://apinizer.example.com', APINIZER_TOKEN: 'abc\ndef-SECRET' };
    const call = () => resolveConnection({ values: {}, positionals: [] }, env, '/');
    expect(call).toThrow(UsageError);
    expect(call).toThrow(
      'APINIZER_TOKEN has invalid characters (a line break at character 4 of 14): a token is one line of printable ASCII',
    );
    try {
      call();
    } catch (err) {
      expect((err as Error).message).not.toContain('SECRET');
    }
  });

  it('a token file: a trailing line break is trimmed, an inner one is an error', () => {
    const dir = tempTree({ ok: 'tok-123\n', bad: 'tok\r\n123\n' });
    const settings = (file: string) =>
      resolveConnection(
        { values: {}, positionals: [] },
        { APINIZER_URL: 'https://a.example.com', APINIZER_TOKEN_FILE: file },
        dir,
      );
    expect(settings('ok').auth).toEqual({ token: 'tok-123' });
    expect(() => settings('bad')).toThrow(
      /the token in APINIZER_TOKEN_FILE "bad" has invalid characters \(a line break at character 4 of 8\)/,
    );
  });

  it('a header-unsafe token given to the client is a permanent failure naming the token, not a network problem', async () => {
    const r = await using(client({ auth: { token: 'abc\ndef' }, attempts: 3 }), (c) => c.listProjects());
    expect(r.ok ? 'ok' : r.error).toMatchObject({ kind: 'network', attempts: 1 });
    if (!r.ok) expect(r.error.hint).toMatch(/the token has characters a header cannot carry/);
  });

  it('credentials in a server URL that does not parse are never echoed', () => {
    for (const url of [
      'https://admin:Sup3rS3cret@apinizer.example.com:80x80',
      'https://admin:Sup3r@S3cret@host:x',
      'ftp://admin:Sup3rS3cret@host',
    ]) {
      const call = () => resolveConnection({ values: { server: url }, positionals: [] }, { APINIZER_TOKEN: 't' }, '/');
      expect(call).toThrow(UsageError);
      try {
        call();
      } catch (err) {
        const message = (err as Error).message;
        expect(message).toMatch(/https?:\/\/\*\*\*@|ftp:\/\/\*\*\*@/);
        expect(message).not.toMatch(/Sup3r|S3cret|admin/);
      }
    }
  });
});
