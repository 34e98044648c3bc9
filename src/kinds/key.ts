// The Key kind: a key pair per environment (legacy form) or one PEM or secret per environment
// (current form, SPEC §2b), in `/projects/{project}/keys/`, body `cryptoKeyInfoEnvironmentList`.
import type { CurrentResource, CurrentSecret, DesiredResource } from '../model.js';
import { isBase64, normaliseBase64, Secret } from '../secret.js';
import { contentEquals, jwkSourceDeleteWarning, readEnvironments, readSecret, sendBinary, text } from './material.js';
import { jwkSpecProblems, jwkWriteOptions, type JwkWriteFields } from './jwk.js';
import { defineKind, type ExportShape, type ManifestProblem, type MaterialField } from './types.js';
import type { MaterialRole } from '../material/types.js';

/** A Key environment: the legacy pair, or the current form's content and alias (SPEC §2b). */
export interface KeyEnvironment {
  name: string;
  publicKey?: Secret;
  privateKey?: Secret;
  content?: Secret;
  alias?: string;
}

/** A Key as the manifests declare it. */
export interface DesiredKey extends DesiredResource, JwkWriteFields {
  kind: 'Key';
  keyType: string;
  /** Current form, SECRET_KEY only. */
  algorithm?: string;
  environments: KeyEnvironment[];
}

/** A Key environment as the API reports it (secrets masked or absent where the server hides them). */
export interface CurrentKeyEnvironment {
  name: string;
  publicKey?: CurrentSecret;
  privateKey?: CurrentSecret;
  content?: CurrentSecret;
  alias?: string;
}

/** A Key as the API reports it. */
export interface CurrentKey extends CurrentResource {
  kind: 'Key';
  keyType: string;
  algorithm?: string;
  environments: CurrentKeyEnvironment[];
}

declare module '../diagnostics.js' {
  interface KindDiagnosticCodes {
    /** warning: private key material written in the manifest */
    'inline-private-key': true;
  }
}

/** The key types of the current generation; any other upper-case token is a legacy key type. */
export const CURRENT_KEY_TYPES = ['PRIVATE_KEY', 'PUBLIC_KEY', 'SECRET_KEY'] as const;

/** The role a current-form Key's `content` has, by its `keyType`. */
const CONTENT_ROLE: Readonly<Record<string, MaterialRole>> = {
  PRIVATE_KEY: 'private-key',
  PUBLIC_KEY: 'public-key',
  SECRET_KEY: 'secret-key',
};

/** Algorithms a current SECRET_KEY takes, exact case (the API refuses others). */
export const SECRET_KEY_ALGORITHMS = ['AES', 'DES', 'DESede', 'RSA'] as const;

const LEGACY_FIELDS = ['publicKey', 'privateKey'] as const;

const INLINE_KEY = {
  code: 'inline-private-key',
  message:
    'private key material is written in the manifest in clear; encrypt the file with SOPS (sops encrypt, see ' +
    'docs/secrets.md), or keep it out of Git with { fromFile: PATH } (a file not committed) or { fromEnv: NAME }',
} as const;

/** API names of the environment list, as servers have been seen to send it. */
const ENVIRONMENT_LISTS = ['cryptoKeyInfoEnvironmentList', 'environmentList', 'environments'];

function usesContent(env: object): boolean {
  return 'content' in env && (env as { content?: unknown }).content !== undefined;
}

function usesLegacy(env: object): boolean {
  return LEGACY_FIELDS.some((f) => f in env && (env as Record<string, unknown>)[f] !== undefined);
}

export const keyKind = defineKind<DesiredKey, CurrentKey>({
  kind: 'Key',
  plural: 'Keys',
  segment: 'keys',
  schema: 'key.schema.json',
  dependsOn: [],
  writeOptions: jwkWriteOptions,
  resourceFields: [
    // Compared exactly: the schema only takes upper-case tokens and servers keep them as sent.
    {
      name: 'keyType',
      role: 'plain',
      hint: 'an upper-case key type: PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY with content, or RSA, EC ... with publicKey/privateKey',
    },
    { name: 'algorithm', role: 'plain', forms: ['current'], hint: 'AES, DES, DESede or RSA (exact case)' },
  ],
  environmentFields: [
    { name: 'publicKey', role: 'binary-secret' },
    { name: 'privateKey', role: 'binary-secret', inlineWarning: INLINE_KEY },
    {
      name: 'content',
      role: 'binary-secret',
      equals: contentEquals,
      inlineWarning: { ...INLINE_KEY, when: (spec) => spec.keyType !== 'PUBLIC_KEY' },
    },
    { name: 'alias', role: 'plain', forms: ['current'] },
  ],
  exportField: 'content',
  materialFromExport(resource, bytes) {
    // The docs leave open whether a SECRET_KEY exports as its base64 text or its bytes. The
    // manifest's content is base64 of the key bytes, so base64 text is decoded to those bytes.
    const body = bytes.toString('latin1').trim();
    if (resource.keyType === 'SECRET_KEY' && body !== '' && isBase64(body)) {
      return new Secret(normaliseBase64(body));
    }
    return new Secret(bytes.toString('base64'));
  },
  prose: {
    deleteWarning: jwkSourceDeleteWarning,
    generation: (generation) =>
      generation === 'current'
        ? 'content/alias, material read back through export-file'
        : 'publicKey/privateKey, material in reads',
  },
  redactNames: ['publicKey', 'privateKey', 'content'],

  formOf(resource) {
    return resource.environments.some(usesContent) ? 'current' : 'legacy';
  },

  formAdvice(form) {
    return form === 'legacy'
      ? `that generation takes one PEM or secret per environment: ` +
          'write keyType PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY (with algorithm) and give each environment ' +
          '`content` instead of publicKey/privateKey'
      : `that generation takes key pairs: give each environment ` +
          'publicKey and/or privateKey instead of content, a keyType such as RSA or EC, and no algorithm or alias';
  },

  checkSpec(spec) {
    const problems: ManifestProblem[] = jwkSpecProblems(spec);
    const envs = Array.isArray(spec.environments) ? (spec.environments as Record<string, unknown>[]) : [];
    const current = envs.some(usesContent);
    const keyType = typeof spec.keyType === 'string' ? spec.keyType : '';
    if (current) {
      envs.forEach((env, i) => {
        for (const f of LEGACY_FIELDS) {
          if (env[f] === undefined) continue;
          problems.push({
            path: ['spec', 'environments', i, f],
            message:
              'mixes the legacy form (publicKey/privateKey) with the current form (content) in one Key; ' +
              'use content in every environment (current API) or publicKey/privateKey in every one (legacy API)',
          });
        }
        if (env.content === undefined && !usesLegacy(env)) {
          problems.push({
            path: ['spec', 'environments', i],
            target: 'node',
            message: 'needs content: the other environments of this Key use the current form; add content',
          });
        }
      });
      if (!(CURRENT_KEY_TYPES as readonly string[]).includes(keyType)) {
        problems.push({
          path: ['spec', 'keyType'],
          message:
            `${JSON.stringify(keyType)} is a legacy key type; with content the keyType is PRIVATE_KEY, PUBLIC_KEY ` +
            'or SECRET_KEY (or keep the legacy form with publicKey/privateKey)',
        });
      } else if (keyType === 'SECRET_KEY' && spec.algorithm === undefined) {
        problems.push({
          path: ['spec', 'algorithm'],
          target: 'node',
          message: `is required for a SECRET_KEY; set it to one of ${SECRET_KEY_ALGORITHMS.join(', ')} (exact case)`,
        });
      } else if (keyType !== 'SECRET_KEY' && spec.algorithm !== undefined) {
        problems.push({
          path: ['spec', 'algorithm'],
          message: `is only for keyType SECRET_KEY; remove it from a ${keyType}`,
        });
      }
    } else {
      if (spec.algorithm !== undefined) {
        problems.push({
          path: ['spec', 'algorithm'],
          message:
            'belongs to the current form (keyType SECRET_KEY with content); a legacy Key with publicKey/privateKey ' +
            'has no algorithm: remove it, or move to content',
        });
      }
      envs.forEach((env, i) => {
        if (env.alias !== undefined) {
          problems.push({
            path: ['spec', 'environments', i, 'alias'],
            message: 'belongs to the current form (with content); a legacy environment has publicKey/privateKey only',
          });
        }
      });
    }
    return problems;
  },

  toApiBody(key, generation) {
    if (generation === 'legacy') {
      return {
        name: key.name,
        description: key.description,
        keyType: key.keyType,
        cryptoKeyInfoEnvironmentList: key.environments.map((e) => ({
          environmentName: e.name,
          ...(e.publicKey ? { publicKey: sendBinary(e.publicKey) } : {}),
          ...(e.privateKey ? { privateKey: sendBinary(e.privateKey) } : {}),
        })),
      };
    }
    return {
      name: key.name,
      description: key.description,
      keyType: key.keyType,
      ...(key.keyType === 'SECRET_KEY' && key.algorithm !== undefined ? { algorithm: key.algorithm } : {}),
      cryptoKeyInfoEnvironmentList: key.environments.map((e) => ({
        environmentName: e.name,
        ...(e.content ? { content: sendBinary(e.content) } : {}),
        ...(e.alias !== undefined ? { alias: e.alias } : {}),
      })),
    };
  },

  fromApiObject(raw, base, generation, held) {
    const environments = readEnvironments(raw, ENVIRONMENT_LISTS, (e, name) => {
      const env: CurrentKeyEnvironment = { name };
      if (generation === 'legacy') {
        const publicKey = readSecret(e.publicKey, held);
        const privateKey = readSecret(e.privateKey, held);
        if (publicKey !== undefined) env.publicKey = publicKey;
        if (privateKey !== undefined) env.privateKey = privateKey;
      } else {
        // Reads never carry the content: the export-file call gives it, or it stays unknown.
        const alias = text(e.alias);
        if (alias !== undefined) env.alias = alias;
      }
      return env;
    });
    const key: CurrentKey = {
      ...base,
      kind: 'Key',
      keyType: typeof raw.keyType === 'string' ? raw.keyType : '',
      environments,
    };
    const algorithm = generation === 'current' ? text(raw.algorithm) : undefined;
    if (algorithm !== undefined) key.algorithm = algorithm;
    return key;
  },

  exportShape(key, generation) {
    const warnings: string[] = [];
    const fields: [string, string][] = [['keyType', key.keyType]];
    if (generation === 'current') {
      if (!(CURRENT_KEY_TYPES as readonly string[]).includes(key.keyType)) {
        warnings.push(
          `keyType "${key.keyType}" is not PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY; the manifest will not validate until it is corrected`,
        );
      }
      if (key.algorithm !== undefined && key.keyType === 'SECRET_KEY') fields.push(['algorithm', key.algorithm]);
    } else if (!/^[A-Z][A-Z0-9_]*$/.test(key.keyType)) {
      warnings.push(
        `keyType "${key.keyType}" is not an upper-case token; the manifest will not validate until it is corrected`,
      );
    }
    const shape: ExportShape = { fields, environments: [], warnings };
    for (const env of key.environments) {
      if (generation === 'current') {
        shape.environments.push({
          name: env.name,
          plain: env.alias !== undefined ? [['alias', env.alias]] : [],
          secrets: [{ field: 'content', value: env.content, required: true }],
        });
      } else {
        // A legacy environment needs at least one of the two; ask for the private key when both are absent.
        const neither = env.publicKey === undefined && env.privateKey === undefined;
        shape.environments.push({
          name: env.name,
          plain: [],
          secrets: [
            { field: 'publicKey', value: env.publicKey, required: false },
            { field: 'privateKey', value: env.privateKey, required: neither },
          ],
        });
      }
    }
    return shape;
  },

  materialFields(key, form) {
    const out: MaterialField[] = [];
    key.environments.forEach((env, environment) => {
      if (form === 'current') {
        const role = CONTENT_ROLE[key.keyType];
        if (!env.content || !role) return;
        const algorithm = role === 'secret-key' ? key.algorithm : undefined;
        out.push({
          environment,
          field: 'content',
          role,
          value: env.content,
          ...(algorithm !== undefined ? { algorithm } : {}),
        });
        return;
      }
      const { publicKey, privateKey } = env;
      if (key.keyType === 'SECRET_KEY') {
        // A legacy secret key sits in privateKey (or publicKey) as raw bytes: no PEM or DER to parse.
        if (privateKey) out.push({ environment, field: 'privateKey', role: 'secret-key', value: privateKey });
        if (publicKey) out.push({ environment, field: 'publicKey', role: 'secret-key', value: publicKey });
      } else if (publicKey && privateKey) {
        out.push(
          { environment, field: 'publicKey', role: 'key-pair-public', value: publicKey, pairWith: 'privateKey' },
          { environment, field: 'privateKey', role: 'key-pair-private', value: privateKey, pairWith: 'publicKey' },
        );
      } else if (publicKey) {
        out.push({ environment, field: 'publicKey', role: 'public-key', value: publicKey });
      } else if (privateKey) {
        out.push({ environment, field: 'privateKey', role: 'private-key', value: privateKey });
      }
    });
    return out;
  },
});
