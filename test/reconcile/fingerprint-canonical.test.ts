// Fingerprints are stored in saved plans, so their canonical form must never drift: checked here
// against an independent reference, a generic key-sorting JSON serialiser applied to the object the
// header of src/reconcile/fingerprint.ts describes (keys sorted at every level, environments by
// name, binary secrets as whitespace-free base64, masked secrets as null, case-insensitive fields
// upper-cased).
import { createHash, createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { CurrentKey } from '../../src/kinds/key.js';
import type { DesiredKeystore } from '../../src/kinds/keystore.js';
import { fingerprintCurrent, fingerprintDesired, fingerprintKey } from '../../src/reconcile/fingerprint.js';
import { Secret } from '../../src/secret.js';
import { aKey, aKeystore, currentOf } from '../support/builders.js';

/** JSON with the keys of every object sorted. */
function sortedJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(sortedJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const record = v as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${sortedJson(record[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v);
}

const sha = (text: string, key?: Buffer) =>
  (key ? createHmac('sha256', key) : createHash('sha256')).update(text, 'utf8').digest('hex');
const bin = (s: unknown) => (s instanceof Secret ? s.reveal().replace(/\s+/g, '') : null);

describe('the canonical form of fingerprints', () => {
  it('is the key-sorted JSON of the resource as the header describes it, for keys', () => {
    const key = aKey({ description: 'a "quoted" description – with ünïcode' });
    key.environments[0]!.publicKey = new Secret(key.environments[0]!.publicKey!.reveal().replace(/(.{10})/g, '$1\n'));
    const reference = {
      description: key.description,
      environments: [...key.environments]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        // The legacy form's fields (src/kinds/key.ts): content is one of them, alias is not.
        .map((e) => ({ name: e.name, content: null, publicKey: bin(e.publicKey), privateKey: bin(e.privateKey) })),
      keyType: key.keyType,
      kind: 'Key',
      name: key.name,
      project: key.project,
    };
    expect(fingerprintDesired(key)).toBe(sha(sortedJson(reference)));
    const k = fingerprintKey(key);
    expect(fingerprintDesired(key, k)).toBe(sha(sortedJson(reference), k));

    const masked = currentOf(key, 'masked') as CurrentKey;
    const maskedReference = {
      ...reference,
      environments: reference.environments.map((e) => ({ ...e, publicKey: null, privateKey: null })),
    };
    expect(fingerprintCurrent(masked)).toBe(sha(sortedJson(maskedReference)));
  });

  it('is the key-sorted JSON of the resource as the header describes it, for keystores', () => {
    const store: DesiredKeystore = aKeystore();
    (store.environments[0] as { type: string }).type = 'pkcs12';
    const reference = {
      description: store.description,
      environments: [...store.environments]
        .sort((a, b) => (a.name < b.name ? -1 : 1))
        .map((e) => ({ name: e.name, type: e.type.toUpperCase(), file: bin(e.file) })),
      kind: 'Keystore',
      name: store.name,
      project: store.project,
    };
    expect(fingerprintDesired(store)).toBe(sha(sortedJson(reference)));
  });
});
