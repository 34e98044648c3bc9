// Writes examples/manifests-sops/ from examples/manifests/: the same resources, the payments project
// SOPS-encrypted with the material inline, the identity project's keystore files age-encrypted
// behind fromFile. For a test identity only (examples/manifests-sops/test-identity.txt, committed on
// purpose, protecting nothing). Run after `npm run build`: node scripts/make-sops-example.mjs
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Encrypter, armor, generateIdentity, identityToRecipient } from 'age-encryption';
import { parseAllDocuments, stringify } from 'yaml';
import { encryptSopsYaml } from '../dist/secrets/sops/encode.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FROM = join(ROOT, 'examples', 'manifests');
const TO = join(ROOT, 'examples', 'manifests-sops');
const IDENTITY = join(TO, 'test-identity.txt');
const SECRET_FIELDS = new Set(['publicKey', 'privateKey', 'content', 'file', 'password']);

const identity = existsSync(IDENTITY)
  ? readFileSync(IDENTITY, 'utf8')
      .split('\n')
      .find((l) => l.startsWith('AGE-SECRET-KEY-1'))
  : await generateIdentity();
const recipient = await identityToRecipient(identity);
for (const entry of existsSync(TO) ? readdirSync(TO) : []) {
  if (entry !== 'test-identity.txt' && entry !== 'README.md') rmSync(join(TO, entry), { recursive: true });
}
mkdirSync(TO, { recursive: true });
writeFileSync(
  IDENTITY,
  [
    '# TEST IDENTITY: for examples/manifests-sops only. It protects nothing; never encrypt anything real for it.',
    `# public key: ${recipient}`,
    identity,
    '',
  ].join('\n'),
);

const ageEncrypt = async (bytes) => {
  const e = new Encrypter();
  e.addRecipient(recipient);
  return armor.encode(await e.encrypt(bytes));
};

for (const entry of readdirSync(FROM, { recursive: true, withFileTypes: true })) {
  if (!entry.isFile() || !/\.ya?ml$/.test(entry.name)) continue;
  const source = join(entry.parentPath, entry.name);
  const rel = relative(FROM, source);
  const docs = parseAllDocuments(readFileSync(source, 'utf8')).map((d) => d.toJS());
  const target = join(TO, rel);
  mkdirSync(dirname(target), { recursive: true });
  const project = rel.split('/')[0];
  for (const doc of docs) {
    for (const env of doc.spec.environments) {
      for (const [field, value] of Object.entries(env)) {
        if (!SECRET_FIELDS.has(field) || typeof value !== 'object' || !('fromFile' in value)) continue;
        const bytes = readFileSync(join(dirname(source), value.fromFile));
        if (project === 'identity') {
          // Way 2: the file stays a file, age-encrypted (armored) beside the manifest.
          const ageFile = `${value.fromFile}.age`;
          mkdirSync(dirname(join(dirname(target), ageFile)), { recursive: true });
          writeFileSync(join(dirname(target), ageFile), await ageEncrypt(bytes));
          env[field] = { fromFile: ageFile };
        } else {
          env[field] = bytes.toString('base64'); // way 1: inline, then the whole file SOPS-encrypted
        }
      }
    }
  }
  const text =
    project === 'identity'
      ? docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n')
      : await encryptSopsYaml(docs, { recipients: [recipient] });
  writeFileSync(target, `${text}\n`.replace(/\n\n$/, '\n'));
}
writeFileSync(
  join(TO, '.sops.yaml'),
  [
    'creation_rules:',
    "  - path_regex: '\\.ya?ml$'",
    "    encrypted_regex: '^(privateKey|publicKey|content|file|password)$'",
    `    age: '${recipient}'`,
    '',
  ].join('\n'),
);
process.stdout.write(`wrote ${relative(ROOT, TO)} for ${recipient}\n`);
