// The secret sources, in one registry (as kinds/ is for kinds). The inline form (a string) is not a
// source: it needs nothing read. Validation hints, the schemas' secret `anyOf` (checked against this
// list by test/secrets/registry.test.ts), export's references and the docs' table read this list.
import { fromEnv } from './from-env.js';
import { fromFile } from './from-file.js';
import type { SecretSource } from './types.js';

const registry: readonly SecretSource[] = [fromFile, fromEnv];

/** Every registered secret source, in the order messages and schemas list them. */
export function secretSources(): readonly SecretSource[] {
  return registry;
}

/** The source a written (object) value selects, by its key; undefined when none does. */
export function sourceOf(spec: Record<string, unknown>): SecretSource | undefined {
  // A plain loop: this runs twice for every secret of every manifest.
  for (const source of registry) if (source.matches(spec)) return source;
  return undefined;
}

/** The source registered under `key` (`fromFile`). */
export function sourceNamed(key: string): SecretSource | undefined {
  return registry.find((s) => s.key === key);
}

/** The secret forms as messages list them: `inline base64 text, { fromFile: PATH } or { fromEnv: ... }`. */
export function secretFormsText(): string {
  const forms = registry.map((s) => s.formWithOptions ?? s.form);
  return `inline base64 text, ${forms.slice(0, -1).join(', ')}${forms.length > 1 ? ' or ' : ''}${forms[forms.length - 1] ?? ''}`;
}

/** What each key of a source's form must hold, for schema errors, by key. */
export function secretHints(): Record<string, string> {
  return Object.assign({ '': secretFormsText() }, ...registry.map((s) => s.hints)) as Record<string, string>;
}

export type { SecretSource } from './types.js';
