// Two of issue 23's smaller truths, through `validate` in process: a value over a length limit is
// reported as over the limit (with its length and the limit), not as "must be a name of ...", and
// two identities that look the same but differ in Unicode normalization (NFC and NFD) are pointed
// out as such, at file:line:col of both, instead of passing as two resources.
import { describe, expect, it } from 'vitest';
import { runCliHere } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';

function key(name: string, project = 'Payments'): string {
  return [
    'apiVersion: apinizer-gitops/v1',
    'kind: Key',
    'metadata:',
    `  name: ${name}`,
    `  project: "${project}"`,
    'spec:',
    '  keyType: RSA',
    '  environments:',
    '    - name: production',
    '      publicKey: { fromFile: pub.pem }',
    '',
  ].join('\n');
}

const PEM = '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n';

describe('validate', () => {
  it.each([
    [
      'metadata.name',
      key('a'.repeat(129)),
      'm/k.yaml:4:3',
      'metadata.name: is 129 characters long, over the limit of 128; shorten it',
    ],
    [
      'metadata.project',
      key('k', 'P'.repeat(300)),
      'm/k.yaml:5:3',
      'metadata.project: is 300 characters long, over the limit of 255',
    ],
  ])('reports %s over its length limit as a length limit', async (_, text, where, expected) => {
    const dir = tempTree({ 'm/k.yaml': text, 'm/pub.pem': PEM });
    const run = await runCliHere(['validate', 'm'], { cwd: dir });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toContain(expected);
    expect(run.stdout + run.stderr).toContain(where);
  });

  it.each([
    ['projects', key('k', 'Caf\u00e9'), key('k', 'Cafe\u0301')],
    ['names in look-alike projects', key('k', '\u00c5land'), key('k', 'A\u030aland')],
    // The decomposed one first: the composed one is then found through the look-alike index.
    ['projects, the decomposed one first', key('k', 'Cafe\u0301'), key('k', 'Caf\u00e9')],
    // Two spellings, neither of them NFC: both found through their one NFC form.
    ['two decomposed spellings', key('k', '\u212bngstr\u00f6m'), key('k', 'A\u030angstro\u0308m')],
  ])('points out %s that differ only in Unicode normalization (NFC and NFD)', async (_, first, second) => {
    const dir = tempTree({ 'm/a.yaml': first, 'm/b.yaml': second, 'm/pub.pem': PEM });
    const run = await runCliHere(['validate', 'm'], { cwd: dir });
    expect(run.code).toBe(1);
    const out = run.stdout + run.stderr;
    expect(out).toContain('m/b.yaml:1:1');
    expect(out).toContain('at m/a.yaml:1:1 but is written with other Unicode code points');
    expect(out).toContain('[duplicate-identity]');
  });
});
