// Generates a manifest tree for benchmarks: N resources in ceil(N / perFile) multi-document files
// (10 documents per file by default), 100 files per folder. 80 % Keys, 20 % Keystores, over the
// projects Payments and Identity, environments production and test. Secret values take the forms
// of the SPEC's own example, at realistic sizes: production public keys `fromFile` (an RSA-2048
// public key's 294 bytes of DER), test public keys inline (base64 of 294 random bytes, distinct per
// key), private keys from one environment variable (as a CI secret would be), keystore files
// `fromFile` (~2.5 KB). Key files are shared per folder, as a team's material folder would be.
//
//   node bench/gen-manifests.mjs DIR [RESOURCES=10000] [PER_FILE=10]
//
// The printed line names the variable to set: validate needs it, as fromEnv must resolve.
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The variable every generated Key reads its private key from. */
export const PRIVATE_KEY_VAR = 'BENCH_PRIVATE_KEY';

const FILES_PER_FOLDER = 100;

function documentFor(i) {
  const kind = i % 5 === 4 ? 'Keystore' : 'Key';
  const project = i % 2 === 0 ? 'Payments' : 'Identity';
  const name = `bench-${kind.toLowerCase()}-${String(i).padStart(6, '0')}`;
  const head = `apiVersion: apinizer-gitops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  project: ${project}\nspec:\n  description: Benchmark ${kind.toLowerCase()} number ${i}\n`;
  if (kind === 'Keystore') {
    return `${head}  environments:\n    - name: production\n      type: PKCS12\n      file: { fromFile: material/production.p12 }\n    - name: test\n      type: PKCS12\n      file: { fromFile: material/test.p12 }\n`;
  }
  return (
    `${head}  keyType: RSA\n  environments:\n` +
    `    - name: production\n      publicKey: { fromFile: material/rsa-public.der }\n      privateKey: { fromEnv: ${PRIVATE_KEY_VAR} }\n` +
    `    - name: test\n      publicKey: ${randomBytes(294).toString('base64')}\n      privateKey: { fromEnv: ${PRIVATE_KEY_VAR} }\n`
  );
}

/**
 * Writes the tree into `dir` (which should be empty) and returns what it wrote and the
 * environment validate needs: { files, resources, bytes, env }.
 */
export async function generateManifests(dir, { resources = 10_000, perFile = 10 } = {}) {
  const env = { [PRIVATE_KEY_VAR]: randomBytes(1218).toString('base64') };
  const fileCount = Math.ceil(resources / perFile);
  let bytes = 0;
  const folders = new Set();
  for (let f = 0; f < fileCount; f += 1) {
    const folder = join(dir, `group-${String(Math.floor(f / FILES_PER_FOLDER)).padStart(3, '0')}`);
    if (!folders.has(folder)) {
      folders.add(folder);
      await mkdir(join(folder, 'material'), { recursive: true });
      await writeFile(join(folder, 'material', 'rsa-public.der'), randomBytes(294));
      for (const e of ['production', 'test']) await writeFile(join(folder, 'material', `${e}.p12`), randomBytes(2500));
    }
    const docs = [];
    for (let i = f * perFile; i < Math.min(resources, (f + 1) * perFile); i += 1) docs.push(documentFor(i));
    const text = docs.join('---\n');
    bytes += Buffer.byteLength(text);
    await writeFile(join(folder, `manifests-${String(f).padStart(4, '0')}.yaml`), text);
  }
  return { files: fileCount, resources, bytes, env };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir, resources = '10000', perFile = '10'] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node bench/gen-manifests.mjs DIR [RESOURCES=10000] [PER_FILE=10]\n');
    process.exit(1);
  }
  const r = await generateManifests(dir, { resources: Number(resources), perFile: Number(perFile) });
  process.stdout.write(
    `${r.resources} resources in ${r.files} files (${(r.bytes / 1024 / 1024).toFixed(1)} MiB) under ${dir}\n`,
  );
  process.stdout.write(`export ${PRIVATE_KEY_VAR}=${r.env[PRIVATE_KEY_VAR]}\n`);
}
