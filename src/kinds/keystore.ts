// The Keystore kind: a JKS or PKCS12 file per environment, in `/projects/{project}/keystores/`,
// body `keyStoreEnvironmentList`. The current form adds a password (a text secret) and an alias.
import type { CurrentResource, CurrentSecret, DesiredResource } from '../model.js';
import type { Secret } from '../secret.js';
import { jwkSourceDeleteWarning, readEnvironments, readSecret, sendBinary, text } from './material.js';
import { jwkSpecProblems, jwkWriteOptions, type JwkWriteFields } from './jwk.js';
import { defineKind, type ExportShape, type ManifestProblem, type MaterialField } from './types.js';

export type KeystoreType = 'JKS' | 'PKCS12';

/** A Keystore environment; `password` and `alias` only in the current form. */
export interface KeystoreEnvironment {
  name: string;
  type: KeystoreType;
  file: Secret;
  /** A text secret: the password itself, not base64. */
  password?: Secret;
  alias?: string;
}

/** A Keystore as the manifests declare it. */
export interface DesiredKeystore extends DesiredResource, JwkWriteFields {
  kind: 'Keystore';
  environments: KeystoreEnvironment[];
}

/** A Keystore environment as the API reports it. */
export interface CurrentKeystoreEnvironment {
  name: string;
  type: string;
  file?: CurrentSecret;
  password?: CurrentSecret;
  alias?: string;
}

/** A Keystore as the API reports it. */
export interface CurrentKeystore extends CurrentResource {
  kind: 'Keystore';
  environments: CurrentKeystoreEnvironment[];
}

declare module '../diagnostics.js' {
  interface KindDiagnosticCodes {
    /** warning: a password written in the manifest */
    'inline-secret': true;
  }
}

const ENVIRONMENT_LISTS = ['keyStoreEnvironmentList', 'keystoreEnvironmentList', 'environmentList', 'environments'];

function isCurrentEnvironment(env: object): boolean {
  const e = env as Record<string, unknown>;
  return e.password !== undefined || e.alias !== undefined;
}

export const keystoreKind = defineKind<DesiredKeystore, CurrentKeystore>({
  kind: 'Keystore',
  plural: 'Keystores',
  segment: 'keystores',
  schema: 'keystore.schema.json',
  dependsOn: [],
  writeOptions: jwkWriteOptions,
  resourceFields: [],
  environmentFields: [
    // JKS/PKCS12 are names of formats, not user text; servers have been seen echoing `pkcs12`.
    { name: 'type', role: 'plain', caseInsensitive: true, hint: 'JKS or PKCS12' },
    { name: 'file', role: 'binary-secret' },
    {
      name: 'password',
      role: 'text-secret',
      forms: ['current'],
      inlineWarning: {
        code: 'inline-secret',
        message:
          'the keystore password is written in the manifest in clear; encrypt the file with SOPS (sops encrypt, see docs/secrets.md), or keep it out of Git with { fromEnv: NAME } or { fromFile: PATH }',
      },
    },
    { name: 'alias', role: 'plain', forms: ['current'] },
  ],
  exportField: 'file',
  prose: {
    deleteWarning: jwkSourceDeleteWarning,
  },
  redactNames: ['file', 'password'],

  formOf(resource) {
    return resource.environments.some(isCurrentEnvironment) ? 'current' : 'legacy';
  },

  formAdvice(form) {
    return form === 'legacy'
      ? `that generation needs each keystore's password: add ` +
          '`password: { fromEnv: NAME }` (or fromFile) to every environment'
      : `that generation takes no keystore password or alias: ` + 'remove password and alias from every environment';
  },

  checkSpec(spec) {
    const problems: ManifestProblem[] = jwkSpecProblems(spec);
    const envs = Array.isArray(spec.environments) ? (spec.environments as Record<string, unknown>[]) : [];
    if (!envs.some(isCurrentEnvironment)) return problems;
    envs.forEach((env, i) => {
      if (env.password !== undefined) return;
      problems.push({
        path: ['spec', 'environments', i, 'password'],
        target: 'node',
        message:
          'is required: this Keystore is in the current form (an environment has password or alias), where every ' +
          'environment needs its password; add password: { fromEnv: NAME }',
      });
    });
    return problems;
  },

  toApiBody(store, generation) {
    return {
      name: store.name,
      description: store.description,
      keyStoreEnvironmentList: store.environments.map((e) =>
        generation === 'legacy'
          ? { environmentName: e.name, type: e.type, file: sendBinary(e.file) }
          : {
              environmentName: e.name,
              keyStoreType: e.type,
              file: sendBinary(e.file),
              // A text secret: the password itself.
              ...(e.password ? { password: e.password.reveal() } : {}),
              ...(e.alias !== undefined ? { alias: e.alias } : {}),
            },
      ),
    };
  },

  fromApiObject(raw, base, generation, held) {
    const environments = readEnvironments(raw, ENVIRONMENT_LISTS, (e, name) => {
      const type = text(e.type) ?? text(e.keyStoreType) ?? '';
      const env: CurrentKeystoreEnvironment = { name, type };
      if (generation === 'legacy') {
        const file = readSecret(e.file, held);
        if (file !== undefined) env.file = file;
      } else {
        // `file` and `password` in current reads are absent or encrypted: unusable. The file comes
        // from export-file; the password can never be read back.
        env.password = 'masked';
        const alias = text(e.alias);
        if (alias !== undefined) env.alias = alias;
      }
      return env;
    });
    const store: CurrentKeystore = { ...base, kind: 'Keystore', environments };
    return store;
  },

  exportShape(store, generation) {
    const shape: ExportShape = { fields: [], environments: [], warnings: [] };
    for (const env of store.environments) {
      // A server may echo the type in another case (pkcs12): the plan compares it so, and the
      // manifest takes it only as JKS or PKCS12, so the export writes that spelling.
      const type = ['JKS', 'PKCS12'].find((t) => t === env.type.toUpperCase()) ?? env.type;
      if (type !== 'JKS' && type !== 'PKCS12') {
        shape.warnings.push(
          `environment ${env.name}: keystore type "${env.type}" is not JKS or PKCS12; the manifest will not validate until it is corrected`,
        );
      }
      const plain: [string, string][] = [['type', type]];
      if (generation === 'current' && env.alias !== undefined) plain.push(['alias', env.alias]);
      shape.environments.push({
        name: env.name,
        plain,
        secrets:
          generation === 'current'
            ? [
                { field: 'file', value: env.file, required: true },
                { field: 'password', value: undefined, required: true, writeOnly: true },
              ]
            : [{ field: 'file', value: env.file, required: true }],
      });
    }
    return shape;
  },

  materialFields(store) {
    const out: MaterialField[] = [];
    store.environments.forEach((env, environment) => {
      if (!env.file) return;
      const keystore = {
        type: env.type,
        ...(env.password !== undefined ? { password: env.password } : {}),
        ...(env.alias !== undefined ? { alias: env.alias } : {}),
      };
      out.push({ environment, field: 'file', role: 'keystore', value: env.file, keystore });
    });
    return out;
  },
});
