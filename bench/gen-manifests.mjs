// Generates a legacy-form manifest tree for benchmarks: N resources in ceil(N / perFile)
// multi-document files (10 documents per file by default), 100 files per folder. 80 % Keys, 20 %
// Keystores, over the projects Payments and Identity, environments production and test, in the
// forms of the SPEC's own example: production public keys `fromFile`, test public keys inline,
// private keys `fromEnv` (as CI secrets would be), keystore files `fromFile`.
//
// The material is REAL by default (issue 22): RSA-2048 key pairs (public key as SPKI DER, private
// key as PKCS#8 DER, the halves matching) and PKCS12 stores, PAIRS of them shared over the tree as
// a team's material folder would share them, so every material check passes and has real work to
// do, and a figure measures the product rather than 36,000 warnings about random bytes.
// `material: 'fake'` (--fake-material) writes random bytes instead, as the tree before issue 22
// did: every material check then warns, which is what the "diagnostics at scale" figure measures.
//
//   node bench/gen-manifests.mjs DIR [RESOURCES=10000] [PER_FILE=10] [--fake-material]
//
// The printed lines name the variables to set: validate needs them, as fromEnv must resolve.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The variable a generated Key reads its private key from (with the pair's number appended for real material). */
export const PRIVATE_KEY_VAR = 'BENCH_PRIVATE_KEY';

const FILES_PER_FOLDER = 100;
/** Real key pairs (and stores) in a tree: enough distinct values to be realistic, few enough to generate in a second. */
const PAIRS = 8;

const forge = createRequire(import.meta.url)('node-forge');

/** One real set: an RSA-2048 pair as DER (SPKI, PKCS#8) and a PKCS12 store (no password) of a certificate for it. */
function realSet(index) {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const spki = publicKey.export({ format: 'der', type: 'spki' });
  const pkcs8 = privateKey.export({ format: 'der', type: 'pkcs8' });
  const key = forge.pki.privateKeyFromPem(privateKey.export({ format: 'pem', type: 'pkcs8' }));
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = (2000 + index).toString(16);
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const subject = [{ name: 'commonName', value: `bench-legacy-${index}.example.com` }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(key, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], null, { algorithm: '3des' });
  return { spki, pkcs8, p12: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary') };
}

function documentFor(i, fake, inlinePublic) {
  const kind = i % 5 === 4 ? 'Keystore' : 'Key';
  const project = i % 2 === 0 ? 'Payments' : 'Identity';
  const name = `bench-${kind.toLowerCase()}-${String(i).padStart(6, '0')}`;
  const pair = fake ? '' : String(i % PAIRS);
  const head = `apiVersion: apinizer-gitops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  project: ${project}\nspec:\n  description: Benchmark ${kind.toLowerCase()} number ${i}\n`;
  if (kind === 'Keystore') {
    return `${head}  environments:\n    - name: production\n      type: PKCS12\n      file: { fromFile: material/production${pair}.p12 }\n    - name: test\n      type: PKCS12\n      file: { fromFile: material/test${pair}.p12 }\n`;
  }
  // Fake: distinct random bytes per key, as before. Real: the pair's public key.
  const testPublic = fake ? randomBytes(294).toString('base64') : inlinePublic[i % PAIRS];
  return (
    `${head}  keyType: RSA\n  environments:\n` +
    `    - name: production\n      publicKey: { fromFile: material/rsa-public${pair}.der }\n      privateKey: { fromEnv: ${PRIVATE_KEY_VAR}${pair} }\n` +
    `    - name: test\n      publicKey: ${testPublic}\n      privateKey: { fromEnv: ${PRIVATE_KEY_VAR}${pair} }\n`
  );
}

/**
 * Writes the tree into `dir` (which should be empty) and returns what it wrote and the
 * environment validate needs: { files, resources, bytes, env, material }.
 */
export async function generateManifests(dir, { resources = 10_000, perFile = 10, material = 'real' } = {}) {
  const fake = material === 'fake';
  const sets = fake ? [] : Array.from({ length: PAIRS }, (_, i) => realSet(i));
  const env = fake
    ? { [PRIVATE_KEY_VAR]: randomBytes(1218).toString('base64') }
    : Object.fromEntries(sets.map((s, i) => [`${PRIVATE_KEY_VAR}${i}`, s.pkcs8.toString('base64')]));
  const inlinePublic = sets.map((s) => s.spki.toString('base64'));
  const fileCount = Math.ceil(resources / perFile);
  let bytes = 0;
  const folders = new Set();
  for (let f = 0; f < fileCount; f += 1) {
    const folder = join(dir, `group-${String(Math.floor(f / FILES_PER_FOLDER)).padStart(3, '0')}`);
    if (!folders.has(folder)) {
      folders.add(folder);
      const m = join(folder, 'material');
      await mkdir(m, { recursive: true });
      if (fake) {
        await writeFile(join(m, 'rsa-public.der'), randomBytes(294));
        for (const e of ['production', 'test']) await writeFile(join(m, `${e}.p12`), randomBytes(2500));
      } else {
        for (const [i, s] of sets.entries()) {
          await writeFile(join(m, `rsa-public${i}.der`), s.spki);
          for (const e of ['production', 'test']) await writeFile(join(m, `${e}${i}.p12`), s.p12);
        }
      }
    }
    const docs = [];
    for (let i = f * perFile; i < Math.min(resources, (f + 1) * perFile); i += 1)
      docs.push(documentFor(i, fake, inlinePublic));
    const text = docs.join('---\n');
    bytes += Buffer.byteLength(text);
    await writeFile(join(folder, `manifests-${String(f).padStart(4, '0')}.yaml`), text);
  }
  return { files: fileCount, resources, bytes, env, material: fake ? 'fake' : 'real' };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const args = process.argv.slice(2);
  const fake = args.includes('--fake-material');
  const [dir, resources = '10000', perFile = '10'] = args.filter((a) => !a.startsWith('--'));
  if (!dir) {
    process.stderr.write('usage: node bench/gen-manifests.mjs DIR [RESOURCES=10000] [PER_FILE=10] [--fake-material]\n');
    process.exit(1);
  }
  const r = await generateManifests(dir, {
    resources: Number(resources),
    perFile: Number(perFile),
    material: fake ? 'fake' : 'real',
  });
  process.stdout.write(
    `${r.resources} resources in ${r.files} files (${(r.bytes / 1024 / 1024).toFixed(1)} MiB, ${r.material} material) under ${dir}\n`,
  );
  for (const [k, v] of Object.entries(r.env)) process.stdout.write(`export ${k}=${v}\n`);
}
