// The manifest schemas compiled to plain JavaScript at build time (`npm run build` runs
// scripts/gen-validators.mjs, which calls `validatorModuleSource`), so a CLI run neither loads
// Ajv's compiler nor spends start-up time compiling. The module carries a hash of the schema files
// it was made from: when the files in schemas/ have changed since (a schema edited without a
// rebuild, or a test run from src/), it is ignored and the schemas are compiled at run time, so
// the files stay the single source of the format.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { Ajv2020, ErrorObject } from 'ajv/dist/2020.js';
import { allKinds } from '../kinds/index.js';
import type { Kind } from '../model.js';

/** A compiled schema: true when valid; otherwise `errors` holds Ajv's errors. */
export interface SchemaValidator {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

/**
 * The kinds whose schema is a file in schemas/ (the shipped ones), each with its file, read from
 * their descriptors. A kind whose descriptor holds its schema as an object is compiled at run time.
 */
export function schemaFiles(): ReadonlyMap<Kind, string> {
  return new Map(allKinds().flatMap((d) => (typeof d.schema === 'string' ? [[d.kind, d.schema] as const] : [])));
}

/** The Ajv options every manifest schema is compiled with, at build time and at run time alike. */
export const AJV_OPTIONS = { strict: true, allErrors: true, verbose: true } as const;

/** The generated module, next to this file once built (dist/manifest/). */
export const GENERATED_MODULE = 'schema-validators.cjs';

const require = createRequire(import.meta.url);

/**
 * The schema files every kind's schema may `$ref` (`common.schema.json#/$defs/metadata`): the
 * envelope's shared parts and the secret value. Each file's `$id` is its file name, so a relative
 * `$ref` resolves the same in Ajv (where it is registered under that id) and in an editor (against
 * the referring file's location).
 */
export const SHARED_SCHEMA_FILES: readonly string[] = ['common.schema.json'];

/** The texts of the shared schema files, by file name. */
export function sharedSchemaTexts(): Record<string, string> {
  return Object.fromEntries(
    SHARED_SCHEMA_FILES.map((file) => [file, readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8')]),
  );
}

/**
 * A new Ajv for manifest schemas, with the shared schemas registered under their file names, so
 * that a kind's `$ref: common.schema.json#/...` resolves (the `$id` is the file name too).
 */
export function manifestAjv(options: Record<string, unknown> = {}, shared = sharedSchemaTexts()): Ajv2020 {
  const { Ajv2020 } = require('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
  const ajv = new Ajv2020({ ...AJV_OPTIONS, ...options });
  for (const [file, text] of Object.entries(shared)) ajv.addSchema(JSON.parse(text) as object, file);
  return ajv;
}

/** The text of a kind's schema file, as shipped in schemas/ (from src/ under vitest and from dist/). */
export function schemaText(kind: Kind): string {
  const file = schemaFiles().get(kind);
  if (file === undefined) throw new Error(`kind ${kind} has no schema file in schemas/`);
  return readFileSync(new URL(`../../schemas/${file}`, import.meta.url), 'utf8');
}

/**
 * A SHA-256 over the schema files' texts, in kind order, then the shared files' (which the kinds'
 * schemas `$ref`): what a generated module was made from.
 */
export function schemasHash(texts: Record<Kind, string>, shared = sharedSchemaTexts()): string {
  const hash = createHash('sha256');
  for (const kind of Object.keys(texts).sort()) hash.update(`${kind}\u0000${texts[kind]}\u0000`);
  for (const file of Object.keys(shared).sort()) hash.update(`shared:${file}\u0000${shared[file]}\u0000`);
  return hash.digest('hex');
}

function currentTexts(): Record<Kind, string> {
  return Object.fromEntries([...schemaFiles().keys()].map((kind) => [kind, schemaText(kind)]));
}

/** Compiles the schemas with Ajv (loaded only now: a built CLI rarely needs it). */
function compileAtRunTime(texts: Record<Kind, string>): Map<Kind, SchemaValidator> {
  const ajv = manifestAjv();
  const map = new Map<Kind, SchemaValidator>();
  for (const [kind, text] of Object.entries(texts)) map.set(kind, ajv.compile(JSON.parse(text) as object));
  return map;
}

/** The generated validators when they match the schema files, else the schemas compiled now. */
export function loadValidators(
  generated = new URL(`./${GENERATED_MODULE}`, import.meta.url),
): Map<Kind, SchemaValidator> {
  const texts = currentTexts();
  try {
    const mod = require(fileURLToPath(generated)) as { schemasHash: string } & Record<string, unknown>;
    if (mod.schemasHash === schemasHash(texts)) {
      // The module exports one validator per kind, by the kind's name.
      return new Map(Object.keys(texts).map((kind) => [kind, mod[kind] as SchemaValidator]));
    }
  } catch {
    // Not built (running from src/): compile below.
  }
  return compileAtRunTime(texts);
}

/** The CommonJS source of the generated module: each kind's standalone validator and the hash of its schema files. */
export function validatorModuleSource(
  texts: Record<Kind, string> = currentTexts(),
  shared: Record<string, string> = sharedSchemaTexts(),
): string {
  const standaloneCode = (
    require('ajv/dist/standalone/index.js') as { default: (ajv: unknown, refs: Record<string, string>) => string }
  ).default;
  const ajv = manifestAjv({ code: { source: true } }, shared);
  const refs: Record<string, string> = {};
  for (const [kind, text] of Object.entries(texts)) {
    const schema = JSON.parse(text) as { $id?: string };
    const id = schema.$id ?? `apinizer-gitops:${kind}`;
    ajv.addSchema({ ...schema, $id: id });
    refs[kind] = id;
  }
  const code = standaloneCode(ajv, refs);
  return `// Generated by scripts/gen-validators.mjs from schemas/*.json; do not edit.\n${code}\nexports.schemasHash = ${JSON.stringify(schemasHash(texts, shared))};\n`;
}
