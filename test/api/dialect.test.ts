import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  classify,
  excerpt,
  isProjectNotFound,
  projectFromMessage,
  readAnswer,
  deploymentFromFailure,
  environmentsNamedIn,
  readDeployment,
  readList,
  readNames,
  readSingle,
  serverMessage,
  type HttpAnswer,
} from '../../src/api/dialect.js';

const NOW = Date.UTC(2025, 0, 1);

function answer(status: number, body: unknown, headers: HttpAnswer['headers'] = {}): HttpAnswer {
  return {
    status,
    headers: { 'content-type': 'application/json', ...headers },
    text: typeof body === 'string' ? body : JSON.stringify(body),
  };
}

function failureOf(a: HttpAnswer) {
  const r = readAnswer(a, NOW);
  if (r.ok) throw new Error('expected a failure');
  return r.error;
}

describe('readAnswer: successes in both dialects', () => {
  it.each([
    ['documented', { success: true, resultList: [{ name: 'a' }] }],
    ['status dialect', { status: 'SUCCESS', resultList: [{ name: 'a' }], resultCount: 1 }],
    ['bare array', [{ name: 'a' }]],
    ['empty body', ''],
  ])('%s is a success', (_label, body) => {
    const r = readAnswer(answer(200, body), NOW);
    expect(r.ok).toBe(true);
  });

  it('keeps a write whose top-level success is false but whose deployment says where it failed', () => {
    const body = {
      success: false,
      deploymentResult: {
        success: false,
        environmentResults: [{ environmentName: 'production', success: false, message: 'gateway down' }],
      },
    };
    const r = readAnswer(answer(200, body), NOW);
    expect(r.ok).toBe(true);
  });
});

describe('readAnswer: failures classified', () => {
  const cases: [string, HttpAnswer, { kind: string; code?: string | null; message?: RegExp }][] = [
    [
      'documented already exist (400)',
      answer(400, {
        error: 'bad_request',
        error_description: 'Key (name: my-key) is already exist! Try update operation if want to change its value.',
      }),
      { kind: 'already-exists', code: 'bad_request', message: /already exist/ },
    ],
    [
      'keystore already exist (400)',
      answer(400, {
        error: 'bad_request',
        error_description: 'Keystore (name: ks) is already exist! Try update operation if want to change its value.',
      }),
      { kind: 'already-exists' },
    ],
    [
      'status dialect already exist',
      answer(400, { status: 'FAILURE', resultMessage: 'Key (name: k) is already exist!' }),
      { kind: 'already-exists', code: null },
    ],
    [
      '409 duplicate_name',
      answer(409, { error: 'duplicate_name', error_description: 'Name taken' }),
      { kind: 'already-exists', code: 'duplicate_name' },
    ],
    ['409 conflict', answer(409, { error: 'conflict' }), { kind: 'already-exists' }],
    ['400 with code conflict', answer(400, { error: 'conflict', error_description: 'x' }), { kind: 'already-exists' }],
    [
      '404 documented',
      answer(404, { error: 'not_found', error_description: 'Key not found' }),
      { kind: 'not-found', code: 'not_found' },
    ],
    ['404 empty body', answer(404, ''), { kind: 'not-found' }],
    [
      '400 not found (second dialect)',
      answer(400, { resultMessage: 'Connection was not found!' }),
      { kind: 'not-found', code: null, message: /Connection was not found/ },
    ],
    ['400 does not exist', answer(400, { message: 'Key does not exist' }), { kind: 'not-found' }],
    [
      '400 unknown project',
      answer(400, {
        status: 'FAILURE',
        resultMessage: 'Project not found for name: (Nope) or user has not privilege to access it!',
      }),
      { kind: 'not-found', message: /Nope/ },
    ],
    [
      '200 FAILURE not found',
      answer(200, { status: 'FAILURE', resultMessage: 'Key not found' }),
      { kind: 'not-found' },
    ],
    [
      '200 success:false',
      answer(200, { success: false, error_description: 'Invalid key type' }),
      { kind: 'bad-request', message: /Invalid key type/ },
    ],
    [
      '401 documented',
      answer(401, { error: 'invalid_token', error_description: 'Token expired' }),
      { kind: 'unauthorized', code: 'invalid_token' },
    ],
    [
      '401 bad credentials',
      answer(401, { error: 'unauthorized_client', error_description: 'Bad credentials' }),
      { kind: 'unauthorized' },
    ],
    ['403', answer(403, { error: 'access_denied', error_description: 'Access is denied' }), { kind: 'forbidden' }],
    ['429', answer(429, { error: 'rate_limit_exceeded', retry_after: 1 }), { kind: 'rate-limited' }],
    ['500', answer(500, { error: 'internal_error', error_description: 'boom' }), { kind: 'server', message: /boom/ }],
    [
      '502 html',
      { status: 502, headers: { 'content-type': 'text/html' }, text: '<html><body>Bad Gateway</body></html>' },
      { kind: 'server', message: /502/ },
    ],
    ['401 html from a proxy', { status: 401, headers: {}, text: '<html>login</html>' }, { kind: 'unauthorized' }],
    [
      '404 html (wrong --server path)',
      { status: 404, headers: { 'content-type': 'text/html' }, text: '<html>Not Found</html>' },
      { kind: 'protocol', message: /404/ },
    ],
    [
      '200 html',
      { status: 200, headers: { 'content-type': 'text/html' }, text: '<html>login page</html>' },
      { kind: 'protocol', message: /not JSON/ },
    ],
    [
      '302 redirect',
      { status: 302, headers: { location: 'https://other/' }, text: '' },
      { kind: 'protocol', message: /redirect to https:\/\/other/ },
    ],
    [
      'validation errors',
      answer(400, {
        error: 'validation_failed',
        error_description: 'Invalid body',
        validation_errors: [{ field: 'keyType', message: 'must not be empty' }],
      }),
      { kind: 'bad-request', message: /Invalid body \(keyType: must not be empty\)/ },
    ],
    ['400 without any message', answer(400, {}), { kind: 'bad-request', message: /HTTP 400/ }],
  ];
  it.each(cases)('%s', (_label, a, expected) => {
    const f = failureOf(a);
    expect(f.kind).toBe(expected.kind);
    expect(f.status).toBe(a.status);
    if (expected.code !== undefined) expect(f.code).toBe(expected.code);
    if (expected.message) expect(f.message).toMatch(expected.message);
  });

  it('does not call "already exist" a not-found even when it says both', () => {
    expect(classify(400, null, 'Key (name: x) is already exist! not found elsewhere')).toBe('already-exists');
  });

  it('reads how long to wait from the header, else the body', () => {
    expect(failureOf(answer(429, { retry_after: 2 })).retryAfterMs).toBe(2000);
    expect(failureOf(answer(429, { retry_after: 2 }, { 'retry-after': '5' })).retryAfterMs).toBe(5000);
    expect(failureOf(answer(503, {}, { 'retry-after': new Date(NOW + 7000).toUTCString() })).retryAfterMs).toBe(7000);
    expect(failureOf(answer(503, {})).retryAfterMs).toBeUndefined();
  });

  it('caps quoted text and hides long base64 runs a server may echo back', () => {
    const secret = Buffer.from(
      '-----BEGIN PRIVATE KEY-----\nVERY-SECRET-MATERIAL-0123456789\n-----END PRIVATE KEY-----',
    ).toString('base64');
    const f = failureOf(answer(400, { error_description: `privateKey ${secret} is invalid ${'x '.repeat(500)}` }));
    expect(f.message).not.toContain(secret);
    expect(f.message).toContain('(sensitive value)');
    expect(f.message.length).toBeLessThanOrEqual(400);
    expect(excerpt('a\n\tb')).toBe('a b');
  });

  it('shortens any text exactly as its two replacements and trim say, short plain messages included', () => {
    // The rule spelled out independently: base64-like runs of 40+ masked, whitespace runs one
    // space, trimmed, capped. excerpt returns short plain messages without running it.
    const reference = (text: string, max: number) => {
      const flat = text
        .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '(sensitive value)')
        .replace(/\s+/g, ' ')
        .trim();
      return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
    };
    const pieces = ['Deployed', 'successfully', ' ', '  ', '\t', '\n', 'é', '\u00a0', 'A'.repeat(39), '=', '+/', 'x'];
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...pieces), { maxLength: 8 }),
        fc.constantFrom(80, 200, 400),
        (parts, max) => {
          const text = parts.join('');
          expect(excerpt(text, max)).toBe(reference(text, max));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('does not quote a success body that is not JSON (it may carry key material)', () => {
    const f = failureOf({ status: 200, headers: { 'content-type': 'text/plain' }, text: 'TOP-SECRET-BYTES' });
    expect(f.message).not.toContain('TOP-SECRET');
  });
});

describe('readList', () => {
  it.each([
    [{ success: true, resultList: [1, 2] }, [1, 2]],
    [{ status: 'SUCCESS', resultList: [1], resultCount: 1 }, [1]],
    [{ success: true, result: [3] }, [3]],
    [[4], [4]],
    [{ success: true }, []],
    [{ status: 'SUCCESS', resultList: null, resultCount: 0 }, []],
    [{ success: true, result: { name: 'x' } }, undefined],
    ['text', undefined],
    [null, undefined],
  ])('%j -> %j', (body, expected) => {
    expect(readList(body)).toEqual(expected);
  });
});

describe('readSingle', () => {
  const obj = { name: 'k', keyType: 'RSA' };
  it.each([
    ['resultList: [obj]', { success: true, resultList: [obj] }, obj],
    ['result: obj', { success: true, result: obj }, obj],
    ['bare object', obj, obj],
    ['status dialect', { status: 'SUCCESS', resultList: [obj], resultCount: 1 }, obj],
    ['empty list', { success: true, resultList: [] }, null],
    ['a list holding the name among others', { resultList: [{ name: 'other' }, obj] }, obj],
    ['a list of others only', { resultList: [{ name: 'a' }, { name: 'b' }] }, null],
    ['something else', { success: true, count: 3 }, null],
    ['unreadable', 42, undefined],
  ])('%s', (_label, body, expected) => {
    expect(readSingle(body, 'k')).toEqual(expected);
  });
});

describe('readNames', () => {
  it('takes names from objects or strings and skips junk', () => {
    expect(
      readNames([
        { name: 'production', type: 'PRODUCTION' },
        'test',
        { description: 'no name' },
        null,
        7,
        { environmentName: 'staging' },
      ]),
    ).toEqual(['production', 'test', 'staging']);
  });
});

describe('readDeployment', () => {
  it('reads the documented deployment result', () => {
    const body = {
      success: true,
      deploymentResult: {
        success: true,
        message: 'Deployment completed successfully',
        environmentResults: [
          { environmentName: 'production', success: true, message: 'Deployed successfully' },
          { environmentName: 'test', success: false, message: 'Gateway unreachable' },
        ],
      },
    };
    expect(readDeployment(body)).toEqual([
      { environment: 'production', success: true, message: 'Deployed successfully' },
      { environment: 'test', success: false, message: 'Gateway unreachable' },
    ]);
  });

  it('is empty without a deployment result', () => {
    expect(readDeployment({ success: true })).toEqual([]);
    expect(readDeployment(null)).toEqual([]);
  });

  it('does not lose a failed deployment that names no environment', () => {
    expect(readDeployment({ success: true, deploymentResult: { success: false, message: 'No gateway' } })).toEqual([
      { environment: '*', success: false, message: 'No gateway' },
    ]);
  });

  it('reads the status dialect in environment entries', () => {
    expect(
      readDeployment({
        deploymentResult: { environmentResults: [{ name: 'p', status: 'FAILURE', resultMessage: 'x' }] },
      }),
    ).toEqual([{ environment: 'p', success: false, message: 'x' }]);
  });
});

describe('readDeployment: every shape Apinizer documents (SPEC §5)', () => {
  const failedStaging = { environment: 'staging', success: false, message: 'Gateway timeout' };

  it('reads the OpenAPI DeploymentResult with detailList at the top level', () => {
    const body = {
      envName: null,
      success: false,
      detail: 'Deployment failed',
      detailList: [
        { envName: 'production', podName: 'gw-0', success: true, detail: 'ok' },
        { envName: 'staging', success: false, detail: 'Gateway timeout' },
      ],
    };
    expect(readDeployment(body)).toEqual([
      { environment: 'production', success: true, message: 'gw-0: ok' },
      failedStaging,
    ]);
  });

  it('reads the OpenAPI DeploymentResult under deploymentResult, success as a string', () => {
    const body = {
      success: 'true',
      deploymentResult: {
        success: 'false',
        detailList: [{ envName: 'staging', success: 'false', detail: 'Gateway timeout' }],
      },
    };
    expect(readDeployment(body)).toEqual([failedStaging]);
  });

  it('fails an environment when one of its pods failed, whatever the order', () => {
    const pods = [
      { envName: 'staging', podName: 'gw-0', success: true, detail: 'ok' },
      { envName: 'staging', podName: 'gw-1', success: false, detail: 'Gateway timeout' },
    ];
    for (const detailList of [pods, [...pods].reverse()]) {
      expect(readDeployment({ detailList })).toEqual([
        { environment: 'staging', success: false, message: 'gw-1: Gateway timeout' },
      ]);
    }
  });

  it('reads nested DeploymentResults: pods under an environment, firstFromApiResultList', () => {
    const body = {
      success: false,
      detailList: [
        {
          envName: 'staging',
          success: true,
          detailList: [
            { podName: 'gw-0', success: true, detail: 'ok' },
            { podName: 'gw-1', success: false, detail: 'Gateway timeout' },
          ],
        },
      ],
      firstFromApiResultList: { envName: 'production', success: true, detail: 'ok' },
    };
    expect(readDeployment(body)).toEqual([
      { environment: 'staging', success: false, message: 'gw-1: Gateway timeout' },
      { environment: 'production', success: true, message: 'ok' },
    ]);
  });

  it('reads a top-level DeploymentResult that names its one environment', () => {
    expect(readDeployment({ envName: 'staging', podName: null, success: false, detail: 'Gateway timeout' })).toEqual([
      failedStaging,
    ]);
    expect(readDeployment({ envName: 'staging', success: true, detail: 'ok' })).toEqual([
      { environment: 'staging', success: true, message: 'ok' },
    ]);
  });

  it('keeps a failure reported in one shape when another shape says success', () => {
    const body = {
      success: true,
      detailList: [{ envName: 'staging', success: false, detail: 'Gateway timeout' }],
      deploymentResult: { success: true, environmentResults: [{ environmentName: 'staging', success: true }] },
    };
    expect(readDeployment(body)).toEqual([failedStaging]);
  });

  it('gives entries without a verdict the verdict of their result', () => {
    expect(
      readDeployment({
        deploymentResult: { success: false, environmentResults: [{ environmentName: 'staging', message: 'x' }] },
      }),
    ).toEqual([{ environment: 'staging', success: false, message: 'x' }]);
    expect(readDeployment({ deploymentResult: { environmentResults: [{ environmentName: 'staging' }] } })).toEqual([
      { environment: 'staging', success: true, message: '' },
    ]);
  });

  it('names the environment a bare failure message mentions, else reports *', () => {
    const body = {
      deploymentResult: { success: false, message: 'Deployment to environment staging failed', detailList: [] },
    };
    expect(readDeployment(body, undefined, ['production', 'staging'])).toEqual([
      { environment: 'staging', success: false, message: 'Deployment to environment staging failed' },
    ]);
    expect(readDeployment({ success: false, detailList: [] }, undefined, ['production'])).toEqual([
      { environment: '*', success: false, message: 'deployment failed' },
    ]);
    expect(
      readDeployment({ status: 'FAILURE', resultMessage: 'No gateway', environmentResults: [{ success: false }] }),
    ).toEqual([{ environment: '*', success: false, message: 'No gateway' }]);
  });

  it('is empty for empty lists of a successful answer', () => {
    expect(readDeployment({ success: true, detailList: [], deploymentResult: { environmentResults: [] } })).toEqual([]);
  });

  it('scrubs secrets out of every message', () => {
    const scrub = (t: string) => t.replace('s3cret', '(sensitive value)');
    expect(
      readDeployment({ detailList: [{ envName: 'staging', success: false, detail: 'bad s3cret' }] }, scrub),
    ).toEqual([{ environment: 'staging', success: false, message: 'bad (sensitive value)' }]);
  });

  it('lets a 2xx write answer with deployment facts through readAnswer, in either shape', () => {
    for (const body of [
      { success: false, detailList: [{ envName: 'staging', success: false, detail: 'x' }] },
      { status: 'FAILURE', envName: 'staging', detail: 'x' },
    ]) {
      expect(readAnswer(answer(200, body), NOW).ok).toBe(true);
    }
    expect(readAnswer(answer(200, { success: 'false', message: 'Name is invalid' }), NOW).ok).toBe(false);
    // An empty list says nothing about a deployment: the failure stays one (here a missing key).
    const missing = readAnswer(answer(200, { status: 'FAILURE', resultMessage: 'Key not found', detailList: [] }), NOW);
    expect(missing.ok ? 'ok' : missing.error.kind).toBe('not-found');
  });
});

describe('environmentsNamedIn', () => {
  it('finds whole names only, longest first', () => {
    const envs = ['prod', 'prod-eu', 'test'];
    expect(environmentsNamedIn('Deployment to prod-eu failed', envs)).toEqual(['prod-eu']);
    expect(environmentsNamedIn('failed in prod and prod-eu.', envs)).toEqual(['prod', 'prod-eu']);
    expect(environmentsNamedIn('the tests failed', envs)).toEqual([]);
    expect(environmentsNamedIn('environment (test) failed', envs)).toEqual(['test']);
  });
});

describe('deploymentFromFailure: the top-level summary shape', () => {
  const f = (status: number, message: string) => ({ kind: 'bad-request' as const, status, message });

  it('reads a 2xx failure about deploying as not deployed, naming the environment', () => {
    expect(
      deploymentFromFailure(f(200, 'Deployment to environment staging failed'), ['production', 'staging']),
    ).toEqual([{ environment: 'staging', success: false, message: 'Deployment to environment staging failed' }]);
    expect(deploymentFromFailure(f(200, 'Deploy failed'), ['production'])).toEqual([
      { environment: '*', success: false, message: 'Deploy failed' },
    ]);
  });

  it('reads a deployment failure whose message says "not found" as not deployed, not as a missing object', () => {
    const failure = {
      kind: 'not-found' as const,
      status: 200,
      message: 'Deployment to staging failed: gateway pod not found',
    };
    expect(deploymentFromFailure(failure, ['staging'])?.map((d) => d.environment)).toEqual(['staging']);
  });

  it('leaves a refused write (not about deploying, or not 2xx) a failure', () => {
    expect(deploymentFromFailure(f(200, 'Name is invalid'), ['staging'])).toBeUndefined();
    expect(deploymentFromFailure(f(400, 'Deployment to staging failed'), ['staging'])).toBeUndefined();
    expect(deploymentFromFailure({ ...f(200, 'Deploy x'), kind: 'already-exists' }, ['staging'])).toBeUndefined();
  });
});

describe('messages', () => {
  it('prefers error_description, then resultMessage, then message', () => {
    expect(serverMessage({ error: 'bad_request', error_description: 'A', resultMessage: 'B' })).toBe('A');
    expect(serverMessage({ resultMessage: 'B', message: 'C' })).toBe('B');
    expect(serverMessage({ message: 'C' })).toBe('C');
    expect(serverMessage({ error: 'bad_request' })).toBe('bad_request');
  });

  it('finds the project of the unknown-project answer', () => {
    expect(projectFromMessage('Project not found for name: (My Project) or user has not privilege to access it!')).toBe(
      'My Project',
    );
    expect(projectFromMessage('Key not found')).toBeUndefined();
  });
});

describe('isProjectNotFound', () => {
  it.each([
    ['Project not found for name: (Nope) or user has not privilege to access it!', true],
    ['Project Nope does not exist', true],
    ['Key (name: k) was not found in project (Payments)!', false],
    ['Key (name: project-key) was not found!', false],
    ['Key not found', false],
    ['Key (name: x) is already exist! project not found', false],
  ])('%s -> %s', (message, expected) => {
    expect(isProjectNotFound(message)).toBe(expected);
  });
});
