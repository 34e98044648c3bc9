// Smaller truths of the manifest contract (issue 21): an empty keystore password can be written
// and is applied as such; an empty password file is a mistake said as one (not "invalid base64");
// `referencedJwks: NULLIFY` with `updateReferencedJwks` is refused at the field, saying why.
// Real CLI in process, against the real emulator (current generation) over HTTP.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';

const TOKEN = 'tok-manifest-truths-5Gd1';
const STORE = readFileSync(fileURLToPath(new URL('../material/fixtures/store-empty-password.p12', import.meta.url)));
const emulator = useEmulator({ token: TOKEN, generation: 'current' });

function keystore(password: string, extra = ''): string {
  return (
    'apiVersion: apinizer-gitops/v1\nkind: Keystore\nmetadata:\n  name: no-password\n  project: Payments\n' +
    `spec:\n${extra}  environments:\n    - name: production\n      type: PKCS12\n` +
    `      file: { fromFile: store.p12 }\n      password: ${password}\n      alias: partner\n`
  );
}

async function cli(dir: string, args: string[]) {
  return runCliInProcess([...args, 'm'], { cwd: dir, env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN } });
}

describe('an empty keystore password', () => {
  it('is written password: "", validates without a warning, is applied, and then plans no change', async () => {
    const dir = tempTree({ 'm/ks.yaml': keystore('""'), 'm/store.p12': STORE });
    const validate = await cli(dir, ['validate']);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
    expect(validate.stdout + validate.stderr).not.toMatch(/invalid-base64|inline-secret|keystore-wrong-password/);

    const apply = await cli(dir, ['apply']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    const stored = emulator().store.get('Payments', 'Keystore', 'no-password');
    expect(JSON.stringify(stored)).toContain('"password":""');
    expect((await cli(dir, ['plan', '--detailed-exitcode'])).code).toBe(0);
  });

  it('from an empty file is an error that says how to write an empty password', async () => {
    const dir = tempTree({ 'm/ks.yaml': keystore('{ fromFile: pw.txt }'), 'm/store.p12': STORE, 'm/pw.txt': '\n' });
    const run = await cli(dir, ['validate']);
    expect(run.code).toBe(1);
    const line = (run.stdout + run.stderr).split('\n').find((l) => l.includes('pw.txt')) ?? '';
    expect(line).toMatch(/^m\/ks\.yaml:11:\d+ .*is empty; .*password: ""/);
    expect(line).toContain('[file-unreadable]');
    expect(line).not.toContain('base64');
  });
});

describe('referencedJwks: NULLIFY with updateReferencedJwks', () => {
  it('is a validation error at updateReferencedJwks that says why', async () => {
    const extra = '  referencedJwks: NULLIFY\n  updateReferencedJwks: ALL_PROJECTS\n';
    const dir = tempTree({ 'm/ks.yaml': keystore('""', extra), 'm/store.p12': STORE });
    const run = await cli(dir, ['validate']);
    expect(run.code).toBe(1);
    const line = (run.stdout + run.stderr).split('\n').find((l) => l.includes('updateReferencedJwks')) ?? '';
    expect(line).toMatch(/^m\/ks\.yaml:8:3 /);
    expect(line).toContain('contradicts referencedJwks: NULLIFY');
    expect(line).toMatch(/Remove updateReferencedJwks .* or referencedJwks/);
  });
});
