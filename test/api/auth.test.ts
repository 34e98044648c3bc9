import { describe, expect, it } from 'vitest';
import {
  exchangedTokenSource,
  fixedTokenSource,
  readTokenAnswer,
  tokenRequestBody,
  type IssuedToken,
} from '../../src/api/auth.js';
import { ApiError, type Result } from '../../src/api/types.js';
import { fakeClock } from './fake-clock.js';

describe('readTokenAnswer', () => {
  it.each([
    [
      { access_token: 'abc', token_type: 'Bearer', expires_in: 3600 },
      { token: 'abc', expiresInMs: 3_600_000 },
    ],
    [{ access_token: 'abc' }, { token: 'abc' }],
    [
      { accessToken: 'abc', expiresIn: '60' },
      { token: 'abc', expiresInMs: 60_000 },
    ],
    [{ success: true, result: { access_token: 'abc' } }, { token: 'abc' }],
    [{ access_token: '' }, undefined],
    [{ error: 'x' }, undefined],
    ['abc', undefined],
  ])('%j -> %j', (body, expected) => {
    expect(readTokenAnswer(body)).toEqual(expected);
  });
});

describe('tokenRequestBody', () => {
  it('is the documented client-credentials form, encoded', () => {
    expect(tokenRequestBody('admin', 'p&ss=1 ')).toBe(
      'grant_type=client_credentials&client_id=admin&client_secret=p%26ss%3D1+',
    );
  });
});

describe('token sources', () => {
  it('a fixed token cannot be renewed', async () => {
    const s = fixedTokenSource('t');
    expect(s.renewable).toBe(false);
    expect(await s.token()).toEqual({ ok: true, value: 't' });
  });

  it('exchanges once for many concurrent callers, and again after invalidation', async () => {
    let calls = 0;
    const source = exchangedTokenSource(async (): Promise<Result<IssuedToken>> => {
      calls++;
      await new Promise((r) => setTimeout(r, 5));
      return { ok: true, value: { token: `t${calls}` } };
    }, fakeClock());
    const all = await Promise.all(Array.from({ length: 16 }, () => source.token()));
    expect(calls).toBe(1);
    expect(new Set(all.map((r) => (r.ok ? r.value : 'x')))).toEqual(new Set(['t1']));
    source.invalidate('stale-other'); // someone else's stale token does not drop the fresh one
    expect(await source.token()).toEqual({ ok: true, value: 't1' });
    source.invalidate('t1');
    source.invalidate('t1');
    await Promise.all([source.token(), source.token()]);
    expect(calls).toBe(2);
  });

  it('renews shortly before an announced expiry', async () => {
    const clock = fakeClock();
    let calls = 0;
    const source = exchangedTokenSource(
      () => Promise.resolve({ ok: true, value: { token: `t${++calls}`, expiresInMs: 100_000 } }),
      clock,
    );
    expect(await source.token()).toEqual({ ok: true, value: 't1' });
    clock.advance(50_000);
    expect(await source.token()).toEqual({ ok: true, value: 't1' });
    clock.advance(45_000);
    expect(await source.token()).toEqual({ ok: true, value: 't2' });
  });

  it('remembers refused credentials, but not a transient failure', async () => {
    let calls = 0;
    const refused = new ApiError(
      'unauthorized',
      401,
      'unauthorized_client',
      'Bad credentials',
      'h',
      'POST /apiops/auth/token',
      1,
    );
    const source = exchangedTokenSource(() => {
      calls++;
      return Promise.resolve({ ok: false, error: refused });
    }, fakeClock());
    await source.token();
    await source.token();
    expect(calls).toBe(1);

    let transientCalls = 0;
    const down = new ApiError('network', null, 'ECONNREFUSED', 'x', 'h', 'POST /apiops/auth/token', 4);
    const flaky = exchangedTokenSource(() => {
      transientCalls++;
      return Promise.resolve({ ok: false, error: down });
    }, fakeClock());
    await flaky.token();
    await flaky.token();
    expect(transientCalls).toBe(2);
  });
});
