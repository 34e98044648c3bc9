import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  backoffDelay,
  isRetryable,
  parseRetryAfterBody,
  parseRetryAfterHeader,
  type Method,
} from '../../src/api/retry.js';
import type { ApiErrorKind } from '../../src/api/types.js';

const policy = DEFAULT_RETRY_POLICY;

describe('isRetryable', () => {
  const cases: [Method, ApiErrorKind, number | null, string | null, boolean][] = [
    ['GET', 'network', null, 'ECONNRESET', true],
    ['POST', 'network', null, 'ECONNREFUSED', true],
    ['DELETE', 'network', null, 'UND_ERR_SOCKET', true],
    ['GET', 'network', null, 'ENOTFOUND', false],
    ['GET', 'network', null, 'SELF_SIGNED_CERT_IN_CHAIN', false],
    ['PUT', 'timeout', null, null, true],
    ['POST', 'rate-limited', 429, 'rate_limit_exceeded', true],
    ['GET', 'server', 500, 'internal_error', true],
    ['POST', 'server', 500, 'internal_error', true],
    ['PUT', 'server', 500, null, true],
    ['DELETE', 'server', 500, null, true],
    ['POST', 'server', 502, null, true],
    ['PUT', 'server', 503, null, true],
    ['DELETE', 'server', 504, null, true],
    ['GET', 'server', 501, null, false],
    ['GET', 'unauthorized', 401, null, false],
    ['GET', 'forbidden', 403, null, false],
    ['GET', 'not-found', 404, null, false],
    ['POST', 'already-exists', 400, null, false],
    ['POST', 'bad-request', 400, null, false],
    ['GET', 'protocol', 200, null, false],
    ['GET', 'aborted', null, null, false],
  ];
  it.each(cases)('%s %s %s %s -> %s', (method, kind, status, code, expected) => {
    expect(isRetryable(method, { kind, status, code })).toBe(expected);
  });
});

describe('backoffDelay', () => {
  it('is full jitter over an exponentially growing ceiling', () => {
    expect(backoffDelay(1, policy, () => 0.999999)).toBe(199);
    expect(backoffDelay(2, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(400);
    expect(backoffDelay(4, policy, () => 1)).toBe(1600);
    expect(backoffDelay(1, policy, () => 0)).toBe(0);
  });

  it('never grows past the cap', () => {
    expect(backoffDelay(30, policy, () => 1)).toBe(10_000);
    expect(backoffDelay(1000, policy, () => 1)).toBe(10_000);
  });

  it('never waits less than the server asked for', () => {
    expect(backoffDelay(1, policy, () => 0, 3000)).toBe(3000);
    expect(backoffDelay(5, policy, () => 1, 100)).toBe(3200);
    expect(backoffDelay(1, policy, () => 0, 0)).toBe(0);
  });

  it('stays within [0, ceiling] for any random value', () => {
    for (const r of [-1, 0, 0.3, 1, 2]) {
      const d = backoffDelay(2, policy, () => r);
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThanOrEqual(400);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  it.each([
    ['3', 3000],
    [' 0 ', 0],
    ['1.5', 1500],
    [new Date(now + 5000).toUTCString(), 5000],
    [new Date(now - 5000).toUTCString(), 0],
  ])('header %j -> %d ms', (value, expected) => {
    expect(parseRetryAfterHeader(value, now)).toBe(expected);
  });

  it.each([undefined, '', 'soon', '-1x'])('unreadable header %j -> undefined', (value) => {
    expect(parseRetryAfterHeader(value, now)).toBeUndefined();
  });

  it.each([
    [{ error: 'rate_limit_exceeded', retry_after: 2 }, 2000],
    [{ retry_after: '0' }, 0],
    [{ retryAfter: 1 }, 1000],
    [{ retry_after: -1 }, undefined],
    [{ retry_after: 'x' }, undefined],
    [{}, undefined],
    [null, undefined],
    [[1], undefined],
  ])('body %j -> %s', (body, expected) => {
    expect(parseRetryAfterBody(body)).toBe(expected);
  });
});
