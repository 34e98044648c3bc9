// A legacy-form Key manifest whose environments' publicKey come from certificate files, for the
// tests of certificate expiry (SPEC §2c): the fixtures are in test/material/fixtures/.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const FIXTURES = fileURLToPath(new URL('../material/fixtures/', import.meta.url));

/** A fixture file's bytes (expired.crt.pem, leaf.crt.pem, ...). */
export function materialFixture(name: string): Buffer {
  return readFileSync(`${FIXTURES}${name}`);
}

/**
 * A Key in project Payments with one environment per entry of `envs` (name -> certificate file,
 * relative to the manifest); its first publicKey is at line 10, column 7; the description is last.
 */
export function certKey(name: string, envs: Record<string, string>, description = 'v1'): string {
  const environments = Object.entries(envs)
    .map(([env, file]) => `    - name: ${env}\n      publicKey: { fromFile: ${file} }\n`)
    .join('');
  return `apiVersion: apinizer-gitops/v1
kind: Key
metadata:
  name: ${name}
  project: Payments
spec:
  keyType: RSA
  environments:
${environments}  description: ${description}
`;
}
