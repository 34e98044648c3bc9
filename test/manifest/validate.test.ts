import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { loadSchema, suggest, validateDocument } from '../../src/manifest/validate.js';
import { KEY, KEYSTORE, edit } from './fixtures.js';

/** Validates the single document in `text` and returns "path: message" lines. */
function problems(text: string, defaultProject?: string): string[] {
  const parsed = parseManifestText(text, 'm.yaml');
  expect(parsed.diagnostics).toEqual([]);
  const r = validateDocument(parsed.documents[0]!, defaultProject ? { defaultProject } : {});
  return r.diagnostics.map((d) => `${d.path}: ${d.message}`);
}

describe('validateDocument', () => {
  it('accepts a valid Key and a valid Keystore and returns them typed', () => {
    const key = validateDocument(parseManifestText(KEY, 'k.yaml').documents[0]!);
    expect(key.diagnostics).toEqual([]);
    expect(key.manifest).toMatchObject({ kind: 'Key', spec: { keyType: 'RSA' } });
    const ks = validateDocument(parseManifestText(KEYSTORE, 'ks.yaml').documents[0]!);
    expect(ks.diagnostics).toEqual([]);
    expect(ks.manifest).toMatchObject({
      kind: 'Keystore',
      spec: { environments: [{ type: 'PKCS12', file: { fromFile: 'partner.p12' } }] },
    });
  });

  it('accepts every secret form and the optional fields', () => {
    const text = `${edit(KEY, '  keyType: RSA', '  description: Signs callbacks\n  updateReferencedJwks: SAME_PROJECT\n  keyType: RSA')}      privateKey: { fromEnv: SIGNING_KEY, encoding: utf8 }\n    - name: test\n      publicKey: { fromFile: keys/test.pem }\n      privateKey: { fromEnv: TEST_KEY }\n`;
    expect(problems(text)).toEqual([]);
  });

  it.each([
    [
      'environment name empty',
      edit(KEY, 'name: production', 'name: ""'),
      ['spec.environments[0].name: must be a non-empty string'],
    ],
    [
      'name missing',
      edit(KEY, '  name: payments-signing\n', ''),
      [
        'metadata.name: is required; set it to a name of 1-128 characters from A-Z a-z 0-9 . _ - that starts with a letter or digit',
      ],
    ],
    [
      'name malformed',
      edit(KEY, 'name: payments-signing', 'name: _x'),
      [
        'metadata.name: must be a name of 1-128 characters from A-Z a-z 0-9 . _ - that starts with a letter or digit, not "_x"',
      ],
    ],
    [
      'unknown field with a near miss',
      edit(KEY, '  keyType: RSA', '  keyType: RSA\n  decription: x'),
      [
        'spec.decription: unknown field "decription" (did you mean "description"?); allowed: description, keyType, algorithm, environments, updateReferencedJwks, referencedJwks',
      ],
    ],
    [
      'number where a string belongs',
      edit(KEY, 'name: production', 'name: 2024'),
      ['spec.environments[0].name: must be a non-empty string, not a number (put the value in quotes)'],
    ],
    [
      'empty value',
      edit(KEY, 'keyType: RSA', 'keyType:'),
      [
        'spec.keyType: is empty; it must be an upper-case key type: PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY with content, or RSA, EC ... with publicKey/privateKey',
      ],
    ],
    [
      'lower-case key type',
      edit(KEY, 'keyType: RSA', 'keyType: rsa'),
      [
        'spec.keyType: must be an upper-case key type: PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY with content, or RSA, EC ... with publicKey/privateKey, not "rsa"',
      ],
    ],
    [
      'bad jwks scope',
      edit(KEY, '  keyType: RSA', '  keyType: RSA\n  updateReferencedJwks: EVERYWHERE'),
      ['spec.updateReferencedJwks: must be one of SAME_PROJECT, ALL_PROJECTS, not "EVERYWHERE"'],
    ],
    [
      'environments empty',
      edit(KEY, '  environments:\n    - name: production\n      publicKey: QUJDRA==\n', '  environments: []\n'),
      ['spec.environments: must list at least one entry; it is empty'],
    ],
    [
      'key environment with no key',
      edit(KEY, '      publicKey: QUJDRA==\n', ''),
      [
        'spec.environments[0]: needs at least one of publicKey, privateKey, content; add publicKey or privateKey or content',
      ],
    ],
    [
      'secret of the wrong type',
      edit(KEY, 'publicKey: QUJDRA==', 'publicKey: 12'),
      [
        'spec.environments[0].publicKey: must be inline base64 text, { fromFile: PATH } or { fromEnv: NAME, encoding: base64|utf8 }',
      ],
    ],
    [
      'secret with both forms',
      edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: a, fromEnv: B }'),
      ['spec.environments[0].publicKey: gives both fromFile and fromEnv; keep one of them'],
    ],
    [
      'secret fromFile of the wrong type',
      edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: [a] }'),
      [
        "spec.environments[0].publicKey.fromFile: must be a path to a file, relative to this manifest's folder, not a list",
      ],
    ],
    [
      'secret fromEnv with a bad name',
      edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: 1ABC }'),
      [
        'spec.environments[0].publicKey.fromEnv: must be an environment variable name of letters, digits and _, not starting with a digit, not "1ABC"',
      ],
    ],
    [
      'keystore type',
      edit(KEYSTORE, 'type: PKCS12', 'type: pkcs12'),
      ['spec.environments[0].type: must be one of JKS, PKCS12, not "pkcs12" (did you mean PKCS12?)'],
    ],
    [
      'keyType on a Keystore',
      edit(KEYSTORE, '  environments:', '  keyType: RSA\n  environments:'),
      [
        'spec.keyType: unknown field "keyType"; allowed: description, environments, updateReferencedJwks, referencedJwks',
      ],
    ],
    [
      'unknown kind',
      edit(KEY, 'kind: Key', 'kind: Certificate'),
      ['kind: "Certificate" is not a kind this tool manages; allowed: Key, Keystore'],
    ],
    [
      'kind with the wrong case',
      edit(KEY, 'kind: Key', 'kind: keystore'),
      ['kind: "keystore" is not a kind this tool manages (did you mean Keystore?); allowed: Key, Keystore'],
    ],
    [
      'wrong apiVersion',
      edit(KEY, 'apinizer-gitops/v1', 'v1'),
      ['apiVersion: "v1" is not a known apiVersion; allowed: apinizer-gitops/v1'],
    ],
  ])('explains %s in one plain sentence', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });

  it('reports several problems of one document together, once each', () => {
    const text = edit(
      edit(edit(KEY, 'keyType: RSA', 'keyType: rsa'), 'name: production', 'name: ""'),
      '  project: Payments',
      '  project: Payments\n  labels: {}',
    );
    const got = problems(text);
    expect(got).toHaveLength(3);
    expect(new Set(got).size).toBe(3);
  });

  it('labels diagnostics with the resource, using the default project when the manifest has none', () => {
    const parsed = parseManifestText(edit(edit(KEY, '  project: Payments\n', ''), 'RSA', 'rsa'), 'm.yaml');
    const r = validateDocument(parsed.documents[0]!, { defaultProject: 'Identity' });
    expect(r.diagnostics[0]!.resource).toBe('Key Identity/payments-signing');
  });
});

describe('the manifest schemas', () => {
  it('give every property a title and a description, for editors', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (typeof node !== 'object' || node === null) return;
      const o = node as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') {
        for (const [name, prop] of Object.entries(o.properties as Record<string, unknown>)) {
          if (prop === true) continue; // a bare "present" marker inside an anyOf branch
          const p = prop as Record<string, unknown>;
          if (typeof p.title !== 'string' || typeof p.description !== 'string') missing.push(`${where}.${name}`);
        }
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${where}/${k}`);
    };
    walk(loadSchema('Key'), 'key');
    walk(loadSchema('Keystore'), 'keystore');
    expect(missing).toEqual([]);
  });

  it('are strict: additionalProperties false on every object', () => {
    const open: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (typeof node !== 'object' || node === null) return;
      const o = node as Record<string, unknown>;
      if (o.type === 'object' && o.additionalProperties !== false) open.push(where);
      for (const [k, v] of Object.entries(o)) walk(v, `${where}/${k}`);
    };
    walk(loadSchema('Key'), 'key');
    walk(loadSchema('Keystore'), 'keystore');
    expect(open).toEqual([]);
  });

  it('share one definition of a secret value', () => {
    const defs = (kind: 'Key' | 'Keystore') => (loadSchema(kind).$defs as Record<string, unknown>).secretValue;
    expect(defs('Key')).toEqual(defs('Keystore'));
  });

  it('declare draft 2020-12 and an $id', () => {
    for (const kind of ['Key', 'Keystore'] as const) {
      const s = loadSchema(kind);
      expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(s.$id).toMatch(/^urn:apinizer-gitops:schema:/);
    }
  });
});

describe('suggest', () => {
  it('offers a close word, or nothing', () => {
    expect(suggest('decription', ['description', 'keyType'])).toBe('description');
    expect(suggest('KEY', ['Key', 'Keystore'])).toBe('Key');
    expect(suggest('zzz', ['description', 'keyType'])).toBeUndefined();
  });
});
