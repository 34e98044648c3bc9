/** Builders for raw API bodies, as the Management API docs show them. */

export const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A CryptoKeyInfo body for POST/PUT .../keys/. */
export function keyBody(name = 'payments-signing', overrides: Record<string, unknown> = {}, environments: string[] = ['production']): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyType: 'RSA',
    cryptoKeyInfoEnvironmentList: environments.map((environmentName) => ({
      environmentName,
      publicKey: b64(`public ${name} ${environmentName}`),
      privateKey: b64(`private ${name} ${environmentName}`),
    })),
    ...overrides,
  };
}

/** A keystore body for POST/PUT .../keystores/. */
export function keystoreBody(name = 'partner-mtls', overrides: Record<string, unknown> = {}, environments: string[] = ['production']): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyStoreEnvironmentList: environments.map((environmentName) => ({ environmentName, type: 'PKCS12', file: b64(`keystore ${name} ${environmentName}`) })),
    ...overrides,
  };
}

/** Both kinds, for table-driven tests. */
export const KINDS = [
  { segment: 'keys', label: 'Key', listField: 'cryptoKeyInfoEnvironmentList', body: keyBody },
  { segment: 'keystores', label: 'Keystore', listField: 'keyStoreEnvironmentList', body: keystoreBody },
] as const;
