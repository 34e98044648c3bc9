/** Builders for raw API bodies, as the Management API docs show them. */

export const b64 = (text: string): string => Buffer.from(text).toString('base64');

/** A CryptoKeyInfo body for POST/PUT .../keys/. */
export function keyBody(
  name = 'payments-signing',
  overrides: Record<string, unknown> = {},
  environments: string[] = ['production'],
): Record<string, unknown> {
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
export function keystoreBody(
  name = 'partner-mtls',
  overrides: Record<string, unknown> = {},
  environments: string[] = ['production'],
): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyStoreEnvironmentList: environments.map((environmentName) => ({
      environmentName,
      type: 'PKCS12',
      file: b64(`keystore ${name} ${environmentName}`),
    })),
    ...overrides,
  };
}

/** Both kinds, for table-driven tests. */
export const KINDS = [
  { segment: 'keys', label: 'Key', listField: 'cryptoKeyInfoEnvironmentList', body: keyBody },
  { segment: 'keystores', label: 'Keystore', listField: 'keyStoreEnvironmentList', body: keystoreBody },
] as const;

/** A PEM text whose body names what it is (the emulator stores PEMs, it does not parse them). */
export function pem(label: string, what: string): string {
  return `-----BEGIN ${label}-----\n${b64(what)}\n-----END ${label}-----\n`;
}

/** A current-generation key body (KeyCreateDTO): one base64-encoded PEM per environment, with an alias. */
export function currentKeyBody(
  name = 'payments-signing',
  overrides: Record<string, unknown> = {},
  environments: string[] = ['production'],
): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyType: 'PRIVATE_KEY',
    cryptoKeyInfoEnvironmentList: environments.map((environmentName) => ({
      environmentName,
      content: b64(pem('PRIVATE KEY', `private ${name} ${environmentName}`)),
      alias: `${name}-${environmentName}`,
    })),
    ...overrides,
  };
}

/** A current-generation SECRET_KEY body: base64 key bytes and the required algorithm. */
export function currentSecretKeyBody(
  name = 'payments-hmac',
  environments: string[] = ['production'],
): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyType: 'SECRET_KEY',
    algorithm: 'AES',
    cryptoKeyInfoEnvironmentList: environments.map((environmentName) => ({
      environmentName,
      content: b64(`secret bytes ${name} ${environmentName}`),
    })),
  };
}

/** A current-generation keystore body (KeystoreCreateDTO): file, password, keyStoreType and alias per environment. */
export function currentKeystoreBody(
  name = 'partner-mtls',
  overrides: Record<string, unknown> = {},
  environments: string[] = ['production'],
): Record<string, unknown> {
  return {
    name,
    description: `${name} description`,
    keyStoreEnvironmentList: environments.map((environmentName) => ({
      environmentName,
      file: b64(`keystore ${name} ${environmentName}`),
      password: `password ${name} ${environmentName}`,
      alias: `${name}-alias`,
      keyStoreType: 'PKCS12',
    })),
    ...overrides,
  };
}

/** Both kinds in their current form, for table-driven tests. */
export const CURRENT_KINDS = [
  { segment: 'keys', label: 'Key', listField: 'cryptoKeyInfoEnvironmentList', body: currentKeyBody },
  { segment: 'keystores', label: 'Keystore', listField: 'keyStoreEnvironmentList', body: currentKeystoreBody },
] as const;
