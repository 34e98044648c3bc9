// The `fromFile` secret source: `{ fromFile: PATH }`, a file beside the manifest (SPEC §2), read by
// the loader (load.ts readSecretFile: inside the manifest root, after symlinks). A file that is age-
// encrypted (binary or armored, SPEC §2d) is decrypted here in memory with the identities sops
// reads; the plaintext never touches the disk.
import { resolve as resolvePath } from 'node:path';
import { Secret } from '../secret.js';
import { ageFormat, AgeError, decryptAge, IDENTITY_PLACES, type AgeIdentities } from './age.js';
import type { Fetched, ManifestPlace, Resolution, SecretReference, SecretSource } from './types.js';

type FromFile = { fromFile: string };

/**
 * The reference each (root, folder, fromFile) names, remembered: the manifests of a folder name the
 * same few files over and over, and resolving a path (normalising it segment by segment) and
 * joining the keys for each of 30,000 values twice was a tenth of loading them. Nested maps keyed
 * by the strings the manifests already hold, so a lookup builds no key. Bounded, for a watcher
 * that runs for weeks.
 */
const remembered = new Map<string, Map<string, Map<string, SecretReference>>>();
let rememberedCount = 0;

/** The file a `fromFile` value names, resolved against its manifest's folder. */
export function fileReference(place: ManifestPlace, path: string): SecretReference {
  let byDir = remembered.get(place.root);
  if (!byDir) remembered.set(place.root, (byDir = new Map<string, Map<string, SecretReference>>()));
  let byPath = byDir.get(place.dir);
  if (!byPath) byDir.set(place.dir, (byPath = new Map<string, SecretReference>()));
  let ref = byPath.get(path);
  if (ref === undefined) {
    if (rememberedCount >= 10_000) {
      remembered.clear();
      rememberedCount = 0;
      return fileReference(place, path);
    }
    const target = resolvePath(place.dir, path);
    ref = { source: 'fromFile', key: `${place.root}\u0000${target}`, root: place.root, target };
    byPath.set(path, ref);
    rememberedCount += 1;
  }
  return ref;
}

/** The `fromFile` source. */
export const fromFile: SecretSource<FromFile> = {
  key: 'fromFile',
  form: '{ fromFile: PATH }',
  hints: { fromFile: "a path to a file, relative to this manifest's folder" },
  schema: {
    title: 'From a file',
    description: "Read the file's bytes and base64-encode them.",
    type: 'object',
    additionalProperties: false,
    required: ['fromFile'],
    properties: {
      fromFile: {
        title: 'File path',
        description:
          "Path of the file, relative to this manifest's folder. After symlinks it must lie inside the folder given on the command line.",
        type: 'string',
        minLength: 1,
        examples: ['keys/prod-signing.pub.pem'],
      },
    },
  },
  meaning:
    "the file's bytes, base64-encoded by the tool. PATH is relative to the manifest's own folder and must resolve (after symlinks) inside the manifest root given on the command line. An age-encrypted file (binary or armored, e.g. `partner.p12.age`) is decrypted in memory",
  matches: (spec): spec is FromFile => 'fromFile' in spec,
  references: (spec, place) => [fileReference(place, spec.fromFile)],
  render: (target) => ({ fromFile: target }),
  resolve(spec, context): Resolution {
    const ref = fileReference(context.place, spec.fromFile);
    const read = context.fetched.get(ref.key) ?? { ok: false, code: 'file-unreadable', message: 'was not read' };
    const at = 'fromFile';
    if (!read.ok) {
      // A warning about the file itself (age-encrypted, no identity) is said once per file, at the
      // first value that names it; an error stays at every value, as each one fails.
      const seen = `fromFile-warned\u0000${ref.key}`;
      const repeated = read.severity === 'warning' && context.memo.has(seen);
      if (read.severity === 'warning') context.memo.set(seen, true);
      return {
        ok: false,
        code: read.code,
        message: `file "${spec.fromFile}" ${read.message}`,
        at,
        severity: read.severity ?? 'error',
        ...(repeated ? { repeated } : {}),
      };
    }
    if (context.field.role !== 'text-secret') return { ok: true, secret: new Secret(read.base64) };
    // A password file written by an editor or `echo` ends with a newline that is not part of it.
    const text = Buffer.from(read.base64, 'base64')
      .toString('utf8')
      .replace(/\r?\n$/, '');
    // An empty file is far more often a mistake than a way to say "no password": that has its own spelling.
    if (text === '')
      return {
        ok: false,
        code: 'file-unreadable',
        message: `file "${spec.fromFile}" is empty; put the text in it (for an empty password write ${context.field.name}: "")`,
        at,
        severity: 'error',
      };
    return { ok: true, secret: new Secret(text) };
  },
};

/** What decrypting an age file needs: the identities (read once per run) and how a missing one counts. */
export interface AgeContext {
  identities: () => Promise<AgeIdentities>;
  missing: 'error' | 'warning';
}

/**
 * A read file as the value it stands for: an age file (by its content) decrypted in memory, any
 * other file unchanged. Without an identity that opens it: a warning in validate, else an error.
 */
export async function decryptFileSecret(read: Fetched, context: AgeContext): Promise<Fetched> {
  if (!read.ok) return read;
  // The header decides: decode only its first 66 bytes (88 base64 characters), not the whole file.
  if (ageFormat(Buffer.from(read.base64.slice(0, 88), 'base64')) === null) return read;
  const bytes = Buffer.from(read.base64, 'base64');
  const identities = await context.identities();
  try {
    const plain = await decryptAge(bytes, identities);
    if (plain.length === 0) return { ok: false, code: 'file-unreadable', message: 'is an age file of an empty file' };
    return { ok: true, base64: Buffer.from(plain).toString('base64') };
  } catch (err) {
    if (!(err instanceof AgeError)) throw err;
    if (err.reason === 'invalid')
      return {
        ok: false,
        code: 'age-invalid',
        message: `starts like an age file but ${err.message}; encrypt it again with age`,
      };
    const problems = identities.problems.length > 0 ? ` (${identities.problems.join('; ')})` : '';
    const why = `${err.reason === 'no-identity' ? 'no age identity was found' : 'no age identity given opens it'}${problems}`;
    const then =
      context.missing === 'warning'
        ? 'validate goes on without its value (material checks skipped), but plan, apply and watch need it'
        : 'nothing was sent to the API';
    return {
      ok: false,
      code: 'encrypted-no-identity',
      message: `is age-encrypted and ${why}: set ${IDENTITY_PLACES}; ${then}`,
      severity: context.missing,
    };
  }
}
