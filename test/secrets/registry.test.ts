// The secret sources' registry is the one place a form is declared: the schemas' secret `anyOf`, the
// validation messages and the docs' table must say what the registry says.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { secretFormsText, secretHints, secretSources } from '../../src/secrets/index.js';

const ROOT = join(import.meta.dirname, '..', '..');

describe('the secret sources registry', () => {
  it('common.schema.json: the secret value is inline text or one of the sources, and both kinds $ref it', () => {
    const read = (file: string) => JSON.parse(readFileSync(join(ROOT, 'schemas', file), 'utf8')) as unknown;
    const common = read('common.schema.json') as { $defs: { secretValue: { anyOf: Record<string, unknown>[] } } };
    const [inline, ...objects] = common.$defs.secretValue.anyOf;
    expect(inline).toMatchObject({ type: 'string' });
    expect(objects).toEqual(secretSources().map((s) => s.schema));
    for (const file of ['key.schema.json', 'keystore.schema.json']) {
      expect(JSON.stringify(read(file)), file).toContain('"$ref":"common.schema.json#/$defs/secretValue"');
    }
  });

  it('lists every form in the messages, and a hint for every key of every form', () => {
    for (const source of secretSources()) {
      expect(secretFormsText()).toContain(source.formWithOptions ?? source.form);
      for (const key of Object.keys(source.schema.properties ?? {})) expect(secretHints()[key]).toBeTruthy();
    }
  });

  it("docs/manifests.md's table of secret forms has a row per source", () => {
    const docs = readFileSync(join(ROOT, 'docs', 'manifests.md'), 'utf8');
    for (const source of secretSources()) expect(docs).toContain(`| \`${source.key}\` | \`{ ${source.key}: `);
  });
});
