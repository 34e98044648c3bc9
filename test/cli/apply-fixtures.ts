// Shared by the plan/apply CLI tests: manifest trees with distinctive secret material, the
// environment the CLI needs to reach an emulator, and the leak check over every output.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import type { Kind } from '../../src/model.js';
import { runCliHere, runCliProcess, type CliOptions, type CliRun } from '../support/cli.js';

/** A token distinctive enough that finding it in any output proves a leak. */
export const TOKEN = 'tok-7f3a9c2e-apply-tests-Zq8X';

/** Secret material as plain text; the manifests reference it three ways (inline base64, fromEnv utf8, fromFile). */
export const SECRETS = {
  publicKey: '-----BEGIN PUBLIC KEY-----\nAPPLYTEST-PUBLIC-5b1e\n-----END PUBLIC KEY-----\n',
  privateKey: '-----BEGIN PRIVATE KEY-----\nAPPLYTEST-PRIVATE-SECRET-9d42\n-----END PRIVATE KEY-----\n',
  keystore: 'APPLYTEST-KEYSTORE-BYTES-\u0001\u0002-c0ffee',
};

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/** Every string whose presence in an output would be a leak: secret texts, their base64, the token. */
export function leakNeedles(): string[] {
  const out = [TOKEN];
  for (const text of Object.values(SECRETS)) {
    out.push(text.split('\n')[1] ?? text, b64(text));
  }
  return out;
}

/** Fails the test if any output holds a secret, its base64, or the token. */
export function expectNoLeak(...outputs: string[]): void {
  const all = outputs.join('\n');
  for (const needle of leakNeedles())
    expect(all.includes(needle), `output contains ${JSON.stringify(needle.slice(0, 12))}...`).toBe(false);
}

export interface TreeOptions {
  keys?: number;
  keystores?: number;
  project?: string;
  /** Description of every key (change it to make updates). */
  description?: string;
  /** Environment every resource is deployed to. */
  environment?: string;
  /** Names start with this prefix. */
  prefix?: string;
}

/** The manifests of `keys` Keys and `keystores` Keystores, as files for tempTree (under `manifests/`). */
export function manifestFiles(options: TreeOptions = {}): Record<string, string | Uint8Array> {
  const {
    keys = 3,
    keystores = 2,
    project = 'Payments',
    description = 'managed by apply tests',
    environment = 'production',
    prefix = '',
  } = options;
  const keyDocs = Array.from({ length: keys }, (_, i) =>
    [
      'apiVersion: apinizer-gitops/v1',
      'kind: Key',
      'metadata:',
      `  name: ${prefix}key-${String(i).padStart(3, '0')}`,
      `  project: ${project}`,
      'spec:',
      `  description: ${description}`,
      '  keyType: RSA',
      '  environments:',
      `    - name: ${environment}`,
      `      publicKey: ${b64(SECRETS.publicKey)}`,
      '      privateKey: { fromEnv: APPLY_TEST_PRIVATE_KEY, encoding: utf8 }',
    ].join('\n'),
  );
  const keystoreDocs = Array.from({ length: keystores }, (_, i) =>
    [
      'apiVersion: apinizer-gitops/v1',
      'kind: Keystore',
      'metadata:',
      `  name: ${prefix}store-${String(i).padStart(3, '0')}`,
      `  project: ${project}`,
      'spec:',
      `  description: ${description}`,
      '  environments:',
      `    - name: ${environment}`,
      '      type: PKCS12',
      '      file: { fromFile: secrets/store.p12 }',
    ].join('\n'),
  );
  const files: Record<string, string | Uint8Array> = {
    'manifests/secrets/store.p12': Buffer.from(SECRETS.keystore, 'utf8'),
  };
  if (keyDocs.length > 0) files['manifests/keys.yaml'] = `${keyDocs.join('\n---\n')}\n`;
  if (keystoreDocs.length > 0) files['manifests/keystores.yaml'] = `${keystoreDocs.join('\n---\n')}\n`;
  return files;
}

/** The environment the CLI needs to reach this emulator with the manifests' secrets. */
export function cliEnv(
  emulator: RunningEmulator,
  extra: Record<string, string | undefined> = {},
): Record<string, string | undefined> {
  return {
    APINIZER_URL: emulator.url,
    APINIZER_TOKEN: TOKEN,
    APPLY_TEST_PRIVATE_KEY: SECRETS.privateKey,
    ...extra,
  };
}

/** Runs the CLI in this process (runCli) in `cwd` against the emulator. */
export function cli(
  emulator: RunningEmulator,
  cwd: string,
  args: string[],
  options: { env?: Record<string, string | undefined> } = {},
): Promise<CliRun> {
  return runCliHere(args, { cwd, env: cliEnv(emulator, options.env) });
}

/** Runs the built CLI in a child process in `cwd` against the emulator: the end-to-end runs, and signals. */
export function cliProcess(
  emulator: RunningEmulator,
  cwd: string,
  args: string[],
  options: CliOptions = {},
): Promise<CliRun> {
  return runCliProcess(args, { ...options, cwd, env: cliEnv(emulator, options.env) });
}

/** Names the emulator holds for a kind in a project, sorted. */
export function namesOn(emulator: RunningEmulator, kind: Kind, project = 'Payments'): string[] {
  return emulator.store
    .list(project, kind as 'Key' | 'Keystore')
    .map((o) => String(o.name))
    .sort();
}

/** A raw Key as the API would hold it, for seeding the emulator. */
export function rawKey(name: string, description = 'seeded'): Record<string, unknown> {
  return {
    name,
    description,
    keyType: 'RSA',
    cryptoKeyInfoEnvironmentList: [
      { environmentName: 'production', publicKey: b64(SECRETS.publicKey), privateKey: b64(SECRETS.privateKey) },
    ],
  };
}

const schemaDir = (name: string) => fileURLToPath(new URL(`../../schemas/${name}`, import.meta.url));
// ajv-formats is CommonJS: under NodeNext its callable is the default export's `default`.
const addFormats = addFormatsModule.default;
const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validators = {
  plan: ajv.compile(JSON.parse(readFileSync(schemaDir('plan.schema.json'), 'utf8')) as object),
  report: ajv.compile(JSON.parse(readFileSync(schemaDir('report.schema.json'), 'utf8')) as object),
};

/** Parses a JSON output and checks it against schemas/plan.schema.json or report.schema.json. */
export function validJson(kind: 'plan' | 'report', text: string): Record<string, unknown> {
  const doc = JSON.parse(text) as Record<string, unknown>;
  const validate = validators[kind];
  expect(validate(doc), JSON.stringify(validate.errors)).toBe(true);
  return doc;
}
