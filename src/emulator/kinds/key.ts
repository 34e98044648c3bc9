// The Key kind as the emulator serves it: legacy key pairs (publicKey/privateKey) and current
// content by keyType (PRIVATE_KEY and PUBLIC_KEY as PEM, SECRET_KEY with its algorithm), exported
// as a PEM file per environment.
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
} from '../kind-support.js';
import { isBase64 } from '../../secret.js';

export const KEY_TYPES = ['SECRET_KEY', 'PRIVATE_KEY', 'PUBLIC_KEY'] as const;
export const SECRET_KEY_ALGORITHMS = ['AES', 'DES', 'DESede', 'RSA'] as const;

/** The documented 400 text for a SECRET_KEY without algorithm (Create Key page). */
export const ALGORITHM_REQUIRED = 'algorithm is required for SECRET_KEY! Supported values: AES, DES, DESede, RSA';

const PEM = /^\s*-----BEGIN [A-Z0-9 ]+-----/;

function currentKeyTop(body: Record<string, unknown>, merged: Record<string, unknown>, errors: FieldError[]): void {
  const creating = merged.keyType === undefined;
  if (given(body, 'keyType') || creating) {
    if (!KEY_TYPES.includes(body.keyType as (typeof KEY_TYPES)[number])) {
      const got = JSON.stringify(body.keyType ?? null);
      errors.push({ field: 'keyType', message: `keyType is required: one of ${KEY_TYPES.join(', ')} (got ${got})` });
      return;
    }
    merged.keyType = body.keyType;
  }
  const secret = merged.keyType === 'SECRET_KEY';
  if (given(body, 'algorithm')) {
    if (!SECRET_KEY_ALGORITHMS.includes(body.algorithm as (typeof SECRET_KEY_ALGORITHMS)[number])) {
      const got = JSON.stringify(body.algorithm);
      const message = `Unsupported algorithm ${got}! Supported values: ${SECRET_KEY_ALGORITHMS.join(', ')}`;
      errors.push({ field: 'algorithm', message });
    } else if (!secret) {
      const message = `algorithm applies to SECRET_KEY only; omit it for ${String(merged.keyType)}`;
      errors.push({ field: 'algorithm', message });
    } else {
      merged.algorithm = body.algorithm;
    }
  } else if (secret && !isText(merged.algorithm)) {
    errors.push({ field: 'algorithm', message: ALGORITHM_REQUIRED });
  }
  if (!secret) delete merged.algorithm;
}

function currentKeyEntry(entry: Entry, at: string, merged: Entry, errors: FieldError[]): Entry {
  checkAlias(entry, at, errors);
  const out: Record<string, unknown> = { environmentName: entry.environmentName };
  const content = entry.content;
  if (!isText(content)) {
    errors.push({ field: `${at}.content`, message: `${at}.content is required` });
  } else if (merged.keyType === 'SECRET_KEY') {
    // Stored as is (base64), not PEM-decoded.
    if (isBase64(content)) out.content = content;
    else errors.push({ field: `${at}.content`, message: `${at}.content of a SECRET_KEY must be base64 key bytes` });
  } else if (PEM.test(content)) {
    out.content = content; // raw PEM, accepted for convenience
  } else if (isBase64(content)) {
    const pem = Buffer.from(content, 'base64').toString('utf8');
    // The server decodes base64 back to PEM before storage; what does not decode to a PEM is refused.
    if (PEM.test(pem)) out.content = pem;
    else errors.push({ field: `${at}.content`, message: `${at}.content is base64 but not of a PEM (-----BEGIN ...)` });
  } else {
    errors.push({ field: `${at}.content`, message: `${at}.content is neither base64 nor PEM` });
  }
  if (given(entry, 'alias')) out.alias = entry.alias;
  return out;
}

export const keyHandler: KindHandler = {
  kind: 'Key',
  segment: 'keys',
  label: 'Key',
  listField: 'cryptoKeyInfoEnvironmentList',
  maskedFields: ['privateKey', 'publicKey'],
  checkLegacy(body, scope) {
    return checkLegacy(
      this,
      body,
      scope,
      (b, errors) => {
        if (!isText(b.keyType)) {
          errors.push({ field: 'keyType', message: 'keyType is required (e.g. RSA, EC, SECRET_KEY)' });
        }
        return { keyType: b.keyType };
      },
      (entry, at, errors) => {
        base64Field(entry, at, 'publicKey', false, errors);
        base64Field(entry, at, 'privateKey', false, errors);
        if ((entry.publicKey ?? null) === null && (entry.privateKey ?? null) === null) {
          errors.push({ field: at, message: 'an environment entry needs a publicKey or a privateKey' });
        }
      },
    );
  },
  checkCurrent(body, scope, previous) {
    return checkCurrent(this, body, scope, previous, currentKeyTop, currentKeyEntry);
  },
  readCurrent(object) {
    return cachedRead(object, 'current', () => ({
      id: object.id,
      name: object.name,
      description: object.description ?? '',
      projectId: object.projectId,
      keyType: object.keyType,
      algorithm: object.keyType === 'SECRET_KEY' ? (object.algorithm ?? null) : null,
      cryptoKeyInfoEnvironmentList: entriesOf(object, this.listField).map((e) => ({
        environmentName: e.environmentName,
        alias: e.alias ?? null,
        source: null,
      })),
    }));
  },
  exportFiles(object) {
    return entriesOf(object, this.listField)
      .filter((e) => typeof e.environmentName === 'string' && isText(e.content))
      .map((e) => ({
        environmentName: e.environmentName as string,
        bytes: Buffer.from(e.content as string, 'utf8'),
        extension: '.pem',
      }));
  },
  fileContentType: 'application/x-pem-file',
};
