// The floor of validate and plan: a bare `js-yaml` loadAll of the same files in one Node process,
// found and read as the product finds them (recursive, sorted, *.yaml / *.yml, dot-entries
// skipped), with nothing else: no schema, no positions, no secrets. The figures of validate and
// plan are printed as ratios to this, measured in the same run, so load on the machine moves both.
//   node bench/lib/bare-parse.mjs DIR     prints "<files> files, <documents> documents"
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createRequire } from 'node:module';

const jsyaml = createRequire(import.meta.url)('js-yaml');

async function files(dir, out) {
  const entries = await readdir(dir, { withFileTypes: true });
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const e of entries) {
    if (e.name.startsWith('.') || e.name === 'node_modules') continue;
    const full = join(dir, e.name);
    if (e.isDirectory()) await files(full, out);
    else if (e.isFile() && /\.ya?ml$/i.test(e.name)) out.push(full);
  }
  return out;
}

const dir = process.argv[2];
if (!dir) {
  process.stderr.write('usage: node bench/lib/bare-parse.mjs DIR\n');
  process.exit(1);
}
const found = await files(dir, []);
const texts = await Promise.all(found.map((f) => readFile(f, 'utf8')));
let documents = 0;
for (const text of texts) documents += jsyaml.loadAll(text, undefined, { schema: jsyaml.CORE_SCHEMA }).length;
process.stdout.write(`${found.length} files, ${documents} documents\n`);
