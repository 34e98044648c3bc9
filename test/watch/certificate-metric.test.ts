// apinizer_gitops_certificate_expiry_timestamp_seconds: the earliest notAfter per label set.
import { describe, expect, it } from 'vitest';
import { certificateExpiry, newMetrics, renderMetrics } from '../../src/watch/metrics.js';

const ctx = (environment: string, name = 'signing') => ({ project: 'Payments', kind: 'Key', name, environment });

describe('the certificate expiry gauge', () => {
  it('keeps the earliest notAfter of each (project, kind, name, environment), escaped as Prometheus wants', () => {
    const metrics = newMetrics();
    metrics.certificateExpiry = certificateExpiry([
      { notAfter: new Date('2030-01-01T00:00:00Z'), context: ctx('production') },
      { notAfter: new Date('2027-03-01T00:00:00Z'), context: ctx('production') },
      { notAfter: new Date('2028-01-01T00:00:00Z'), context: ctx('te"st') },
    ]);
    const lines = renderMetrics(metrics)
      .split('\n')
      .filter((l) => l.startsWith('apinizer_gitops_certificate_expiry'));
    expect(lines).toEqual([
      'apinizer_gitops_certificate_expiry_timestamp_seconds{project="Payments",kind="Key",name="signing",environment="production"} 1803859200',
      'apinizer_gitops_certificate_expiry_timestamp_seconds{project="Payments",kind="Key",name="signing",environment="te\\"st"} 1830297600',
    ]);
  });
});
