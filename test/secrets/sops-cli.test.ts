// SOPS-encrypted manifests through the real CLI against the real emulator (SPEC §2d): decrypted in
// place with the age identity from where sops reads it; without one (or with a wrong one) validate
// warns once per file and exits 0 while plan refuses before any API call; tampering is an error
// naming the file; every output is searched for every decrypted value.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { runCliHere, type CliRun } from '../support/cli.js';
import {
  IDENTITY,
  IDENTITY_FILE,
  MATERIAL,
  OTHER_IDENTITY,
  OTHER_RECIPIENT,
  RECIPIENT,
  emptyConfigHome,
  encrypted,
  keyDoc,
  keystoreDoc,
  materialNeedles,
} from './support.js';

const TOKEN = 'tok-sops-cli-tests-4d7e';
const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ generation: 'legacy', dialect: 'documented', maskSecrets: false, failRate: 0 });
  emulator().resetStats();
});

const outputs: string[] = [];

/** A run, and `text`: its stdout and stderr together (diagnostics go to one or the other by command). */
async function run(dir: string, args: string[], env: Record<string, string> = {}): Promise<CliRun & { text: string }> {
  const result = await runCliHere(args, {
    cwd: dir,
    env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN, XDG_CONFIG_HOME: emptyConfigHome(), ...env },
  });
  outputs.push(result.stdout, result.stderr);
  return { ...result, text: `${result.stdout}${result.stderr}` };
}

function expectNoMaterial(...extra: string[]) {
  const all = [...outputs, ...extra].join('\n');
  for (const needle of materialNeedles())
    expect(all.includes(needle), `an output holds ${JSON.stringify(needle.slice(0, 12))}…`).toBe(false);
}

async function tree(): Promise<string> {
  return tempTree({
    'manifests/keys.yaml': await encrypted([keyDoc('sops-key-a'), keyDoc('sops-key-b')]),
    'manifests/stores.yaml': await encrypted([keystoreDoc('sops-store')]),
  });
}

describe('SOPS-encrypted manifests', () => {
  it('apply with SOPS_AGE_KEY creates the resources; a plan right after shows no changes; nothing leaks', async () => {
    const dir = await tree();
    const env = { SOPS_AGE_KEY: IDENTITY };
    const validate = await run(dir, ['validate', 'manifests'], env);
    expect(validate.code, validate.text).toBe(0);
    expect(validate.text).not.toContain('[encrypted-no-identity]');
    // The most verbose logs too: every request and body the client logs at trace level.
    const apply = await run(dir, ['apply', 'manifests'], { ...env, LOG_LEVEL: 'trace', LOG_FORMAT: 'json' });
    expect(apply.code, apply.stderr).toBe(0);
    expect(apply.stderr).toContain('"level"');
    const stored = JSON.stringify(emulator().store.snapshot());
    // The server got the decrypted material (its store is not an output of the tool).
    expect(stored).toContain(MATERIAL.privateKey);
    expect(stored).toContain(MATERIAL.keystore);
    const plan = await run(dir, ['plan', 'manifests', '--detailed-exitcode'], env);
    expect(plan.code, plan.stdout + plan.text).toBe(0);
    expect(plan.stdout).toContain('No changes.');
    const planFile = join(dir, 'plan.json');
    const saved = await run(dir, ['plan', 'manifests', '--out', planFile], env);
    expect(saved.code, saved.stderr).toBe(0);
    expectNoMaterial(readFileSync(planFile, 'utf8'));
  });

  it('reads the identity from SOPS_AGE_KEY_FILE and from $XDG_CONFIG_HOME/sops/age/keys.txt', async () => {
    const dir = await tree();
    expect((await run(dir, ['plan', 'manifests'], { SOPS_AGE_KEY_FILE: IDENTITY_FILE })).code).toBe(0);
    // A relative SOPS_AGE_KEY_FILE is relative to where the command runs, as for sops.
    writeFileSync(join(dir, 'keys.txt'), IDENTITY);
    expect((await run(dir, ['plan', 'manifests'], { SOPS_AGE_KEY_FILE: 'keys.txt' })).code).toBe(0);
    // One that does not exist is named in the error.
    const missing = await run(dir, ['plan', 'manifests'], { SOPS_AGE_KEY_FILE: 'nope.txt' });
    expect(missing.code).toBe(1);
    expect(missing.text).toContain(`SOPS_AGE_KEY_FILE ${join(dir, 'nope.txt')} cannot be read (ENOENT)`);
    const config = tempTree({ 'sops/age/keys.txt': IDENTITY });
    const viaConfig = await run(dir, ['plan', 'manifests'], { XDG_CONFIG_HOME: config });
    expect(viaConfig.code, viaConfig.stderr).toBe(0);
    const home = tempTree({ '.config/sops/age/keys.txt': IDENTITY });
    const viaHome = await runCliHere(['plan', 'manifests'], {
      cwd: dir,
      env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN, HOME: home },
    });
    expect(viaHome.code, viaHome.stderr).toBe(0);
  });

  it('without an identity: validate warns once per file and exits 0; plan exits 1 with no request, naming file, recipients and variables', async () => {
    const dir = await tree();
    const validate = await run(dir, ['validate', 'manifests']);
    expect(validate.code, validate.text).toBe(0);
    const warnings = validate.text.split('\n').filter((l) => l.includes('[encrypted-no-identity]'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^manifests\/keys\.yaml:\d+:1 warning: is SOPS-encrypted for age recipients age1/);
    expect(warnings[0]).toContain(RECIPIENT);
    expect(warnings[0]).toContain('SOPS_AGE_KEY');
    expect(warnings[0]).toContain('SOPS_AGE_KEY_FILE');

    const plan = await run(dir, ['plan', 'manifests']);
    expect(plan.code).toBe(1);
    expect(emulator().requests()).toEqual([]);
    const errors = plan.text.split('\n').filter((l) => l.includes('[encrypted-no-identity]'));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toContain(RECIPIENT);
    expect(errors[0]).toContain('SOPS_AGE_KEY_FILE');
    const apply = await run(dir, ['apply', 'manifests']);
    expect(apply.code).toBe(1);
    expect(emulator().requests()).toEqual([]);
    expectNoMaterial();
  });

  it('with a wrong identity: the same, and the message says no identity matches', async () => {
    const dir = await tree();
    const env = { SOPS_AGE_KEY: OTHER_IDENTITY };
    expect((await run(dir, ['validate', 'manifests'], env)).code).toBe(0);
    const plan = await run(dir, ['plan', 'manifests'], env);
    expect(plan.code).toBe(1);
    expect(plan.text).toContain('none of the age identities found matches its recipients');
    expect(emulator().requests()).toEqual([]);
  });

  it('decrypts a file for several recipients with any one identity', async () => {
    const dir = tempTree({ 'm/keys.yaml': await encrypted([keyDoc('multi')], [OTHER_RECIPIENT, RECIPIENT]) });
    expect((await run(dir, ['plan', 'm'], { SOPS_AGE_KEY: IDENTITY })).code).toBe(0);
    expect((await run(dir, ['plan', 'm'], { SOPS_AGE_KEY: OTHER_IDENTITY })).code).toBe(0);
  });

  it('without an identity, validate still reports an error in a plain part at its line', async () => {
    const doc = keyDoc('bad-type');
    (doc.spec as Record<string, unknown>).keyType = 'rsa';
    const dir = tempTree({ 'm/keys.yaml': await encrypted([doc]) });
    const validate = await run(dir, ['validate', 'm']);
    expect(validate.code).toBe(1);
    expect(validate.text).toMatch(/m\/keys\.yaml:8:3 Key Payments\/bad-type: spec\.keyType: /);
    expect(validate.text).toContain('[encrypted-no-identity]');
  });

  it('a file encrypted whole (sops default layout) can only be warned about without an identity', async () => {
    const { encryptSopsYaml } = await import('../../src/secrets/sops/encode.js');
    const whole = await encryptSopsYaml([keyDoc('whole')], { recipients: [RECIPIENT], encryptedRegex: '' });
    expect(whole).not.toContain('kind: Key');
    const dir = tempTree({ 'm/keys.yaml': whole });
    const validate = await run(dir, ['validate', 'm']);
    expect(validate.code, validate.text).toBe(0);
    expect(validate.text).toContain('[encrypted-no-identity]');
    expect((await run(dir, ['plan', 'm'], { SOPS_AGE_KEY: IDENTITY })).code).toBe(0);
  });

  it('the inline-private-key warning is for plaintext only', async () => {
    const dir = await tree();
    const validate = await run(dir, ['validate', 'manifests'], { SOPS_AGE_KEY: IDENTITY });
    expect(validate.text).not.toContain('inline-private-key');
  });

  it('reads sops JSON (a .yaml file holding JSON, tab-indented as sops writes it)', async () => {
    const yamlText = await encrypted([keyDoc('from-json')]);
    const json = JSON.stringify(parse(yamlText), null, '\t');
    const dir = tempTree({ 'm/keys.yaml': json });
    const plan = await run(dir, ['plan', 'm'], { SOPS_AGE_KEY: IDENTITY });
    expect(plan.code, plan.text).toBe(0);
    expect(plan.stdout).toContain('+ from-json');
  });

  it.each([
    [
      'a plain value edited without sops',
      (t: string) => t.replace('description: sops test key', 'description: sops test kez'),
      'MAC does not match',
    ],
    ['an encrypted value moved to another field', swapSecrets, 'does not authenticate'],
    [
      'a plain value written where an encrypted one belongs',
      (t: string) => t.replace(/privateKey: ENC\[[^\n]+/, 'privateKey: QUJDRA=='),
      'plain value',
    ],
    ['one byte of a value changed', flipFirstValueByte, 'does not authenticate'],
    ['the MAC removed', (t: string) => t.replace(/mac: ENC\[[^\n]+/, 'mac: ""'), 'MAC'],
  ])('refuses %s: an error naming the file, no request', async (_what, tamper, reason) => {
    const text = await encrypted([keyDoc('tampered')]);
    const dir = tempTree({ 'm/keys.yaml': tamper(text) });
    expect(tamper(text)).not.toBe(text);
    for (const command of ['validate', 'plan']) {
      const result = await run(dir, [command, 'm'], { SOPS_AGE_KEY: IDENTITY });
      expect(result.code).toBe(1);
      expect(result.text).toMatch(/^m\/keys\.yaml:\d+:\d+ is SOPS-encrypted and .*\[sops-tampered\]$/m);
      expect(result.text).toContain(reason);
    }
    expect(emulator().requests()).toEqual([]);
    expectNoMaterial();
  });
});

function swapSecrets(text: string): string {
  const pub = /publicKey: (ENC\[[^\n]+)/.exec(text)?.[1] ?? '';
  const priv = /privateKey: (ENC\[[^\n]+)/.exec(text)?.[1] ?? '';
  return text.replace(`publicKey: ${pub}`, `publicKey: ${priv}`).replace(`privateKey: ${priv}`, `privateKey: ${pub}`);
}

function flipFirstValueByte(text: string): string {
  const at = text.indexOf('ENC[AES256_GCM,data:') + 'ENC[AES256_GCM,data:'.length;
  return text.slice(0, at) + (text[at] === 'A' ? 'B' : 'A') + text.slice(at + 1);
}
