// Messages that said the wrong thing, or too little, or far too much.
import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../src/diagnostics.js';
import { loadManifests } from '../../src/manifest/load.js';
import { tempTree } from '../support/tmp.js';
import { KEY, edit } from './fixtures.js';

const brief = (r: Awaited<ReturnType<typeof loadManifests>>) =>
  r.diagnostics.map((d) => [d.code, d.line, d.column, d.path]);

describe('manifest messages', () => {
  it('names a `<<` merge key at file:line:col, whichever parser reads the file (an inline merge once passed the fast path)', async () => {
    const dir = tempTree({
      'inline.yaml': edit(KEY, '  keyType: RSA', '  <<: {keyType: RSA}'),
      'alias.yaml': `defaults: &d\n  keyType: RSA\n${edit(KEY, '  keyType: RSA', '  <<: *d')}`,
      'quoted.yaml': edit(KEY, '  keyType: RSA', '  keyType: RSA\n  "<<": x'),
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.state).toBeNull();
    expect(brief(r)).toEqual([
      ['yaml-merge-key', 9, 3, ''],
      ['yaml-merge-key', 7, 3, ''],
      ['schema', 8, 3, 'spec'], // a quoted "<<" is an ordinary (unknown) field
    ]);
    expect(r.diagnostics[0]!.message).toMatch(
      /^a `<<` merge key is not supported: write the merged fields out in full/,
    );
  });

  it('reports an invalid inline base64 value together with a schema error in the same document', async () => {
    const dir = tempTree({
      'k.yaml': edit(edit(KEY, 'keyType: RSA', 'keyType: rsa'), 'publicKey: QUJDRA==', 'publicKey: not base64!!'),
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(brief(r)).toEqual([
      ['schema', 7, 3, 'spec.keyType'],
      ['invalid-base64', 10, 7, 'spec.environments[0].publicKey'],
    ]);
    expect(r.diagnostics[1]!.resource).toBe('Key Payments/payments-signing');
  });

  it('cuts a 10,000-character name in the printed line', async () => {
    const dir = tempTree({ 'k.yaml': edit(KEY, 'name: payments-signing', `name: ${'n'.repeat(10_000)}`) });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    const lines = r.diagnostics.map(formatDiagnostic);
    expect(lines).toHaveLength(1);
    expect(lines[0]!.length).toBeLessThan(500);
    expect(lines[0]).toContain('…');
  });
});
