// The Keystore kind as the emulator serves it: a JKS or PKCS12 file per environment (legacy), with
// its password and alias in the current generation, whose reads show neither file nor password.
import type { Entry, FieldError, KindHandler } from '../kind-support.js';
import {
  base64Field,
  cachedRead,
  checkAlias,
  checkCurrent,
  checkLegacy,
  entriesOf,
  given,
  isText,
  opaque,
} from '../kind-support.js';
import { isBase64 } from '../../secret.js';

export const KEYSTORE_TYPES = ['JKS', 'PKCS12'] as const;

function currentKeystoreEntry(entry: Entry, at: string, _merged: Entry, errors: FieldError[]): Entry {
  checkAlias(entry, at, errors);
  const out: Record<string, unknown> = { environmentName: entry.environmentName };
  if (!isText(entry.file)) errors.push({ field: `${at}.file`, message: `${at}.file is required` });
  else if (!isBase64(entry.file)) errors.push({ field: `${at}.file`, message: `${at}.file must be base64` });
  else out.file = entry.file;
  // An empty password is a password (a store made with none); only a missing one is refused.
  if (typeof entry.password !== 'string')
    errors.push({ field: `${at}.password`, message: `${at}.password is required` });
  else out.password = entry.password;
  if (!KEYSTORE_TYPES.includes(entry.keyStoreType as (typeof KEYSTORE_TYPES)[number])) {
    const got = JSON.stringify(entry.keyStoreType ?? null);
    errors.push({ field: `${at}.keyStoreType`, message: `${at}.keyStoreType is required: JKS or PKCS12 (got ${got})` });
  } else {
    out.keyStoreType = entry.keyStoreType;
  }
  if (given(entry, 'alias')) out.alias = entry.alias;
  return out;
}

export const keystoreHandler: KindHandler = {
  kind: 'Keystore',
  segment: 'keystores',
  label: 'Keystore',
  listField: 'keyStoreEnvironmentList',
  maskedFields: ['file'],
  checkLegacy(body, scope) {
    return checkLegacy(
      this,
      body,
      scope,
      () => ({}),
      (entry, at, errors) => {
        if (!KEYSTORE_TYPES.includes(entry.type as (typeof KEYSTORE_TYPES)[number])) {
          const got = JSON.stringify(entry.type ?? null);
          errors.push({ field: `${at}.type`, message: `type must be JKS or PKCS12, got ${got}` });
        }
        base64Field(entry, at, 'file', true, errors);
      },
    );
  },
  checkCurrent(body, scope, previous) {
    return checkCurrent(this, body, scope, previous, () => undefined, currentKeystoreEntry);
  },
  readCurrent(object, view) {
    const withIds = view.list && view.environmentIds;
    return cachedRead(object, withIds ? 'current-ids' : 'current', () => ({
      id: object.id,
      name: object.name,
      description: object.description ?? '',
      projectId: object.projectId,
      keyStoreEnvironmentList: entriesOf(object, this.listField).map((e) =>
        withIds
          ? // The List Keystores page's shape: ids and encrypted values instead of names.
            {
              environmentId: e.environmentId,
              file: opaque(e.file),
              password: opaque(e.password),
              alias: e.alias ?? null,
              keyStoreType: e.keyStoreType ?? e.type ?? null,
            }
          : {
              environmentName: e.environmentName,
              alias: e.alias ?? null,
              keyStoreType: e.keyStoreType ?? e.type ?? null,
            },
      ),
    }));
  },
  exportFiles(object) {
    return entriesOf(object, this.listField)
      .filter((e) => typeof e.environmentName === 'string' && isText(e.file))
      .map((e) => ({
        environmentName: e.environmentName as string,
        bytes: Buffer.from(e.file as string, 'base64'),
        extension: (e.keyStoreType ?? e.type) === 'PKCS12' ? '.p12' : '.jks',
      }));
  },
  fileContentType: 'application/octet-stream',
};
