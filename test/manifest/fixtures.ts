// Manifest texts for tests, with known line numbers, so a case can say "line 10, column 7" and
// change one line with `edit(...)` without shifting the others.

/** A valid Key; lines: 1 apiVersion, 2 kind, 3 metadata, 4 name, 5 project, 6 spec, 7 keyType, 8 environments, 9 - name, 10 publicKey. */
export const KEY = `apiVersion: apinizer-gitops/v1
kind: Key
metadata:
  name: payments-signing
  project: Payments
spec:
  keyType: RSA
  environments:
    - name: production
      publicKey: QUJDRA==
`;

/** A valid Keystore; lines: 1 apiVersion, 2 kind, 3 metadata, 4 name, 5 project, 6 spec, 7 environments, 8 - name, 9 type, 10 file. */
export const KEYSTORE = `apiVersion: apinizer-gitops/v1
kind: Keystore
metadata:
  name: partner-mtls
  project: Payments
spec:
  environments:
    - name: production
      type: PKCS12
      file: { fromFile: partner.p12 }
`;

/** `text` with one exact substring replaced; throws when it is absent so a typo cannot pass silently. */
export function edit(text: string, from: string, to: string): string {
  if (!text.includes(from)) throw new Error(`fixture does not contain ${JSON.stringify(from)}`);
  return text.replace(from, to);
}

/** A Key with the given name and project, one environment, inline public key. */
export function keyNamed(name: string, project = 'Payments'): string {
  return edit(edit(KEY, 'name: payments-signing', `name: ${name}`), 'project: Payments', `project: ${project}`);
}
