// Reads an emulator config file (YAML or JSON) into EmulatorOptions, refusing unknown fields.
import { parse } from 'yaml';
import type { EmulatorOptions, EmulatorProject } from './options.js';
import { applyOptions } from './options.js';
import { isRecord } from '../text.js';

const KNOWN = new Set([
  'port',
  'host',
  'token',
  'users',
  'projects',
  'dataFile',
  'latencyMs',
  'failRate',
  'failKinds',
  'seed',
  'retryAfterSeconds',
  'maskSecrets',
  'dialect',
  'deploymentShape',
  'mergeEnvironments',
  'failDeploymentTo',
  'hideFromList',
  'tokenTtlSeconds',
  'generation',
  'refuseExport',
  'keystoreListEnvironmentIds',
]);

/**
 * Reads an emulator config file's text (YAML, or JSON, which YAML includes) into options. Fields
 * are EmulatorOptions' own names; `projects` may also be a map `{Payments: [production, test]}`
 * and `users` a map `{admin: secret}`. Throws an Error whose message names the file and the field.
 */
export function parseEmulatorConfig(text: string, file: string): EmulatorOptions {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML or JSON: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (doc === null || doc === undefined) return {};
  if (!isRecord(doc)) throw new Error(`${file}: expected a mapping of emulator options (projects, users, token, ...)`);
  const unknown = Object.keys(doc).filter((k) => !KNOWN.has(k));
  if (unknown.length > 0)
    throw new Error(
      `${file}: unknown field ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${[...KNOWN].join(', ')}`,
    );
  const options: Record<string, unknown> = { ...doc };
  if (isRecord(doc.projects)) {
    options.projects = Object.entries(doc.projects).map(([name, environments]): EmulatorProject => ({
      name,
      environments: environments as string[],
    }));
  }
  if (isRecord(doc.users)) {
    options.users = Object.entries(doc.users).map(([username, password]) => ({ username, password: String(password) }));
  }
  try {
    applyOptions(undefined, options); // checks every field, names the bad one
  } catch (err) {
    throw new Error(`${file}: ${(err as Error).message}`);
  }
  return options;
}
