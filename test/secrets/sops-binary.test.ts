// A SOPS file wrapped only for PGP (or KMS, Vault) goes through the `sops` binary when one is on
// PATH (SPEC §2d), its plaintext read from sops' stdout only; without sops it is an error naming the
// file, the key types and what to add. A small fake `sops` stands in for the real one: it checks
// its arguments and prints the plaintext a real sops would.
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliHere } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import { emptyConfigHome, encrypted, keyDoc, materialNeedles } from './support.js';

const TOKEN = 'tok-sops-binary-tests-6a0f';
const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

const PGP_GROUP = [
  '  pgp:',
  "    - created_at: '2024-01-01T00:00:00Z'",
  '      enc: |',
  '        -----BEGIN PGP MESSAGE-----',
  '        (stands for a data key wrapped for this PGP key)',
  '        -----END PGP MESSAGE-----',
  '      fp: FBC7B9E2A4F9289AC0C1D4843D16CEE4A27381B4',
].join('\n');

/** A manifest file whose data key is wrapped for PGP only (the age stanza swapped out; the MAC does not cover metadata). */
async function pgpOnlyFile(): Promise<{ encryptedText: string; plaintext: string }> {
  const doc = keyDoc('pgp-key');
  const text = await encrypted([doc]);
  const encryptedText = text.replace(/ {2}age:\n(?: {4}.*\n)+/, `${PGP_GROUP}\n`);
  expect(encryptedText).not.toContain('age1');
  return { encryptedText, plaintext: stringify(doc) };
}

/** A folder holding a fake `sops`: it prints the plaintext when called as sops --decrypt ... FILE. */
function fakeSops(plaintextFile: string, exitCode = 0): string {
  const dir = tempTree();
  const script = join(dir, 'sops');
  writeFileSync(
    script,
    [
      '#!/bin/sh',
      '# a stand-in for sops: only the decrypt form the tool uses is accepted',
      'if [ "$1" != "--decrypt" ] || [ "$2" != "--input-type" ] || [ "$4" != "--output-type" ]; then',
      '  echo "unexpected arguments: $*" >&2; exit 3',
      'fi',
      `if [ ${exitCode} -ne 0 ]; then echo "Failed to get the data key required to decrypt the SOPS file." >&2; exit ${exitCode}; fi`,
      `cat '${plaintextFile}'`,
      '',
    ].join('\n'),
  );
  chmodSync(script, 0o755);
  return dir;
}

describe('SOPS files for PGP, KMS or Vault keys', () => {
  it('are decrypted through the sops binary on PATH, and plan sees the values', async () => {
    const { encryptedText, plaintext } = await pgpOnlyFile();
    const dir = tempTree({ 'm/keys.yaml': encryptedText, 'plain.txt': plaintext });
    const bin = fakeSops(join(dir, 'plain.txt'));
    const env = {
      APINIZER_URL: emulator().url,
      APINIZER_TOKEN: TOKEN,
      XDG_CONFIG_HOME: emptyConfigHome(),
      PATH: `${bin}:${process.env.PATH ?? ''}`,
    };
    const apply = await runCliHere(['apply', 'm'], { cwd: dir, env });
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(emulator().store.get('Payments', 'Key', 'pgp-key')).toBeDefined();
    const plan = await runCliHere(['plan', 'm', '--detailed-exitcode'], { cwd: dir, env });
    expect(plan.code, plan.stdout).toBe(0);
    const all = [apply, plan].map((r) => r.stdout + r.stderr).join('\n');
    for (const needle of materialNeedles()) expect(all.includes(needle)).toBe(false);
  });

  it('without sops on PATH: an error naming the file, pgp and what to add; no request', async () => {
    const { encryptedText } = await pgpOnlyFile();
    const dir = tempTree({ 'm/keys.yaml': encryptedText });
    const env = {
      APINIZER_URL: emulator().url,
      APINIZER_TOKEN: TOKEN,
      XDG_CONFIG_HOME: emptyConfigHome(),
      PATH: tempTree(),
    };
    const plan = await runCliHere(['plan', 'm'], { cwd: dir, env });
    expect(plan.code).toBe(1);
    const line = (plan.stdout + plan.stderr).split('\n').find((l) => l.includes('[encrypted-no-identity]')) ?? '';
    expect(line).toMatch(/^m\/keys\.yaml:\d+:\d+ is SOPS-encrypted for pgp keys: .*wrapped only for pgp/);
    expect(line).toContain('install sops');
    expect(line).toContain("add an age recipient with 'sops updatekeys'");
    expect(emulator().requests()).toEqual([]);
  });

  it('when sops fails: its first error line, and no request', async () => {
    const { encryptedText, plaintext } = await pgpOnlyFile();
    const dir = tempTree({ 'm/keys.yaml': encryptedText, 'plain.txt': plaintext });
    const env = {
      APINIZER_URL: emulator().url,
      APINIZER_TOKEN: TOKEN,
      XDG_CONFIG_HOME: emptyConfigHome(),
      PATH: `${fakeSops(join(dir, 'plain.txt'), 128)}:${process.env.PATH ?? ''}`,
    };
    const plan = await runCliHere(['plan', 'm'], { cwd: dir, env });
    expect(plan.code).toBe(1);
    expect(plan.stdout + plan.stderr).toContain('sops failed (exit status 128): Failed to get the data key');
    expect(emulator().requests()).toEqual([]);
  });
});
