import { describe, expect, it } from 'vitest';
import type { CurrentKey, DesiredKey } from '../../src/kinds/key.js';
import type { CurrentKeystore, DesiredKeystore } from '../../src/kinds/keystore.js';
import { diffResource } from '../../src/reconcile/diff.js';
import { Secret } from '../../src/secret.js';
import {
  aCurrentKey,
  aCurrentKeystore,
  aKey,
  aKeystore,
  currentOf,
  keystoreFileFor,
  privateKeyFor,
  publicKeyFor,
} from '../support/builders.js';

/** The same base64 with line breaks and spaces, as a server or an editor might wrap it. */
function rewrapped(s: Secret): Secret {
  const b64 = s.reveal();
  return new Secret(` ${b64.replace(/(.{16})/g, '$1\n  ')}\n`);
}

const key = aKey();
const keystore = aKeystore();

interface Case {
  rule: string;
  desired: DesiredKey | DesiredKeystore;
  current: CurrentKey | CurrentKeystore;
  changes: { path: string; before?: string; after?: string; sensitive: boolean }[];
  unknown?: string[];
}

const cases: Case[] = [
  {
    rule: 'identical objects: no change',
    desired: key,
    current: currentOf(key),
    changes: [],
  },
  {
    rule: 'environments are compared by name, not order',
    desired: key,
    current: {
      ...(currentOf(key) as CurrentKey),
      environments: [...(currentOf(key) as CurrentKey).environments].reverse(),
    },
    changes: [],
  },
  {
    rule: 'a missing description equals an empty one',
    desired: aKey({ description: '' }),
    current: { ...aCurrentKey(), description: undefined as unknown as string },
    changes: [],
  },
  {
    rule: 'a changed description is a change with before/after',
    desired: aKey({ description: 'new' }),
    current: aCurrentKey({ description: 'old' }),
    changes: [{ path: 'description', before: 'old', after: 'new', sensitive: false }],
  },
  {
    rule: 'removing the description is a change to empty',
    desired: aKey({ description: '' }),
    current: aCurrentKey({ description: 'old' }),
    changes: [{ path: 'description', before: 'old', after: '', sensitive: false }],
  },
  {
    rule: 'base64 is compared after removing whitespace',
    desired: key,
    current: aCurrentKey({
      environments: [
        {
          name: 'production',
          publicKey: rewrapped(publicKeyFor('production')),
          privateKey: rewrapped(privateKeyFor('production')),
        },
        { name: 'test', publicKey: rewrapped(publicKeyFor('test')) },
      ],
    }),
    changes: [],
  },
  {
    rule: 'keyType is compared exactly',
    desired: aKey({ keyType: 'EC' }),
    current: aCurrentKey({ keyType: 'RSA' }),
    changes: [{ path: 'keyType', before: 'RSA', after: 'EC', sensitive: false }],
  },
  {
    rule: 'keyType in another case is a change (the server keeps upper-case tokens as sent)',
    desired: aKey({ keyType: 'RSA' }),
    current: aCurrentKey({ keyType: 'rsa' }),
    changes: [{ path: 'keyType', before: 'rsa', after: 'RSA', sensitive: false }],
  },
  {
    rule: 'a changed private key is a sensitive change without values',
    desired: key,
    current: aCurrentKey({
      environments: [
        { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('rotated') },
        { name: 'test', publicKey: publicKeyFor('test') },
      ],
    }),
    changes: [{ path: 'environments.production.privateKey', sensitive: true }],
  },
  {
    rule: 'a masked secret with a value in the manifest is unknown, not a change',
    desired: key,
    current: currentOf(key, 'masked'),
    changes: [],
    unknown: ['environments.production.publicKey', 'environments.production.privateKey', 'environments.test.publicKey'],
  },
  {
    rule: 'an omitted secret with a value in the manifest is unknown, not a change',
    desired: key,
    current: currentOf(key, 'absent'),
    changes: [],
    unknown: ['environments.production.publicKey', 'environments.production.privateKey', 'environments.test.publicKey'],
  },
  {
    rule: 'a real secret on the server that the manifest no longer has is a change (removal)',
    desired: aKey({
      environments: [
        { name: 'production', publicKey: publicKeyFor('production') },
        { name: 'test', publicKey: publicKeyFor('test') },
      ],
    }),
    current: aCurrentKey(),
    changes: [{ path: 'environments.production.privateKey', sensitive: true }],
  },
  {
    rule: 'a masked secret that the manifest does not have is unknown (it may stand for nothing)',
    desired: aKey({ environments: [{ name: 'production', publicKey: publicKeyFor('production') }] }),
    current: aCurrentKey({
      environments: [{ name: 'production', publicKey: publicKeyFor('production'), privateKey: 'masked' }],
    }),
    changes: [],
    unknown: ['environments.production.privateKey'],
  },
  {
    rule: 'an environment only in the manifest is one change, fields summarised',
    desired: aKey({ environments: [...key.environments, { name: 'staging', publicKey: publicKeyFor('staging') }] }),
    current: aCurrentKey(),
    changes: [{ path: 'environments.staging', after: '{ publicKey: (sensitive value) }', sensitive: false }],
  },
  {
    rule: 'an environment only on the server is one change (removed)',
    desired: aKey({ environments: [key.environments[0]!] }),
    current: aCurrentKey(),
    changes: [{ path: 'environments.test', before: '{ publicKey: (sensitive value) }', sensitive: false }],
  },
  {
    rule: 'keystore type is compared case-insensitively (a server may echo pkcs12)',
    desired: keystore,
    current: aCurrentKeystore({
      environments: [{ name: 'production', type: 'pkcs12', file: keystoreFileFor('production') }],
    }),
    changes: [],
  },
  {
    rule: 'a changed keystore type is a change',
    desired: aKeystore({ environments: [{ name: 'production', type: 'JKS', file: keystoreFileFor('production') }] }),
    current: aCurrentKeystore(),
    changes: [{ path: 'environments.production.type', before: 'PKCS12', after: 'JKS', sensitive: false }],
  },
  {
    rule: 'a changed keystore file is a sensitive change',
    desired: keystore,
    current: aCurrentKeystore({
      environments: [{ name: 'production', type: 'PKCS12', file: keystoreFileFor('other') }],
    }),
    changes: [{ path: 'environments.production.file', sensitive: true }],
  },
  {
    rule: 'a masked keystore file is unknown',
    desired: keystore,
    current: currentOf(keystore, 'masked'),
    changes: [],
    unknown: ['environments.production.file'],
  },
  {
    rule: 'a keystore environment added shows its type and a placeholder for the file',
    desired: aKeystore({
      environments: [...keystore.environments, { name: 'test', type: 'JKS', file: keystoreFileFor('test') }],
    }),
    current: aCurrentKeystore(),
    changes: [{ path: 'environments.test', after: '{ type: JKS, file: (sensitive value) }', sensitive: false }],
  },
];

describe('diffResource (SPEC §4 comparison rules)', () => {
  it.each(cases)('$rule', ({ desired, current, changes, unknown }) => {
    const diff = diffResource(desired, current);
    expect(diff.changes).toEqual(changes);
    expect(diff.unknownFields).toEqual(unknown ?? []);
  });

  it('lists every field of a create, secrets as placeholders, description only when set', () => {
    expect(diffResource(aKey(), undefined).changes).toEqual([
      { path: 'description', after: 'Signs payment callbacks', sensitive: false },
      { path: 'keyType', after: 'RSA', sensitive: false },
      {
        path: 'environments.production',
        after: '{ publicKey: (sensitive value), privateKey: (sensitive value) }',
        sensitive: false,
      },
      { path: 'environments.test', after: '{ publicKey: (sensitive value) }', sensitive: false },
    ]);
    expect(diffResource(aKeystore({ description: '' }), undefined).changes).toEqual([
      { path: 'environments.production', after: '{ type: PKCS12, file: (sensitive value) }', sensitive: false },
    ]);
  });

  it('lists every field of a delete with before values', () => {
    expect(diffResource(undefined, currentOf(aKeystore(), 'masked')).changes).toEqual([
      { path: 'description', before: 'Client certificate for partner mTLS', sensitive: false },
      { path: 'environments.production', before: '{ type: PKCS12, file: (sensitive value) }', sensitive: false },
    ]);
  });

  it('lists changes in a stable order: description, keyType, then environments by name', () => {
    const diff = diffResource(
      aKey({
        description: 'b',
        keyType: 'EC',
        environments: [
          { name: 'z', publicKey: publicKeyFor('z') },
          { name: 'a', publicKey: publicKeyFor('a') },
        ],
      }),
      aCurrentKey({
        description: 'a',
        environments: [
          { name: 'z', publicKey: publicKeyFor('y') },
          { name: 'm', publicKey: publicKeyFor('m') },
        ],
      }),
    );
    expect(diff.changes.map((c) => c.path)).toEqual([
      'description',
      'keyType',
      'environments.a',
      'environments.m',
      'environments.z.publicKey',
    ]);
  });

  it('never puts a secret into before/after', () => {
    const diff = diffResource(
      aKey(),
      aCurrentKey({ environments: [{ name: 'production', privateKey: privateKeyFor('x') }] }),
    );
    for (const c of diff.changes) {
      if (c.sensitive) {
        expect(c.before).toBeUndefined();
        expect(c.after).toBeUndefined();
      }
    }
    expect(JSON.stringify(diff)).not.toMatch(/LS0t/);
  });
});
