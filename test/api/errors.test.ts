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

function failure(
  kind: Failure['kind'],
  message = '',
  status: number | null = 400,
  code: string | null = null,
): Failure {
  return { kind, status, code, message };
}

describe('hintFor', () => {
  it.each<[string, Failure, Partial<CallContext>, RegExp]>([
    [
      '401 with a token',
      failure('unauthorized', 'Token expired', 401),
      {},
      /the token is invalid, expired or revoked: set a valid APINIZER_TOKEN/,
    ],
    [
      '401 at the token exchange',
      failure('unauthorized', 'Bad credentials', 401),
      { call: 'token' },
      /APINIZER_USERNAME and APINIZER_PASSWORD/,
    ],
    ['401 after renewal', failure('unauthorized', '', 401), { auth: 'password' }, /freshly issued/],
    [
      '403 on a key read',
      failure('forbidden', 'Access is denied', 403),
      { call: 'list', method: 'GET', name: undefined },
      /ROLE_API_SECURITY to read/,
    ],
    // A write comes after the plan's reads, which worked: the missing right is the deploy role.
    [
      '403 on a key write',
      failure('forbidden', 'Access is denied', 403),
      {},
      /may read keys and keystores but not change them: .*ROLE_DEPLOY_UNDEPLOY_PROXIES/,
    ],
    [
      '403 on a delete',
      failure('forbidden', '', 403),
      { call: 'delete', method: 'DELETE' },
      /ROLE_DEPLOY_UNDEPLOY_PROXIES/,
    ],
    ['403 on deploy', failure('forbidden', 'User has no privilege to deploy', 403), {}, /ROLE_DEPLOY_UNDEPLOY_PROXIES/],
    [
      '403 on environments',
      failure('forbidden', '', 403),
      { call: 'environments', kind: undefined, name: undefined },
      /project "Payments"/,
    ],
    [
      '404 on a list',
      failure('not-found', 'Not found', 404),
      { call: 'list', name: undefined },
      /project "Payments" does not exist/,
    ],
    [
      '400 unknown project (second dialect)',
      failure('not-found', 'Project not found for name: (Paymnts) or user has not privilege to access it!'),
      { project: 'Paymnts' },
      /project "Paymnts" does not exist or the user cannot access it/,
    ],
    [
      '404 object',
      failure('not-found', 'Key not found', 404),
      { call: 'update', method: 'PUT' },
      /Key Payments\/k1 does not exist/,
    ],
    ['already exists', failure('already-exists', 'is already exist'), {}, /Key Payments\/k1 already exists/],
    [
      'network',
      failure('network', 'ECONNREFUSED', null, 'ECONNREFUSED'),
      {},
      /could not reach https:\/\/apinizer.example.com: check --server \/ network/,
    ],
    ['tls', failure('network', 'x', null, 'SELF_SIGNED_CERT_IN_CHAIN'), {}, /--ca-file/],
    [
      'timeout',
      failure('timeout', 'no complete answer within 2.5 s', null),
      { timeoutMs: 2500 },
      /^raise --timeout \(seconds\)/,
    ],
    ['rate limited once', failure('rate-limited', '', 429), {}, /^the server is rate limiting: lower --concurrency/],
    [
      'rate limited, Retry-After over the maximum',
      { ...failure('rate-limited', '', 429), retryAfterMs: 3_600_000 },
      { maxRetryAfterMs: 60_000 },
      /^the server asked to wait 3600 s, more than the 60 s this tool waits, so the call was not retried/,
    ],
    [
      'https to a plain-HTTP port',
      failure('network', 'the server does not speak TLS on that port', null, 'ERR_SSL_WRONG_VERSION_NUMBER'),
      {},
      /^use http:\/\/ \(loopback only\) or the port where the Manager serves https:\/\//,
    ],
    [
      'invalid header characters',
      failure('network', 'invalid authorization header', null, 'UND_ERR_INVALID_ARG'),
      {},
      /token has characters a header cannot carry/,
    ],
    [
      'redirect to a login page',
      {
        ...failure('protocol', 'HTTP 302 redirect to https://sso.example.com/auth/realms/corp/login', 302),
        location: 'https://sso.example.com/auth/realms/corp/login',
      },
      {},
      /the URL points at a login page .*set --server/,
    ],
    [
      'answer too large',
      failure('protocol', 'the answer of GET /x exceeded 1 MiB', null, 'ANSWER_TOO_LARGE'),
      {},
      /APINIZER_MAX_ANSWER_MB/,
    ],
    ['server', failure('server', '', 503), {}, /HTTP 503/],
    [
      'protocol',
      failure('protocol', 'not JSON', 404),
      {},
      /is --server \(https:\/\/apinizer.example.com\) the Apinizer Manager URL/,
    ],
    [
      'redirect',
      { ...failure('protocol', 'redirect', 301), location: 'https://new.example.com/apiops/' },
      {},
      /redirects to/,
    ],
    ['bad request', failure('bad-request', 'Invalid keyType'), {}, /fix the manifest/],
    ['aborted', failure('aborted', '', null), {}, /interrupted/],
  ])('%s', (_label, f, c, expected) => {
    expect(hintFor(f, ctx(c))).toMatch(expected);
  });

  it('builds an ApiError value with every field', () => {
    const e = toApiError(failure('forbidden', 'denied', 403, 'access_denied'), ctx(), 2);
    expect(e).toMatchObject({
      kind: 'forbidden',
      status: 403,
      code: 'access_denied',
      message: 'denied',
      request: 'POST /apiops/projects/Payments/keys/',
      attempts: 2,
    });
    expect(e.hint).toMatch(/ROLE_DEPLOY_UNDEPLOY_PROXIES/);
  });

  it('says "kept rate limiting" only after more than one attempt', () => {
    expect(toApiError(failure('rate-limited', '', 429), ctx(), 4).hint).toMatch(
      /^the server kept rate limiting \(4 attempts\)/,
    );
    expect(toApiError(failure('rate-limited', '', 429), ctx(), 1).hint).not.toMatch(/kept/);
  });
});

describe('networkFailure', () => {
  it('reads undici and node error codes', () => {
    expect(networkFailure(Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }))).toMatchObject({
      kind: 'network',
      code: 'UND_ERR_SOCKET',
    });
    expect(
      networkFailure(
        Object.assign(new Error('fetch failed'), { cause: { code: 'ECONNRESET', message: 'read ECONNRESET' } }),
      ),
    ).toMatchObject({
      kind: 'network',
      code: 'ECONNRESET',
    });
    expect(
      networkFailure(Object.assign(new Error('Connect Timeout'), { code: 'UND_ERR_CONNECT_TIMEOUT' })),
    ).toMatchObject({ kind: 'timeout' });
    expect(networkFailure('weird')).toMatchObject({ kind: 'network', code: null });
  });

  it('turns OpenSSL\'s "wrong version number" into what it means', () => {
    const raw = Object.assign(
      new Error('write EPROTO 40F8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'),
      { code: 'EPROTO' },
    );
    expect(networkFailure(raw)).toEqual({
      kind: 'network',
      status: null,
      code: 'EPROTO',
      message: 'the server does not speak TLS on that port',
    });
  });
});
