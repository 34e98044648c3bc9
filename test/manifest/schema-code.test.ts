// The standalone validators generated at build time must judge every document exactly as the
// schemas compiled at run time do, and must be ignored once the schema files differ from the
// ones they were generated from.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import {
  loadValidators,
  schemaText,
  sharedSchemaTexts,
  validatorModuleSource,
  type SchemaValidator,
} from '../../src/manifest/schema-code.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import { KEY, KEYSTORE, edit } from './fixtures.js';

// Inside node_modules, so that the generated module's require('ajv/dist/runtime/...') resolves.
const dir = join(process.cwd(), 'node_modules', '.cache', `schema-code-test-${process.pid}`);
mkdirSync(dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, source: string): URL {
  const file = join(dir, name);
  writeFileSync(file, source);
  return pathToFileURL(file);
}

const require = createRequire(import.meta.url);
const texts = { Key: schemaText('Key'), Keystore: schemaText('Keystore') };
const runtime = loadValidators(pathToFileURL(join(dir, 'absent.cjs')));

const documents: [string, string][] = [
  ['Key', KEY],
  ['Keystore', KEYSTORE],
  ['Key', edit(KEY, 'name: production', 'name: 2024')],
  ['Key', edit(KEY, '  keyType: RSA', '  keyType: RSA\n  decription: x')],
  ['Key', edit(KEY, 'name: payments-signing', 'name: _x')],
  ['Key', edit(KEY, '  name: payments-signing\n', '')],
  ['Keystore', edit(KEYSTORE, 'PKCS12', 'PEM')],
  ['Keystore', KEY],
];

function judge(v: SchemaValidator | undefined, text: string): unknown {
  const value = parseManifestText(text, 'm.yaml').documents[0]?.value;
  if (!v) throw new Error('no validator');
  const ok = v(value);
  return { ok, errors: ok ? null : v.errors };
}

describe('generated schema validators', () => {
  it('judge every document as the run-time compiled schemas do, errors included', () => {
    const generated = loadValidators(write('fresh.cjs', validatorModuleSource(texts)));
    expect(generated.get('Key')).not.toBe(runtime.get('Key'));
    for (const [kind, text] of documents) {
      expect(judge(generated.get(kind as 'Key'), text)).toEqual(judge(runtime.get(kind as 'Key'), text));
    }
    expect(judge(generated.get('Key'), KEY)).toMatchObject({ ok: true });
    expect(judge(generated.get('Keystore'), KEY)).toMatchObject({ ok: false });
  });

  it('are ignored when the schema files changed since they were generated', () => {
    const stale = { ...texts, Key: texts.Key.replace('"title": "apinizer-gitops Key"', '"title": "older"') };
    expect(stale.Key).not.toBe(texts.Key);
    const file = write('stale.cjs', validatorModuleSource(stale));
    const loaded = loadValidators(file);
    // Compiled afresh from the files, not taken from the stale module.
    const fromModule = (require(file.pathname) as { Key: SchemaValidator }).Key;
    expect(loaded.get('Key')).not.toBe(fromModule);
    // The shared file the kinds' schemas $ref counts too.
    const shared = sharedSchemaTexts();
    const olderShared = {
      ...shared,
      'common.schema.json': shared['common.schema.json']!.replace('"minLength": 1', '"minLength": 2'),
    };
    expect(olderShared['common.schema.json']).not.toBe(shared['common.schema.json']);
    const staleShared = write('stale-shared.cjs', validatorModuleSource(texts, olderShared));
    expect(loadValidators(staleShared).get('Key')).not.toBe(
      (require(staleShared.pathname) as { Key: SchemaValidator }).Key,
    );
    const fresh = loadValidators(write('fresh2.cjs', validatorModuleSource(texts)));
    expect(fresh.get('Key')).toBe((require(join(dir, 'fresh2.cjs')) as { Key: SchemaValidator }).Key);
  });
});
