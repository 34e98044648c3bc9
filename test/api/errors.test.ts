import { describe, expect, it } from 'vitest';
import { hintFor, networkFailure, toApiError, type CallContext } from '../../src/api/errors.js';
import type { Failure } from '../../src/api/dialect.js';

function ctx(overrides: Partial<CallContext> = {}): CallContext {
  return {
    call: 'create',
    method: 'POST',
    request: 'POST /apiops/projects/Payments/keys/',
    kind: 'Key',
    project: 'Payments',
    name: 'k1',
    auth: 'token',
    server: 'https://apinizer.example.com',
    timeoutMs: 30_000,
    ...overrides,
  };
}

function failure(kind: Failure['kind'], message = '', status: number | null = 400, code: string | null = null): Failure {
  return { kind, status, code, message };
}

describe('hintFor', () => {
  it.each<[string, Failure, Partial<CallContext>, RegExp]>([
    ['401 with a token', failure('unauthorized', 'Token expired', 401), {}, /the token is invalid, expired or revoked: set a valid APINIZER_TOKEN/],
    ['401 at the token exchange', failure('unauthorized', 'Bad credentials', 401), { call: 'token' }, /APINIZER_USERNAME and APINIZER_PASSWORD/],
    ['401 after renewal', failure('unauthorized', '', 401), { auth: 'password' }, /freshly issued/],
    ['403 on a key', failure('forbidden', 'Access is denied', 403), {}, /ROLE_API_SECURITY/],
    ['403 on deploy', failure('forbidden', 'User has no privilege to deploy', 403), {}, /ROLE_DEPLOY_UNDEPLOY_PROXIES/],
    ['403 on environments', failure('forbidden', '', 403), { call: 'environments', kind: undefined, name: undefined }, /project "Payments"/],
    ['404 on a list', failure('not-found', 'Not found', 404), { call: 'list', name: undefined }, /project "Payments" does not exist/],
    [
      '400 unknown project (second dialect)',
      failure('not-found', 'Project not found for name: (Paymnts) or user has not privilege to access it!'),
      { project: 'Paymnts' },
      /project "Paymnts" does not exist or the user cannot access it/,
    ],
    ['404 object', failure('not-found', 'Key not found', 404), { call: 'update', method: 'PUT' }, /Key Payments\/k1 does not exist/],
    ['already exists', failure('already-exists', 'is already exist'), {}, /Key Payments\/k1 already exists/],
    ['network', failure('network', 'ECONNREFUSED', null, 'ECONNREFUSED'), {}, /could not reach https:\/\/apinizer.example.com: check --server \/ network/],
    ['tls', failure('network', 'x', null, 'SELF_SIGNED_CERT_IN_CHAIN'), {}, /--ca-file/],
    ['timeout', failure('timeout', 'x', null), { timeoutMs: 2500 }, /within 2.5 s: raise --timeout/],
    ['rate limited', failure('rate-limited', '', 429), {}, /--concurrency/],
    ['server', failure('server', '', 503), {}, /HTTP 503/],
    ['protocol', failure('protocol', 'not JSON', 404), {}, /is --server \(https:\/\/apinizer.example.com\) the Apinizer Manager URL/],
    ['redirect', failure('protocol', 'redirect', 301), {}, /redirects to/],
    ['bad request', failure('bad-request', 'Invalid keyType'), {}, /fix the manifest/],
    ['aborted', failure('aborted', '', null), {}, /interrupted/],
  ])('%s', (_label, f, c, expected) => {
    expect(hintFor(f, ctx(c))).toMatch(expected);
  });

  it('builds an ApiError value with every field', () => {
    const e = toApiError(failure('forbidden', 'denied', 403, 'access_denied'), ctx(), 2);
    expect(e).toMatchObject({ kind: 'forbidden', status: 403, code: 'access_denied', message: 'denied', request: 'POST /apiops/projects/Payments/keys/', attempts: 2 });
    expect(e.hint).toMatch(/ROLE_API_SECURITY/);
  });
});

describe('networkFailure', () => {
  it('reads undici and node error codes', () => {
    expect(networkFailure(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toMatchObject({ kind: 'network', code: 'UND_ERR_SOCKET' });
    expect(networkFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET', message: 'read ECONNRESET' } }))).toMatchObject({
      kind: 'network',
      code: 'ECONNRESET',
    });
    expect(networkFailure(Object.assign(new Error('Connect Timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' }))).toMatchObject({ kind: 'timeout' });
    expect(networkFailure('weird')).toMatchObject({ kind: 'network', code: null });
  });
});
