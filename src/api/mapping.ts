/**
 * The one place where the manifest model meets the API's bodies (docs/apinizer-api.md):
 * `cryptoKeyInfoEnvironmentList` for keys, `keyStoreEnvironmentList` for keystores. Secrets are
 * revealed here, into the body that leaves for the API, and nowhere else in the client.
 */
import type {
  CurrentKeyEnvironment,
  CurrentKeystoreEnvironment,
  CurrentResource,
  CurrentSecret,
  DesiredKey,
  DesiredKeystore,
  DesiredResource,
  Kind,
} from '../model.js';
import { Secret, isBase64, normaliseBase64 } from '../secret.js';

/** A key environment entry as the API takes it. */
export interface ApiKeyEnvironment {
  environmentName: string;
  publicKey?: string;
  privateKey?: string;
}

/** A keystore environment entry as the API takes it. */
export interface ApiKeystoreEnvironment {
  environmentName: string;
  type: string;
  file: string;
}

/** The CryptoKeyInfo body of a key create/update. */
export interface ApiKeyBody {
  name: string;
  description: string;
  keyType: string;
  cryptoKeyInfoEnvironmentList: ApiKeyEnvironment[];
}

/** The body of a keystore create/update. */
export interface ApiKeystoreBody {
  name: string;
  description: string;
  keyStoreEnvironmentList: ApiKeystoreEnvironment[];
}

/** The complete create/update body of a desired resource, secrets revealed (base64, whitespace removed). */
export function toApiBody(desired: DesiredKey): ApiKeyBody;
export function toApiBody(desired: DesiredKeystore): ApiKeystoreBody;
export function toApiBody(desired: DesiredResource): ApiKeyBody | ApiKeystoreBody;
export function toApiBody(desired: DesiredResource): ApiKeyBody | ApiKeystoreBody {
  if (desired.kind === 'Key') {
    return {
      name: desired.name,
      description: desired.description,
      keyType: desired.keyType,
      cryptoKeyInfoEnvironmentList: desired.environments.map((e) => {
        const entry: ApiKeyEnvironment = { environmentName: e.name };
        if (e.publicKey) entry.publicKey = normaliseBase64(e.publicKey.reveal());
        if (e.privateKey) entry.privateKey = normaliseBase64(e.privateKey.reveal());
        return entry;
      }),
    };
  }
  return {
    name: desired.name,
    description: desired.description,
    keyStoreEnvironmentList: desired.environments.map((e) => ({
      environmentName: e.name,
      type: e.type,
      file: normaliseBase64(e.file.reveal()),
    })),
  };
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

function text(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/**
 * A secret field as the server reported it: absent, null or '' is undefined; a value that is not
 * base64 (a server that masks, `******`) is 'masked'; anything else is the value, wrapped.
 */
export function readSecret(v: unknown): CurrentSecret | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') return 'masked';
  // One scan in the common case (valid base64); whitespace-only text counts as absent.
  if (isBase64(v)) return new Secret(v);
  return v.trim() === '' ? undefined : 'masked';
}

function environmentName(entry: Record<string, unknown>): string | undefined {
  return text(entry.environmentName) ?? text(entry.name) ?? (isRecord(entry.environment) ? text(entry.environment.name) : text(entry.environment));
}

function entries(raw: Record<string, unknown>, ...fields: string[]): Record<string, unknown>[] {
  for (const f of fields) {
    const v = raw[f];
    if (Array.isArray(v)) return v.filter(isRecord);
  }
  return [];
}

/**
 * A resource as the API reports it, as the model's CurrentResource: server-only fields (id,
 * projectId, environmentId, alias) and anything unknown dropped, description missing = ''.
 * Null for junk the server may send (no name), so that one bad entry does not sink a list.
 */
export function fromApiObject(kind: Kind, project: string, raw: unknown): CurrentResource | null {
  if (!isRecord(raw)) return null;
  const name = text(raw.name);
  if (name === undefined) return null;
  const description = typeof raw.description === 'string' ? raw.description : '';
  if (kind === 'Key') {
    const environments: CurrentKeyEnvironment[] = [];
    for (const e of entries(raw, 'cryptoKeyInfoEnvironmentList', 'environmentList', 'environments')) {
      const envName = environmentName(e);
      if (envName === undefined) continue;
      const env: CurrentKeyEnvironment = { name: envName };
      const publicKey = readSecret(e.publicKey);
      const privateKey = readSecret(e.privateKey);
      if (publicKey !== undefined) env.publicKey = publicKey;
      if (privateKey !== undefined) env.privateKey = privateKey;
      environments.push(env);
    }
    return { kind, project, name, description, keyType: typeof raw.keyType === 'string' ? raw.keyType : '', environments };
  }
  const environments: CurrentKeystoreEnvironment[] = [];
  for (const e of entries(raw, 'keyStoreEnvironmentList', 'keystoreEnvironmentList', 'environmentList', 'environments')) {
    const envName = environmentName(e);
    if (envName === undefined) continue;
    const type = text(e.type) ?? text(e.keyStoreType) ?? '';
    const env: CurrentKeystoreEnvironment = { name: envName, type };
    const file = readSecret(e.file);
    if (file !== undefined) env.file = file;
    environments.push(env);
  }
  return { kind, project, name, description, environments };
}
