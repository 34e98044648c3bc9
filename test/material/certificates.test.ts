import { describe, expect, it } from 'vitest';
import { inspectMaterial } from '../../src/material/index.js';
import { aValue, b64, fixture, fixture64, LEAF_NOT_AFTER, NOW } from './support.js';

const DAY = 86_400_000;

function run(base64: string, now: Date, expiryWarnDays = 30, role: 'public-key' | 'key-pair-public' = 'public-key') {
  const value = aValue({ role, form: role === 'public-key' ? 'current' : 'legacy', base64 });
  return { value, report: inspectMaterial([value], { now, expiryWarnDays, cache: false }) };
}

describe('certificate validity', () => {
  it('reports every certificate found, with its public facts, and no finding while it is valid', () => {
    const { value, report } = run(fixture64('leaf.crt.pem'), NOW);
    expect(report.findings).toEqual([]);
    expect(report.certificates).toEqual([
      {
        subject: 'CN=partner.example.com, O=Fixture Partner',
        issuer: 'CN=partner.example.com, O=Fixture Partner',
        serial: '1000',
        notBefore: new Date('2025-01-01T00:00:00Z'),
        notAfter: LEAF_NOT_AFTER,
        context: value.context,
        location: value.location,
      },
    ]);
  });

  it('makes an expired certificate an error at the value, naming subject, serial and date', () => {
    const { value, report } = run(fixture64('expired.crt.pem'), NOW);
    expect(report.findings).toEqual([
      {
        code: 'certificate-expired',
        severity: 'error',
        blocksWrite: true,
        message:
          'certificate "CN=expired.example.com, O=Fixture Partner" (serial 1001, self-signed) expired on ' +
          '2021-01-01, 3452 days ago: replace it with a renewed certificate',
        location: value.location,
        context: value.context,
      },
    ]);
  });

  it('warns within the window and not outside it, moving the clock instead of waiting', () => {
    const tenDaysBefore = new Date(LEAF_NOT_AFTER.getTime() - 10 * DAY);
    const { value, report } = run(fixture64('leaf.crt.pem'), tenDaysBefore);
    expect(report.findings.map((f) => [f.code, f.severity, f.location])).toEqual([
      ['certificate-expiring', 'warning', value.location],
    ]);
    expect(report.findings[0]?.message).toContain('expires on 2125-01-01, in 10 days: renew it');
    expect(run(fixture64('leaf.crt.pem'), tenDaysBefore, 9).report.findings).toEqual([]);
    expect(run(fixture64('leaf.crt.pem'), new Date(LEAF_NOT_AFTER.getTime() - 30 * DAY)).report.findings).toHaveLength(
      1,
    );
    // The last instant is expired already: notAfter is inclusive of nothing after it.
    expect(run(fixture64('leaf.crt.pem'), LEAF_NOT_AFTER).report.findings[0]?.code).toBe('certificate-expired');
  });

  it('warns about a certificate that is not yet valid', () => {
    const { value, report } = run(fixture64('future.crt.pem'), NOW);
    // A warning, judged per write in plan, apply and watch (blocksWrite), as an expired one is.
    expect(report.findings.map((f) => [f.code, f.severity, f.location, f.blocksWrite])).toEqual([
      ['certificate-not-yet-valid', 'warning', value.location, true],
    ]);
    expect(report.findings[0]?.message).toContain('is not valid before 2100-01-01');
  });

  it('judges every certificate of a chain, and DER certificates in the legacy form', () => {
    const chain = Buffer.concat([fixture('leaf.crt.pem'), fixture('expired.crt.pem'), fixture('future.crt.pem')]);
    expect(run(b64(chain), NOW).report.findings.map((f) => f.code)).toEqual([
      'certificate-expired',
      'certificate-not-yet-valid',
    ]);
    const { report } = run(
      fixture('leaf.crt.der').toString('base64'),
      new Date('2124-12-25T00:00:00Z'),
      30,
      'key-pair-public',
    );
    expect(report.findings.map((f) => [f.code, f.severity])).toEqual([['certificate-expiring', 'warning']]);
  });
});
