import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { parseManifestText } from '../../src/manifest/parse.js';
import { followSharedRef, loadSchema, suggest, validateDocument } from '../../src/manifest/validate.js';
import { KEY, KEYSTORE, edit } from './fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SCHEMAS = join(REPO, 'schemas');

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

/** A shared schema file of schemas/, as on disk. */
function sharedSchema(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(join(SCHEMAS, file), 'utf8')) as Record<string, unknown>;
}

describe('the manifest schemas', () => {
  const everySchema = (): [string, Record<string, unknown>][] => [
    ['key', loadSchema('Key')],
    ['keystore', loadSchema('Keystore')],
    ['common', sharedSchema('common.schema.json')],
  ];

  it('give every property a title and a description, for editors (through a shared $ref too)', () => {
    const missing: string[] = [];
    const walk = (node: unknown, where: string) => {
      if (typeof node !== 'object' || node === null) return;
      const o = node as Record<string, unknown>;
      if (o.properties && typeof o.properties === 'object') {
        for (const [name, prop] of Object.entries(o.properties as Record<string, unknown>)) {
          if (prop === true) continue; // a bare "present" marker inside an anyOf branch
          const p = followSharedRef(prop) as Record<string, unknown>;
          if (typeof p.title !== 'string' || typeof p.description !== 'string') missing.push(`${where}.${name}`);
        }
      }
      for (const [k, v] of Object.entries(o)) walk(v, `${where}/${k}`);
    };
    for (const [name, schema] of everySchema()) walk(schema, name);
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
    for (const [name, schema] of everySchema()) walk(schema, name);
    expect(open).toEqual([]);
  });

  it('declare draft 2020-12 and an $id that is their file name (relative refs resolve by it)', () => {
    for (const [name, schema] of everySchema()) {
      expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
      expect(schema.$id).toBe(`${name}.schema.json`);
    }
  });

  it("take the envelope's shared parts and the secret value from common.schema.json by $ref, not a copy", () => {
    const defs = sharedSchema('common.schema.json').$defs as Record<string, unknown>;
    for (const file of ['key.schema.json', 'keystore.schema.json']) {
      const text = readFileSync(join(SCHEMAS, file), 'utf8');
      const schema = JSON.parse(text) as { properties: Record<string, unknown>; $defs: Record<string, unknown> };
      expect(schema.properties.apiVersion, file).toEqual({ $ref: 'common.schema.json#/$defs/apiVersion' });
      expect(schema.properties.metadata, file).toMatchObject({ $ref: 'common.schema.json#/$defs/metadata' });
      expect(Object.keys(schema.$defs), file).not.toContain('secretValue');
      // None of the shared definitions' rules is written out again in a kind's file.
      for (const needle of ['"fromFile"', '"fromEnv"', '"const": "apinizer-gitops/v1"', '"Project"', '"SAME_PROJECT"'])
        expect(text, `${file} repeats ${needle}`).not.toContain(needle);
      // Every $ref is local or names a definition the shared file has.
      for (const [, target] of text.matchAll(/"\$ref": "([^"]*)"/g)) {
        if (target!.startsWith('#')) continue;
        expect(target, file).toMatch(/^common\.schema\.json#\/\$defs\/\w+$/);
        expect(Object.keys(defs), `${file}: ${target}`).toContain(target!.split('/').pop());
      }
    }
    expect(
      ['file', 'password'].map(
        (f) =>
          (
            (loadSchema('Keystore').$defs as Record<string, { properties: Record<string, unknown> }>)
              .keystoreEnvironment!.properties[f] as { $ref: string }
          ).$ref,
      ),
    ).toEqual(['common.schema.json#/$defs/secretValue', 'common.schema.json#/$defs/secretValue']);
  });

  it.each(['key', 'keystore'])(
    '%s.schema.json, loaded from disk with its relative refs as an editor does, accepts the examples of its kind',
    async (name) => {
      // Ajv with no schema registered: each relative $ref is read from the folder of the file that
      // holds it, as an editor resolves it against the schema file's location.
      const ajv = new Ajv2020({
        strict: true,
        allErrors: true,
        loadSchema: (uri) => Promise.resolve(JSON.parse(readFileSync(join(SCHEMAS, uri), 'utf8')) as object),
      });
      const validate = await ajv.compileAsync(JSON.parse(readFileSync(join(SCHEMAS, `${name}.schema.json`), 'utf8')));
      const kind = name === 'key' ? 'Key' : 'Keystore';
      let checked = 0;
      for (const root of ['examples/manifests', 'examples/manifests-current']) {
        for (const file of readdirSync(join(REPO, root), { recursive: true, encoding: 'utf8' })) {
          if (!file.endsWith('.yaml')) continue;
          for (const doc of parseAllDocuments(readFileSync(join(REPO, root, file), 'utf8'))) {
            const value = doc.toJS() as { kind?: unknown };
            if (value.kind !== kind) continue;
            expect(validate(value), `${root}/${file}: ${JSON.stringify(validate.errors)}`).toBe(true);
            checked += 1;
          }
        }
      }
      expect(checked).toBeGreaterThanOrEqual(2);
      // And the shared parts are in force: a bad project name fails through the $ref.
      expect(
        validate({ apiVersion: 'apinizer-gitops/v1', kind, metadata: { name: 'x', project: '..' }, spec: {} }),
      ).toBe(false);
      expect(validate.errors!.map((e) => e.instancePath)).toContain('/metadata/project');
    },
  );
});

describe('suggest', () => {
  it('offers a close word, or nothing', () => {
    expect(suggest('decription', ['description', 'keyType'])).toBe('description');
    expect(suggest('KEY', ['Key', 'Keystore'])).toBe('Key');
    expect(suggest('zzz', ['description', 'keyType'])).toBeUndefined();
  });
});
