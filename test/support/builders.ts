// Test data builders: every test that needs a resource starts from a realistic default and says
// only what matters to it (`aKey({ description: 'old' })`). The secret values are distinctive
// text, so leak tests can search any output for them (SECRET_TEXTS / secretNeedles()).
import { kindRank } from '../../src/kinds/index.js';
import type { CurrentSecret, DesiredResource, DesiredState, SourceLocation } from '../../src/model.js';
import type { CurrentKey, CurrentKeyEnvironment, DesiredKey, KeyEnvironment } from '../../src/kinds/key.js';
import type {
  CurrentKeystore,
  CurrentKeystoreEnvironment,
  DesiredKeystore,
  KeystoreEnvironment,
} from '../../src/kinds/keystore.js';
import { Secret } from '../../src/secret.js';

/** Every plain text a builder turned into a secret, so leak tests know what to look for. */
export const SECRET_TEXTS = new Set<string>();

/** A Secret holding the base64 of `text` (remembered in SECRET_TEXTS). */
export function aSecret(text: string): Secret {
  SECRET_TEXTS.add(text);
  return new Secret(Buffer.from(text, 'utf8').toString('base64'));
}

/** The strings a leak test must not find: every builder secret as text and as base64. */
export function secretNeedles(): string[] {
  const out: string[] = [];
  for (const text of SECRET_TEXTS) {
    out.push(text, Buffer.from(text, 'utf8').toString('base64'));
  }
  return out;
}

/** Distinct key material per environment, so a swapped secret is a real difference. */
export function publicKeyFor(env: string, name = 'payments-signing'): Secret {
  return aSecret(`-----BEGIN PUBLIC KEY-----\nTEST-PUBLIC-${name}-${env}\n-----END PUBLIC KEY-----\n`);
}

/** Private key material for one environment (distinctive text, never printed by the tool). */
export function privateKeyFor(env: string, name = 'payments-signing'): Secret {
  return aSecret(`-----BEGIN PRIVATE KEY-----\nTEST-PRIVATE-${name}-${env}\n-----END PRIVATE KEY-----\n`);
}

/** Keystore file bytes for one environment (distinctive text standing in for a .p12). */
export function keystoreFileFor(env: string, name = 'partner-mtls'): Secret {
  return aSecret(`TEST-KEYSTORE-FILE-${name}-${env}`);
}

/** A source location in a manifest file. */
export function aSource(file = 'keys/payments.yaml', line = 1, column = 1): SourceLocation {
  return { file, line, column };
}

/** A Key environment with public and private key material by default. */
export function aKeyEnvironment(name = 'production', overrides: Partial<KeyEnvironment> = {}): KeyEnvironment {
  return { name, publicKey: publicKeyFor(name), privateKey: privateKeyFor(name), ...overrides };
}

/** A Keystore environment (PKCS12) by default. */
export function aKeystoreEnvironment(
  name = 'production',
  overrides: Partial<KeystoreEnvironment> = {},
): KeystoreEnvironment {
  return { name, type: 'PKCS12', file: keystoreFileFor(name), ...overrides };
}

/** A desired Key: Payments/payments-signing, RSA, production (public+private) and test (public). */
export function aKey(overrides: Partial<Omit<DesiredKey, 'kind'>> = {}): DesiredKey {
  const name = overrides.name ?? 'payments-signing';
  return {
    kind: 'Key',
    project: 'Payments',
    name,
    description: 'Signs payment callbacks',
    keyType: 'RSA',
    environments: [
      {
        name: 'production',
        publicKey: publicKeyFor('production', name),
        privateKey: privateKeyFor('production', name),
      },
      { name: 'test', publicKey: publicKeyFor('test', name) },
    ],
    source: aSource(`keys/${name}.yaml`, 1, 1),
    ...overrides,
  };
}

/** A desired Keystore: Payments/partner-mtls, PKCS12 in production. */
export function aKeystore(overrides: Partial<Omit<DesiredKeystore, 'kind'>> = {}): DesiredKeystore {
  const name = overrides.name ?? 'partner-mtls';
  return {
    kind: 'Keystore',
    project: 'Payments',
    name,
    description: 'Client certificate for partner mTLS',
    environments: [{ name: 'production', type: 'PKCS12', file: keystoreFileFor('production', name) }],
    source: aSource(`keystores/${name}.yaml`, 1, 1),
    ...overrides,
  };
}

/** The kinds `currentOf` models; a fake server holds any other kind through its descriptor. */
export const BUILDER_KINDS: readonly string[] = ['Key', 'Keystore'];

/** How a server reports secrets in reads: as sent, masked (`******`), or left out. */
export type SecretReadMode = 'plain' | 'masked' | 'absent';

function readSecret(s: Secret | undefined, mode: SecretReadMode): CurrentSecret | undefined {
  if (s === undefined) return undefined;
  if (mode === 'masked') return 'masked';
  if (mode === 'absent') return undefined;
  return s;
}

/**
 * The object as the server holds it after applying `desired` (server-only fields dropped, as the
 * client does). `secrets` says how the server reports secret fields.
 */
export function currentOf(resource: DesiredResource, secrets: SecretReadMode = 'plain'): CurrentKey | CurrentKeystore {
  const desired = resource as DesiredKey | DesiredKeystore;
  if (desired.kind === 'Key') {
    return {
      kind: 'Key',
      project: desired.project,
      name: desired.name,
      description: desired.description,
      keyType: desired.keyType,
      environments: desired.environments.map((e) => {
        const env: CurrentKeyEnvironment = { name: e.name };
        const pub = readSecret(e.publicKey, secrets);
        const priv = readSecret(e.privateKey, secrets);
        if (pub !== undefined) env.publicKey = pub;
        if (priv !== undefined) env.privateKey = priv;
        return env;
      }),
    };
  }
  return {
    kind: 'Keystore',
    project: desired.project,
    name: desired.name,
    description: desired.description,
    environments: desired.environments.map((e) => {
      const env: CurrentKeystoreEnvironment = { name: e.name, type: e.type };
      const file = readSecret(e.file, secrets);
      if (file !== undefined) env.file = file;
      return env;
    }),
  };
}

/** A Key as the server reports it; defaults to what `aKey()` would be after apply. */
export function aCurrentKey(overrides: Partial<Omit<CurrentKey, 'kind'>> = {}): CurrentKey {
  const base = currentOf(aKey({ ...(overrides.name !== undefined ? { name: overrides.name } : {}) })) as CurrentKey;
  return { ...base, ...overrides, kind: 'Key' };
}

/** A Keystore as the server reports it; defaults to what `aKeystore()` would be after apply. */
export function aCurrentKeystore(overrides: Partial<Omit<CurrentKeystore, 'kind'>> = {}): CurrentKeystore {
  const base = currentOf(
    aKeystore({ ...(overrides.name !== undefined ? { name: overrides.name } : {}) }),
  ) as CurrentKeystore;
  return { ...base, ...overrides, kind: 'Keystore' };
}

/** A DesiredState as the loader makes it: resources sorted by kind order, project, name; projects listed. */
export function desiredState(...resources: DesiredResource[]): DesiredState {
  const sorted = [...resources].sort(
    (a, b) =>
      kindRank(a.kind) - kindRank(b.kind) ||
      (a.project < b.project ? -1 : a.project > b.project ? 1 : 0) ||
      (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const projects = [...new Set(sorted.map((r) => r.project))].sort();
  return { resources: sorted, projects };
}
