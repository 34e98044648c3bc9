// Where export finds the schema files its manifests point editors at (`# yaml-language-server`).
import { stat } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { descriptorOf } from '../kinds/index.js';
import type { Kind } from '../model.js';

/** The JSON Schema file of a manifest kind, in the package's `schemas/` folder. */
export function schemaFileOf(kind: Kind): string {
  const schema = descriptorOf(kind).schema;
  return typeof schema === 'string' ? schema : `${kind.toLowerCase()}.schema.json`;
}

/** The `schemas/` folder of the running package (the same from src/ under vitest and from dist/). */
export function packageSchemasDir(): string {
  return fileURLToPath(new URL('../../schemas/', import.meta.url));
}

function inside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

/**
 * The `$schema` reference for exported manifests. When the package lives in the same repository
 * as the output folder (inside one of `repositoryRoots`; the usual case: a devDependency under node_modules/, or this repository
 * itself) the reference is a path relative to the manifest, which stays right for everyone who
 * clones the repository and follows the installed version. Otherwise (a global or npx-cache
 * install) no relative path would survive a commit, so it is the schema's file:// URL on this
 * machine: still right for the person who ran the export, and harmless elsewhere.
 */
export function schemaReference(
  schemasDir: string,
  outDir: string,
  repositoryRoots: readonly string[],
): (kind: Kind, manifestFolder: string) => string {
  // An npx cache can sit inside a home folder that holds a package.json; it is never committed.
  const transient = schemasDir.split(sep).includes('_npx');
  const relativeOk = !transient && repositoryRoots.some((root) => inside(root, schemasDir) && inside(root, outDir));
  return (kind, manifestFolder) => {
    const schema = join(schemasDir, schemaFileOf(kind));
    if (!relativeOk) return pathToFileURL(schema).href;
    return relative(join(outDir, ...manifestFolder.split('/')), schema)
      .split(sep)
      .join('/');
  };
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * Every folder at or above `start` that holds `.git` or `package.json` (a repository or a package
 * of a monorepo), nearest first.
 */
export async function findRepositoryRoots(start: string): Promise<string[]> {
  const roots: string[] = [];
  for (let dir = resolve(start); ; dir = dirname(dir)) {
    if ((await exists(join(dir, '.git'))) || (await exists(join(dir, 'package.json')))) roots.push(dir);
    if (dirname(dir) === dir) return roots;
  }
}
