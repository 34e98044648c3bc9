// Build step (after tsc): writes dist/manifest/schema-validators.cjs, the manifest schemas of
// schemas/*.json compiled to standalone JavaScript, so a CLI run does not compile them. The module
// records a hash of the schema files; a run whose schemas differ ignores it and compiles instead.
import { writeFileSync } from 'node:fs';
import { GENERATED_MODULE, validatorModuleSource } from '../dist/manifest/schema-code.js';

const target = new URL(`../dist/manifest/${GENERATED_MODULE}`, import.meta.url);
writeFileSync(target, validatorModuleSource());
process.stdout.write(`wrote ${target.pathname}\n`);
