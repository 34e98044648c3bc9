// Seeds an emulator's store with raw API objects of both kinds, so export has real state to read.
import type { EmulatorStore } from '../../src/emulator/index.js';
import { aSecret } from '../support/builders.js';

const b64 = (text: string) => aSecret(text).reveal();

/** The raw secret values seeded, by the variable name `--secrets env` generates for them. */
export type SeededSecrets = Map<string, string>;

/**
 * Payments: two Keys (one with three environments, public+private / public / private only) and a
 * Keystore in two environments; Identity: one Key, which an export of Payments must leave out.
 * Returns the base64 values by generated variable name.
 */
export function seedBothKinds(store: EmulatorStore): SeededSecrets {
  const secrets: SeededSecrets = new Map();
  const put = (name: string, text: string) => {
    const v = b64(text);
    secrets.set(name, v);
    return v;
  };
  store.put('Payments', 'Key', {
    name: 'payments-signing',
    description: 'Signs payment callbacks',
    keyType: 'RSA',
    cryptoKeyInfoEnvironmentList: [
      // Deliberately not in name order: export sorts.
      {
        environmentName: 'test',
        publicKey: put('APINIZER_PAYMENTS_PAYMENTS_SIGNING_TEST_PUBLIC_KEY', 'EXPORT-PUB-signing-test'),
      },
      {
        environmentName: 'production',
        publicKey: put('APINIZER_PAYMENTS_PAYMENTS_SIGNING_PRODUCTION_PUBLIC_KEY', 'EXPORT-PUB-signing-production'),
        privateKey: put('APINIZER_PAYMENTS_PAYMENTS_SIGNING_PRODUCTION_PRIVATE_KEY', 'EXPORT-PRIV-signing-production'),
      },
      {
        environmentName: 'staging',
        privateKey: put('APINIZER_PAYMENTS_PAYMENTS_SIGNING_STAGING_PRIVATE_KEY', 'EXPORT-PRIV-signing-staging'),
      },
    ],
  });
  store.put('Payments', 'Key', {
    name: 'hmac.v2',
    description: '',
    keyType: 'SECRET_KEY',
    cryptoKeyInfoEnvironmentList: [
      {
        environmentName: 'production',
        privateKey: put('APINIZER_PAYMENTS_HMAC_V2_PRODUCTION_PRIVATE_KEY', 'EXPORT-HMAC-production'),
      },
    ],
  });
  store.put('Payments', 'Keystore', {
    name: 'partner-mtls',
    description: 'yes', // a description YAML would read as a boolean unless quoted
    keyStoreEnvironmentList: [
      {
        environmentName: 'production',
        type: 'PKCS12',
        file: put('APINIZER_PAYMENTS_PARTNER_MTLS_PRODUCTION_FILE', 'EXPORT-P12-partner-production'),
      },
      {
        environmentName: 'test',
        type: 'JKS',
        file: put('APINIZER_PAYMENTS_PARTNER_MTLS_TEST_FILE', 'EXPORT-JKS-partner-test'),
      },
    ],
  });
  store.put('Identity', 'Key', {
    name: 'id-token',
    description: 'Not in Payments',
    keyType: 'EC',
    cryptoKeyInfoEnvironmentList: [{ environmentName: 'production', publicKey: b64('EXPORT-PUB-identity') }],
  });
  return secrets;
}
