// Builders and real key material for the material-check tests.
import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { MaterialValue } from '../../src/material/index.js';
import { Secret } from '../../src/secret.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** The password of every fixture keystore (see fixtures/make-fixtures.sh). */
export const STORE_PASSWORD = 'fixture-Store-pass-9931';

/** A fixture file's bytes. */
export function fixture(name: string): Buffer {
  return readFileSync(FIXTURES + name);
}

/** A fixture file as the base64 value a manifest resolves to. */
export function fixture64(name: string): string {
  return fixture(name).toString('base64');
}

/** Text (a PEM) as the base64 value a manifest resolves to. */
export function b64(text: string | Buffer): string {
  return Buffer.from(text).toString('base64');
}

/** Instants that keep the long-lived fixtures valid and the dated ones expired or future. */
export const NOW = new Date('2030-06-15T12:00:00Z');
/** The notAfter of leaf.crt.pem (and ec-leaf): 2125-01-01. */
export const LEAF_NOT_AFTER = new Date('2125-01-01T00:00:00Z');

/** A test's keystore parameters: the password as plain text, wrapped by aValue. */
export interface KeystoreInput {
  type?: string;
  password?: string;
  alias?: string;
}

/** What a test gives aValue: the value as base64 text and a plain password, wrapped as the checks take them. */
export type ValueInput = Partial<Omit<MaterialValue, 'value' | 'keystore'>> &
  Pick<MaterialValue, 'role'> & { base64: string; keystore?: KeystoreInput };

let line = 0;
/** A value with a fresh location (a distinct line per value) unless one is given. */
export function aValue(input: ValueInput): MaterialValue {
  line += 1;
  const { base64, keystore, ...overrides } = input;
  return {
    form: 'current',
    location: { file: 'keys/payments.yaml', line, column: 9, path: `spec.environments[0].${overrides.role}` },
    context: { project: 'Payments', kind: 'Key', name: 'signing', environment: 'production' },
    ...overrides,
    value: new Secret(base64),
    ...(keystore
      ? {
          keystore: {
            ...(keystore.type !== undefined ? { type: keystore.type } : {}),
            ...(keystore.alias !== undefined ? { alias: keystore.alias } : {}),
            ...(keystore.password !== undefined ? { password: new Secret(keystore.password) } : {}),
          },
        }
      : {}),
  };
}

interface Pair {
  privateKey: KeyObject;
  publicKey: KeyObject;
}

const pairs = new Map<string, Pair>();
/** A key pair made with node:crypto, once per test file and kind. */
export function keyPair(kind: 'rsa2048' | 'rsa2048b' | 'rsa1024' | 'p256' | 'secp256k1' | 'ed25519'): Pair {
  let pair = pairs.get(kind);
  if (!pair) {
    pair =
      kind === 'rsa2048' || kind === 'rsa2048b'
        ? generateKeyPairSync('rsa', { modulusLength: 2048 })
        : kind === 'rsa1024'
          ? generateKeyPairSync('rsa', { modulusLength: 1024 })
          : kind === 'p256'
            ? generateKeyPairSync('ec', { namedCurve: 'prime256v1' })
            : kind === 'secp256k1'
              ? generateKeyPairSync('ec', { namedCurve: 'secp256k1' })
              : generateKeyPairSync('ed25519');
    pairs.set(kind, pair);
  }
  return pair;
}

/** The PEM text of a private key (pkcs8) or public key (spki). */
export function pem(key: KeyObject): string {
  return key.type === 'private'
    ? (key.export({ format: 'pem', type: 'pkcs8' }) as string)
    : (key.export({ format: 'pem', type: 'spki' }) as string);
}

/** The DER bytes of a private key (pkcs8) or public key (spki). */
export function der(key: KeyObject): Buffer {
  return key.type === 'private'
    ? key.export({ format: 'der', type: 'pkcs8' })
    : key.export({ format: 'der', type: 'spki' });
}
