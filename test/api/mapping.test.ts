import { describe, expect, it } from 'vitest';
import { fromApiObject, readSecret, toApiBody } from '../../src/api/mapping.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import type { CurrentKeystore } from '../../src/kinds/keystore.js';
import { Secret } from '../../src/secret.js';
import { aKey, aKeystore, aKeyEnvironment } from '../support/builders.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('toApiBody', () => {
  it('makes the documented CryptoKeyInfo body, secrets revealed', () => {
    const key = aKey();
    const body = toApiBody(key) as { cryptoKeyInfoEnvironmentList: object[] };
    expect(body).toEqual({
      name: 'payments-signing',
      description: 'Signs payment callbacks',
      keyType: 'RSA',
      cryptoKeyInfoEnvironmentList: [
        {
          environmentName: 'production',
          publicKey: key.environments[0]!.publicKey!.reveal(),
          privateKey: key.environments[0]!.privateKey!.reveal(),
        },
        { environmentName: 'test', publicKey: key.environments[1]!.publicKey!.reveal() },
      ],
    });
    expect(Object.keys(body.cryptoKeyInfoEnvironmentList[1]!)).toEqual(['environmentName', 'publicKey']);
  });

  it('makes the documented keystore body', () => {
    const ks = aKeystore({ environments: [{ name: 'production', type: 'JKS', file: new Secret('QUJD\nREVG') }] });
    expect(toApiBody(ks)).toEqual({
      name: 'partner-mtls',
      description: 'Client certificate for partner mTLS',
      keyStoreEnvironmentList: [{ environmentName: 'production', type: 'JKS', file: 'QUJDREVG' }],
    });
  });

  it('sends an empty description as empty text', () => {
    expect(toApiBody(aKey({ description: '', environments: [aKeyEnvironment('production')] })).description).toBe('');
  });
});

describe('readSecret', () => {
  it.each([
    [undefined, undefined],
    [null, undefined],
    ['', undefined],
    ['  \n', undefined],
    ['******', 'masked'],
    ['not base64!', 'masked'],
    [42, 'masked'],
  ])('%j -> %j', (raw, expected) => {
    expect(readSecret(raw)).toBe(expected);
  });

  it('wraps base64 in a Secret', () => {
    const s = readSecret(b64('pem'));
    expect(s).toBeInstanceOf(Secret);
    expect((s as Secret).reveal()).toBe(b64('pem'));
  });
});

describe('fromApiObject', () => {
  it('reads a key and drops server-only and unknown fields', () => {
    const raw = {
      id: '65f0',
      name: 'k1',
      description: null,
      projectId: 'p1',
      keyType: 'EC',
      createdAt: 'x',
      cryptoKeyInfoEnvironmentList: [
        { environmentId: 'e1', environmentName: 'production', alias: 'a', publicKey: b64('pub'), privateKey: '******' },
        { name: 'test', publicKey: null, privateKey: '' },
        { publicKey: b64('no name') },
        'junk',
      ],
    };
    const key = fromApiObject('Key', 'Payments', raw) as CurrentKey | null;
    expect(key).toMatchObject({ kind: 'Key', project: 'Payments', name: 'k1', description: '', keyType: 'EC' });
    expect(Object.keys(key!).sort()).toEqual(['description', 'environments', 'keyType', 'kind', 'name', 'project']);
    if (key?.kind !== 'Key') throw new Error('not a key');
    expect(key.environments).toHaveLength(2);
    expect(key.environments[0]!.name).toBe('production');
    expect((key.environments[0]!.publicKey as Secret).reveal()).toBe(b64('pub'));
    expect(key.environments[0]!.privateKey).toBe('masked');
    expect(key.environments[1]).toEqual({ name: 'test' });
  });

  it('reads a keystore', () => {
    const ks = fromApiObject('Keystore', 'Payments', {
      name: 'ks',
      description: 'd',
      keyStoreEnvironmentList: [
        { environmentName: 'production', type: 'PKCS12', file: b64('p12') },
        { environmentName: 'test', type: 'JKS' },
      ],
    }) as CurrentKeystore | null;
    if (ks?.kind !== 'Keystore') throw new Error('not a keystore');
    expect(ks.description).toBe('d');
    expect(ks.environments[0]!.type).toBe('PKCS12');
    expect((ks.environments[0]!.file as Secret).reveal()).toBe(b64('p12'));
    expect(ks.environments[1]).toEqual({ name: 'test', type: 'JKS' });
  });

  it('tolerates junk', () => {
    for (const junk of [null, 1, 'x', [], {}, { name: '' }, { name: 7 }])
      expect(fromApiObject('Key', 'P', junk)).toBeNull();
    expect(fromApiObject('Key', 'P', { name: 'bare' })).toEqual({
      kind: 'Key',
      project: 'P',
      name: 'bare',
      description: '',
      keyType: '',
      environments: [],
    });
    expect(fromApiObject('Keystore', 'P', { name: 'bare', keyStoreEnvironmentList: 'nope' })).toEqual({
      kind: 'Keystore',
      project: 'P',
      name: 'bare',
      description: '',
      environments: [],
    });
  });

  it('round-trips a desired key through the API body', () => {
    const key = aKey();
    const current = fromApiObject('Key', key.project, JSON.parse(JSON.stringify(toApiBody(key)))) as CurrentKey | null;
    if (current?.kind !== 'Key') throw new Error('not a key');
    expect(current.environments.map((e) => e.name)).toEqual(['production', 'test']);
    expect((current.environments[0]!.privateKey as Secret).equals(key.environments[0]!.privateKey!)).toBe(true);
  });
});
