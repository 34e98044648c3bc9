// judgeExpiredMaterial (SPEC §2c): which writes would send an expired certificate. Actions are
// written out by hand, as a plan would hold them, so the rule is checked apart from the diff.
import { describe, expect, it } from 'vitest';
import type { ExpiredMaterial } from '../../src/manifest/load.js';
import { judgeExpiredMaterial } from '../../src/reconcile/expiry.js';
import type { PlanAction } from '../../src/reconcile/types.js';

const expired = (name: string, environment = 'production', field = 'publicKey'): ExpiredMaterial => ({
  diagnostic: {
    code: 'certificate-expired',
    severity: 'error',
    message: 'certificate "CN=x" expired on 2021-01-01',
    file: `keys/${name}.yaml`,
    line: 10,
    column: 7,
    path: `spec.environments[0].${field}`,
  },
  resource: { kind: 'Key', project: 'Payments', name },
  environment,
  field,
});

const action = (
  name: string,
  kind: PlanAction['action'],
  changes: string[] = [],
  unknown: string[] = [],
): PlanAction => ({
  action: kind,
  kind: 'Key',
  project: 'Payments',
  name,
  changes: changes.map((path) => ({ path, sensitive: true })),
  unknownFields: unknown,
  fingerprints: { desired: null, current: null },
});

describe('judgeExpiredMaterial', () => {
  it('refuses a create, an update of that material or environment, and an update where the server hides it', () => {
    const v = judgeExpiredMaterial(
      [
        action('created', 'create'),
        action('rotated', 'update', ['environments.production.publicKey']),
        action('new-env', 'update', ['environments.test'], []),
        action('hidden', 'update', ['description'], ['environments.production.publicKey']),
      ],
      [expired('created'), expired('rotated'), expired('new-env', 'test'), expired('hidden')],
    );
    expect([...v.refused].length).toBe(4);
    expect(v.errors.map((d) => d.severity)).toEqual(['error', 'error', 'error', 'error']);
    expect(v.errors[0]?.message).toMatch(/this create would send it to the server, so it is refused$/);
    expect(v.warnings).toEqual([]);
  });

  it('warns where the server already holds it: a noop, an update of other fields or environments, nothing planned', () => {
    const v = judgeExpiredMaterial(
      [
        action('same', 'noop'),
        action('described', 'update', ['description', 'environments.test.publicKey']),
        action('deleted', 'delete'),
      ],
      [expired('same'), expired('described'), expired('deleted'), expired('elsewhere')],
    );
    expect(v.refused.size).toBe(0);
    expect(v.warnings.map((d) => [d.file, d.severity])).toEqual([
      ['keys/same.yaml', 'warning'],
      ['keys/described.yaml', 'warning'],
      ['keys/deleted.yaml', 'warning'],
      ['keys/elsewhere.yaml', 'warning'],
    ]);
    expect(v.warnings[0]?.message).toMatch(/already holds this material/);
  });
});
