// age-encrypted `fromFile` targets (SPEC §2d), with files the real `age` 1.1.1 made (fixtures/age-real):
// binary and armored, detected by content not name, decrypted in memory with the identity sops
// reads; without one, validate warns and plan refuses before any API call.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { ageFormat, decryptAge, parseIdentities } from '../../src/secrets/age.js';
import { useEmulator } from '../support/emulator.js';
import { runCliHere } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import { materialNeedles as pemNeedles } from '../support/leak.js';
import { FIXTURES, IDENTITY, OTHER_IDENTITY, emptyConfigHome } from './support.js';

const AGE = join(FIXTURES, 'age-real');
const read = (name: string) => readFileSync(join(AGE, name));
const TOKEN = 'tok-age-file-tests-91be';
const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

describe('age files made by the age tool', () => {
  it('detects both forms by content and decrypts them to the files beside them', async () => {
    expect(ageFormat(read('sample.key.pem.age'))).toBe('binary');
    expect(ageFormat(read('sample.pub.pem.age.asc'))).toBe('armored');
    expect(ageFormat(read('sample.key.pem'))).toBeNull();
    const identities = { keys: await parseIdentities(IDENTITY), sources: ['test'], problems: [] };
    expect(Buffer.from(await decryptAge(read('sample.key.pem.age'), identities))).toEqual(read('sample.key.pem'));
    expect(Buffer.from(await decryptAge(read('sample.pub.pem.age.asc'), identities))).toEqual(read('sample.pub.pem'));
    const wrong = { keys: await parseIdentities(OTHER_IDENTITY), sources: ['test'], problems: [] };
    await expect(decryptAge(read('sample.key.pem.age'), wrong)).rejects.toThrow(/none of the age identities/);
  });

  /** A Key whose halves are age files under names that do not say so: detection is by content. */
  function tree() {
    return tempTree({
      'm/keys.yaml': [
        'apiVersion: apinizer-gitops/v1',
        'kind: Key',
        'metadata: { name: age-key, project: Payments }',
        'spec:',
        '  keyType: RSA',
        '  environments:',
        '    - name: production',
        '      publicKey: { fromFile: material/signing.pub }',
        '      privateKey: { fromFile: material/signing.key }',
        '',
      ].join('\n'),
      'm/material/signing.pub': read('sample.pub.pem.age.asc'),
      'm/material/signing.key': read('sample.key.pem.age'),
    });
  }

  const run = (dir: string, args: string[], env: Record<string, string> = {}) =>
    runCliHere(args, {
      cwd: dir,
      env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN, XDG_CONFIG_HOME: emptyConfigHome(), ...env },
    });

  it('applies the decrypted pair (the material checks see the real keys), then plans no changes', async () => {
    const dir = tree();
    const env = { SOPS_AGE_KEY: IDENTITY };
    const validate = await run(dir, ['validate', 'm'], env);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout + validate.stderr).not.toContain('warning');
    const apply = await run(dir, ['apply', 'm'], env);
    expect(apply.code, apply.stderr).toBe(0);
    const stored = JSON.stringify(emulator().store.snapshot());
    expect(stored).toContain(read('sample.key.pem').toString('base64').slice(0, 40));
    const plan = await run(dir, ['plan', 'm', '--detailed-exitcode'], env);
    expect(plan.code, plan.stdout).toBe(0);
    const all = [validate, apply, plan].map((r) => r.stdout + r.stderr).join('\n');
    for (const needle of [...pemNeedles(read('sample.key.pem')), ...pemNeedles(read('sample.pub.pem'))])
      expect(all.includes(needle)).toBe(false);
  });

  it('without an identity: validate warns once per age file and exits 0; plan exits 1 with no request', async () => {
    const dir = tree();
    // A second manifest naming the same age files: still one warning per file.
    writeFileSync(
      join(dir, 'm', 'more.yaml'),
      readFileSync(join(dir, 'm', 'keys.yaml'), 'utf8').replace('name: age-key', 'name: age-key-2'),
    );
    const validate = await run(dir, ['validate', 'm']);
    expect(validate.code).toBe(0);
    const warnings = (validate.stdout + validate.stderr)
      .split('\n')
      .filter((l) => l.includes('[encrypted-no-identity]'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^m\/keys\.yaml:8:\d+ warning: .*file "material\/signing\.pub" is age-encrypted/);
    const plan = await run(dir, ['plan', 'm'], { SOPS_AGE_KEY: OTHER_IDENTITY });
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toContain('no age identity given opens it');
    expect(emulator().requests()).toEqual([]);
  });
});
