// Every shipped kind runs the conformance suite (test/kinds/conformance.ts) against the real
// emulator in both API generations, with real material: a Key as a legacy pair and as current
// PEM content, a Keystore as a legacy file and as a current file with its password and alias.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { keyKind } from '../../src/kinds/key.js';
import { keystoreKind } from '../../src/kinds/keystore.js';
import { describeKind, type KindSample } from './conformance.js';

const PROJECT = 'Payments';
const b64 = (v: string | Buffer) => Buffer.from(v).toString('base64');

const pair = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
const publicPem = pair.publicKey.export({ type: 'spki', format: 'pem' }).toString();
const privatePem = pair.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
/** The base64 body of a PEM: what a secret's bytes look like inside any text. */
const pemBody = (pem: string) => pem.replace(/-----[A-Z ]+-----|\s/g, '');

const header = (kind: string, name: string) =>
  `apiVersion: apinizer-gitops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  project: ${PROJECT}\nspec:\n`;

const keySecrets = [b64(publicPem), b64(privatePem), pemBody(privatePem)];

const keySamples: KindSample[] = [
  {
    generation: 'legacy',
    project: PROJECT,
    names: ['conformance-pair'],
    files: {
      'manifests/key.yaml':
        header('Key', 'conformance-pair') +
        '  keyType: EC\n  environments:\n    - name: production\n' +
        `      publicKey: ${b64(publicPem)}\n      privateKey: { fromEnv: CONFORMANCE_PRIVATE_KEY }\n`,
    },
    env: { CONFORMANCE_PRIVATE_KEY: b64(privatePem) },
    secrets: keySecrets,
    exportRoundTrip: true,
  },
  {
    generation: 'current',
    project: PROJECT,
    names: ['conformance-private'],
    files: {
      'manifests/key.yaml':
        header('Key', 'conformance-private') +
        '  keyType: PRIVATE_KEY\n  environments:\n    - name: production\n      content: { fromFile: private.pem }\n',
      'manifests/private.pem': privatePem,
    },
    secrets: keySecrets,
    exportRoundTrip: true,
  },
];

const STORE_PASSWORD = 'fixture-Store-pass-9931';
const store = readFileSync(new URL('../material/fixtures/store.p12', import.meta.url));
const storeSecrets = [b64(store), STORE_PASSWORD];

const keystoreSamples: KindSample[] = [
  {
    generation: 'legacy',
    project: PROJECT,
    names: ['conformance-store'],
    files: {
      'manifests/store.yaml':
        header('Keystore', 'conformance-store') +
        '  environments:\n    - name: production\n      type: PKCS12\n      file: { fromFile: store.p12 }\n',
      'manifests/store.p12': store,
    },
    secrets: storeSecrets,
    exportRoundTrip: true,
  },
  {
    generation: 'current',
    project: PROJECT,
    names: ['conformance-store'],
    files: {
      'manifests/store.yaml':
        header('Keystore', 'conformance-store') +
        '  environments:\n    - name: production\n      type: PKCS12\n      file: { fromFile: store.p12 }\n' +
        '      password: { fromEnv: CONFORMANCE_STORE_PASSWORD }\n      alias: partner\n',
      'manifests/store.p12': store,
    },
    env: { CONFORMANCE_STORE_PASSWORD: STORE_PASSWORD },
    secrets: storeSecrets,
    // The server never gives a keystore password back: an export asks the user for it.
    exportRoundTrip: false,
  },
];

describeKind(keyKind, keySamples);
describeKind(keystoreKind, keystoreSamples);
