// Shared by the SOPS and age tests: the real age test identity (fixtures/age-real, made by age-keygen),
// manifests with distinctive material, encrypted with this project's encoder, and the environment
// that gives (or withholds) the identity.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encryptSopsYaml } from '../../src/secrets/sops/encode.js';

export const FIXTURES = join(import.meta.dirname, 'fixtures');

/** The test identity (AGE-SECRET-KEY-1...) and its recipient. Protects nothing: tests only. */
export const IDENTITY_FILE = join(FIXTURES, 'age-real', 'identity.txt');
export const IDENTITY = readFileSync(IDENTITY_FILE, 'utf8');
export const RECIPIENT = readFileSync(join(FIXTURES, 'age-real', 'recipient.txt'), 'utf8').trim();

/** A second, unrelated identity (made once with typage's generateIdentity): the "wrong" one. */
export const OTHER_IDENTITY = 'AGE-SECRET-KEY-15GC6VK0CXJDE6J20L5ZKVVD0YPJ59EQ8SHQ6780UJLD8VHAV0UHSA400J8';
export const OTHER_RECIPIENT = 'age1mrkdvmaqkd26x3xe7ntwn9cs2mza2ny7uwlq2pklpg7x0ypwaa9sj4gkah';

/** An empty config folder, so that no ~/.config/sops/age/keys.txt of the machine is read. */
export function emptyConfigHome(): string {
  return mkdtempSync(join(tmpdir(), 'xdg-'));
}

/** Secret material that must never show in any output: each a distinctive base64 text. */
export const MATERIAL = {
  publicKey: Buffer.from('-----BEGIN PUBLIC KEY-----\nSOPSTEST-PUBLIC-71c3\n-----END PUBLIC KEY-----\n').toString(
    'base64',
  ),
  privateKey: Buffer.from('-----BEGIN PRIVATE KEY-----\nSOPSTEST-PRIVATE-8e2a\n-----END PRIVATE KEY-----\n').toString(
    'base64',
  ),
  keystore: Buffer.from('SOPSTEST-KEYSTORE-\u0001\u0002-4b1d').toString('base64'),
  password: 'SOPSTEST-password-3f9e',
};

/** Every string whose presence in an output would be a leak of the material. */
export function materialNeedles(): string[] {
  return [
    MATERIAL.publicKey,
    MATERIAL.privateKey,
    MATERIAL.keystore,
    MATERIAL.password,
    'SOPSTEST-PUBLIC-71c3',
    'SOPSTEST-PRIVATE-8e2a',
    'SOPSTEST-KEYSTORE',
  ];
}

/** A legacy Key with both halves inline (to be encrypted). */
export function keyDoc(name: string, project = 'Payments', description = 'sops test key'): Record<string, unknown> {
  return {
    apiVersion: 'apinizer-gitops/v1',
    kind: 'Key',
    metadata: { name, project },
    spec: {
      description,
      keyType: 'RSA',
      environments: [{ name: 'production', publicKey: MATERIAL.publicKey, privateKey: MATERIAL.privateKey }],
    },
  };
}

/** A legacy Keystore with its file inline (to be encrypted). */
export function keystoreDoc(name: string, project = 'Payments'): Record<string, unknown> {
  return {
    apiVersion: 'apinizer-gitops/v1',
    kind: 'Keystore',
    metadata: { name, project },
    spec: {
      description: 'sops test store',
      environments: [{ name: 'production', type: 'PKCS12', file: MATERIAL.keystore }],
    },
  };
}

/** The documents encrypted for the test recipient with the recommended rule. */
export function encrypted(docs: readonly unknown[], recipients: readonly string[] = [RECIPIENT]): Promise<string> {
  return encryptSopsYaml(docs, { recipients });
}
