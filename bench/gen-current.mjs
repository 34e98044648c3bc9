// Generates a manifest tree in the CURRENT form (SPEC §2b) whose secrets are real material, for
// the current-generation no-op plan (figure 2b) and the material-check cost (figure 1b). N
// resources in ceil(N / perFile) files (10 per file), 100 files per folder, over the projects
// Payments and Identity, environments production and test:
//   - 40 % PRIVATE_KEY Keys, content fromFile an RSA-2048 private key PEM,
//   - 20 % PUBLIC_KEY Keys, content fromFile a certificate PEM (valid 10 years),
//   - 20 % SECRET_KEY Keys (algorithm AES), content fromFile 32 random bytes (one file per folder
//     and environment, so distinct across the tree),
//   - 20 % Keystores, PKCS12 fromFile with `password` fromEnv and `alias`.
// The key, certificate and store files are shared as a team's material folder would share them:
// most resources use one of SHARED sets, every 50th uses one of DISTINCT sets of its own. Every
// set is made here (node:crypto keys, node-forge certificates and PKCS12 stores), so every
// material check passes: a failing check would end validate early and time nothing.
//
//   node bench/gen-current.mjs DIR [RESOURCES=10000] [PER_FILE=10]
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The variable every generated Keystore reads its password from. */
export const STORE_PASSWORD_VAR = 'BENCH_STORE_PASSWORD';
const FILES_PER_FOLDER = 100;
const SHARED = 3;
const DISTINCT = 20;
const ALIAS = 'bench';

const forge = createRequire(import.meta.url)('node-forge');

/** One material set: an RSA key (PEM), a self-signed certificate for it (PEM), a PKCS12 store of both. */
function materialSet(index, password) {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const keyPem = privateKey.export({ format: 'pem', type: 'pkcs8' });
  const key = forge.pki.privateKeyFromPem(keyPem);
  const cert = forge.pki.createCertificate();
  cert.publicKey = forge.pki.setRsaPublicKey(key.n, key.e);
  cert.serialNumber = (1000 + index).toString(16);
  cert.validity.notBefore = new Date(Date.now() - 86_400_000);
  cert.validity.notAfter = new Date(Date.now() + 10 * 365 * 86_400_000);
  const subject = [
    { name: 'commonName', value: `bench-${index}.example.com` },
    { name: 'organizationName', value: 'Bench' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.sign(key, forge.md.sha256.create());
  const p12 = forge.pkcs12.toPkcs12Asn1(key, [cert], password, { algorithm: 'aes256', friendlyName: ALIAS });
  return {
    keyPem,
    certPem: forge.pki.certificateToPem(cert),
    p12: Buffer.from(forge.asn1.toDer(p12).getBytes(), 'binary'),
  };
}

/** The set resource `i` uses: a shared one, or (every 50th) one of the distinct ones. */
function setFor(i) {
  return i % 50 === 0 ? `d${(i / 50) % DISTINCT}` : `s${i % SHARED}`;
}

function documentFor(i, folderIndex) {
  const slot = i % 10;
  const kind = slot >= 8 ? 'Keystore' : 'Key';
  const project = i % 2 === 0 ? 'Payments' : 'Identity';
  const name = `bench-current-${String(i).padStart(6, '0')}`;
  const head =
    `apiVersion: apinizer-gitops/v1\nkind: ${kind}\nmetadata:\n  name: ${name}\n  project: ${project}\n` +
    `spec:\n  description: Benchmark ${kind.toLowerCase()} number ${i}\n`;
  const set = setFor(i);
  const env = (e, body) => `    - name: ${e}\n${body}`;
  if (kind === 'Keystore') {
    const body =
      `      type: PKCS12\n      file: { fromFile: ../material/${set}.p12 }\n` +
      `      password: { fromEnv: ${STORE_PASSWORD_VAR} }\n      alias: ${ALIAS}\n`;
    return `${head}  environments:\n${env('production', body)}${env('test', body)}`;
  }
  if (slot < 4) {
    const body = `      content: { fromFile: ../material/${set}.key.pem }\n      alias: ${name}\n`;
    return `${head}  keyType: PRIVATE_KEY\n  environments:\n${env('production', body)}${env('test', body)}`;
  }
  if (slot < 6) {
    const body = `      content: { fromFile: ../material/${set}.crt.pem }\n`;
    return `${head}  keyType: PUBLIC_KEY\n  environments:\n${env('production', body)}${env('test', body)}`;
  }
  const secret = (e) => `      content: { fromFile: ../material/secret-${folderIndex}-${e}.bin }\n`;
  return (
    `${head}  keyType: SECRET_KEY\n  algorithm: AES\n  environments:\n` +
    `${env('production', secret('production'))}${env('test', secret('test'))}`
  );
}

/**
 * Writes the tree into `dir` (which should be empty): DIR/material holds the shared files, each
 * DIR/group-NNN/ its manifests. Returns { files, resources, bytes, env } (env: what validate needs).
 */
export async function generateCurrentManifests(dir, { resources = 10_000, perFile = 10 } = {}) {
  const password = `bench-${randomBytes(12).toString('hex')}`;
  const material = join(dir, 'material');
  await mkdir(material, { recursive: true });
  const names = [
    ...Array.from({ length: SHARED }, (_, i) => `s${i}`),
    ...Array.from({ length: DISTINCT }, (_, i) => `d${i}`),
  ];
  for (const [i, name] of names.entries()) {
    const set = materialSet(i, password);
    await writeFile(join(material, `${name}.key.pem`), set.keyPem);
    await writeFile(join(material, `${name}.crt.pem`), set.certPem);
    await writeFile(join(material, `${name}.p12`), set.p12);
  }
  const fileCount = Math.ceil(resources / perFile);
  let bytes = 0;
  for (let f = 0; f < fileCount; f += 1) {
    const folderIndex = Math.floor(f / FILES_PER_FOLDER);
    const folder = join(dir, `group-${String(folderIndex).padStart(3, '0')}`);
    if (f % FILES_PER_FOLDER === 0) {
      await mkdir(folder, { recursive: true });
      for (const e of ['production', 'test'])
        await writeFile(join(material, `secret-${folderIndex}-${e}.bin`), randomBytes(32));
    }
    const docs = [];
    for (let i = f * perFile; i < Math.min(resources, (f + 1) * perFile); i += 1)
      docs.push(documentFor(i, folderIndex));
    const text = docs.join('---\n');
    bytes += Buffer.byteLength(text);
    await writeFile(join(folder, `manifests-${String(f).padStart(4, '0')}.yaml`), text);
  }
  return { files: fileCount, resources, bytes, env: { [STORE_PASSWORD_VAR]: password }, materialSets: names.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const [dir, resources = '10000', perFile = '10'] = process.argv.slice(2);
  if (!dir) {
    process.stderr.write('usage: node bench/gen-current.mjs DIR [RESOURCES=10000] [PER_FILE=10]\n');
    process.exit(1);
  }
  const r = await generateCurrentManifests(dir, { resources: Number(resources), perFile: Number(perFile) });
  process.stdout.write(
    `${r.resources} resources in ${r.files} files (${(r.bytes / 1024 / 1024).toFixed(1)} MiB) under ${dir}\n`,
  );
  process.stdout.write(`export ${STORE_PASSWORD_VAR}=${r.env[STORE_PASSWORD_VAR]}\n`);
}
