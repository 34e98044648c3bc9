// The material checks (SPEC §2c) as the commands run them, in process: validate reports each
// finding at its value's file:line:col, plan refuses to call the API on a material error, and
// --skip-material-checks lets the same manifests through. No output holds the material.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess, type InProcessRun } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';

const FIXTURES = fileURLToPath(new URL('../material/fixtures/', import.meta.url));
const fixture = (name: string): Buffer => readFileSync(`${FIXTURES}${name}`);
/** The password the fixture stores are made with (test/material/fixtures/make-fixtures.sh). */
const STORE_PASSWORD = 'fixture-Store-pass-9931';
const WRONG_PASSWORD = 'wrong-Password-4471';
const TOKEN = 'tok-material-tests-41c9';

// Line 13 `- name`, line 14 the first field, line 15 the second (keys 1-based, column of the key).
const legacyKey = (name: string, fields: string) => `apiVersion: apinizer-gitops/v1
kind: Key
metadata:
  name: ${name}
  project: Payments
spec:
  keyType: RSA
  environments:
    - name: production
${fields}`;

const files = {
  // A legacy pair whose halves are two different keys (an RSA certificate, an EC private key).
  'keys/pair.yaml': legacyKey(
    'mismatched',
    '      publicKey: { fromFile: leaf.crt.pem }\n      privateKey: { fromFile: ec.key.pem }\n',
  ),
  'keys/expired.yaml': legacyKey('expired', '      publicKey: { fromFile: expired.crt.pem }\n'),
  'keys/leaf.crt.pem': fixture('leaf.crt.pem'),
  'keys/ec.key.pem': fixture('ec-leaf.key.pem'),
  'keys/expired.crt.pem': fixture('expired.crt.pem'),
  'stores/store.yaml': `apiVersion: apinizer-gitops/v1
kind: Keystore
metadata:
  name: partner
  project: Payments
spec:
  environments:
    - name: production
      type: PKCS12
      file: { fromFile: store.p12 }
      password: { fromEnv: STORE_PASSWORD }
      alias: partner
`,
  'stores/store.p12': fixture('store.p12'),
};

/** Every string whose appearance in an output would be a leak of the material or a password. */
function needles(): string[] {
  const out = [STORE_PASSWORD, WRONG_PASSWORD];
  for (const name of ['ec-leaf.key.pem', 'store.p12', 'leaf.crt.pem']) {
    const bytes = fixture(name);
    out.push(bytes.toString('base64').slice(0, 40));
    // A line of a PEM body is base64 of the DER: the key itself.
    const body = bytes
      .toString('latin1')
      .split('\n')
      .find((l) => /^[A-Za-z0-9+/]{40,}$/.test(l));
    if (body) out.push(body);
  }
  return out;
}

function expectNoLeak(run: InProcessRun): void {
  for (const needle of needles()) {
    expect(run.stdout.includes(needle) || run.stderr.includes(needle), `output holds ${needle.slice(0, 8)}…`).toBe(
      false,
    );
  }
}

describe('validate with the material checks', () => {
  it('reports a mismatched pair, an expired certificate and a wrong keystore password at file:line:col', async () => {
    const dir = tempTree(files);
    const run = await runCliInProcess(['validate', '.'], { cwd: dir, env: { STORE_PASSWORD: WRONG_PASSWORD } });
    expect(run.code, run.stdout).toBe(1);
    const lines = run.stdout.split('\n');
    const at = (code: string) => lines.filter((l) => l.endsWith(`[${code}]`)).map((l) => l.split(' ')[0]);
    expect(at('certificate-expired')).toEqual(['keys/expired.yaml:10:7']);
    expect(at('key-pair-mismatch')).toEqual(['keys/pair.yaml:11:7']);
    expect(at('keystore-wrong-password')).toEqual(['stores/store.yaml:10:7']);
    expectNoLeak(run);
  });

  it('--format json carries the findings with their codes', async () => {
    const dir = tempTree(files);
    const run = await runCliInProcess(['validate', '.', '--format', 'json'], { cwd: dir, env: { STORE_PASSWORD } });
    const doc = JSON.parse(run.stdout) as { diagnostics: { code: string; path: string }[] };
    expect(doc.diagnostics.map((d) => `${d.code} ${d.path}`).sort()).toEqual([
      'certificate-expired spec.environments[0].publicKey',
      'key-pair-mismatch spec.environments[0].privateKey',
    ]);
    expectNoLeak(run);
  });

  it('--skip-material-checks turns them off; --expiry-warn-days must be a number', async () => {
    const dir = tempTree(files);
    const off = await runCliInProcess(['validate', '.', '--skip-material-checks'], {
      cwd: dir,
      env: { STORE_PASSWORD: WRONG_PASSWORD },
    });
    expect(off.stdout).toBe('3 files, 3 resources: valid\n');
    expect(off.code).toBe(0);
    const bad = await runCliInProcess(['validate', '.', '--expiry-warn-days', 'soon'], { cwd: dir });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/--expiry-warn-days must be a whole number/);
  });
});

describe('plan with the material checks', () => {
  const emulator = useEmulator({ token: TOKEN });
  beforeEach(() => {
    emulator().store.clear();
    emulator().resetStats();
  });
  const env = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN, STORE_PASSWORD });
  const pairOnly = () =>
    tempTree({
      'keys/pair.yaml': files['keys/pair.yaml'],
      'keys/leaf.crt.pem': files['keys/leaf.crt.pem'],
      'keys/ec.key.pem': files['keys/ec.key.pem'],
    });

  it('makes no API call when the material has an error', async () => {
    const run = await runCliInProcess(['plan', 'keys'], { cwd: pairOnly(), env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/keys\/pair\.yaml:11:7 .*\[key-pair-mismatch\]/);
    expect(emulator().stats().total).toBe(0);
    expectNoLeak(run);
  });

  it('apply writes nothing on a material error', async () => {
    const run = await runCliInProcess(['apply', 'keys'], { cwd: pairOnly(), env: env() });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/\[key-pair-mismatch\]/);
    expect(emulator().stats().total).toBe(0);
    expectNoLeak(run);
  });

  it('--skip-material-checks plans the same manifests', async () => {
    const run = await runCliInProcess(['plan', 'keys', '--skip-material-checks'], { cwd: pairOnly(), env: env() });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\+ mismatched/);
    expect(emulator().stats().total).toBeGreaterThan(0);
    expectNoLeak(run);
  });
});
