// Pure: one parsed document -> a typed manifest, or diagnostics that say what to change. The JSON
// Schemas in schemas/ are the single source of the format (editors use the same files); Ajv's
// errors are de-duplicated here and rewritten as plain sentences with a path and a position.
import { readFileSync } from 'node:fs';
import type { ErrorObject } from 'ajv/dist/2020.js';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { secretFormsText, secretHints, secretSources } from '../secrets/index.js';
import { allKinds, allSecretFieldNames, descriptorOf, isKind, kindNames, type KindDescriptor } from '../kinds/index.js';
import { API_VERSION, type Kind } from '../model.js';
import type { ParsedDocument, PathSegments, Position } from './parse.js';
import { loadValidators, manifestAjv, sharedSchemaTexts, type SchemaValidator } from './schema-code.js';
import { isRecord } from '../text.js';

/** A secret value as written: inline base64, or a reference to a file or an environment variable. */
export type SecretSpec = string | { fromFile: string } | { fromEnv: string; encoding?: 'base64' | 'utf8' };

/**
 * A document that passed its kind's schema. The kind-specific fields of `spec` and of its
 * environment entries are named by the kind's descriptor (src/kinds/).
 */
export interface Manifest {
  apiVersion: string;
  kind: Kind;
  metadata: { name: string; project?: string };
  spec: {
    description?: string;
    environments: ({ name: string } & Record<string, unknown>)[];
    [field: string]: unknown;
  };
}

export interface ValidationResult {
  manifest: Manifest | null;
  /** The kind when the document is one of ours (even if invalid), else null. */
  kind: Kind | null;
  diagnostics: Diagnostic[];
}

let compiled: { kinds: readonly KindDescriptor[]; validators: Map<Kind, SchemaValidator> } | undefined;

/**
 * The schema of each kind, compiled once per process: for the shipped kinds the standalone code
 * generated at build time when it matches schemas/, else compiled now (compiling costs more than
 * validating thousands of documents, and loading Ajv's compiler is a good part of start-up); a
 * kind registered at run time is compiled when first needed.
 */
function validators(): Map<Kind, SchemaValidator> {
  const kinds = allKinds();
  if (compiled && compiled.kinds.length === kinds.length && compiled.kinds.every((k, i) => k === kinds[i])) {
    return compiled.validators;
  }
  const map = new Map(compiled?.validators ?? loadValidators());
  const missing = kinds.filter((d) => !map.has(d.kind));
  if (missing.length > 0) {
    const ajv = manifestAjv(); // a kind's schema may $ref the shared definitions too
    for (const d of missing) map.set(d.kind, ajv.compile(loadSchema(d.kind)));
  }
  compiled = { kinds: [...kinds], validators: map };
  return map;
}

/** The JSON Schema of a kind, as shipped in schemas/ (works from src/ under vitest and from dist/). */
export function loadSchema(kind: Kind): Record<string, unknown> {
  const schema = descriptorOf(kind).schema;
  if (typeof schema !== 'string') return schema;
  return JSON.parse(readFileSync(new URL(`../../schemas/${schema}`, import.meta.url), 'utf8')) as Record<
    string,
    unknown
  >;
}

let shared: Record<string, Record<string, unknown>> | undefined;

/**
 * A schema node with its `$ref` into a shared schema file (`common.schema.json#/$defs/metadata`)
 * followed, its own keywords (a kind's description) kept; any other node as it is. For readers of
 * a kind's schema that want its rules (export's identity rules), not for validation.
 */
export function followSharedRef(node: unknown): unknown {
  if (!isRecord(node) || typeof node.$ref !== 'string') return node;
  const [file = '', pointer = ''] = node.$ref.split('#', 2);
  shared ??= Object.fromEntries(
    Object.entries(sharedSchemaTexts()).map(([f, text]) => [f, JSON.parse(text) as Record<string, unknown>]),
  );
  let target: unknown = shared[file];
  if (target === undefined) return node; // a local or foreign $ref: not ours to follow
  for (const part of pointer.split('/').slice(1)) {
    target = isRecord(target) ? target[part.replace(/~1/g, '/').replace(/~0/g, '~')] : undefined;
  }
  if (!isRecord(target)) throw new Error(`schema $ref ${node.$ref} names nothing`);
  const { $ref: _ref, ...own } = node;
  return { ...target, ...own };
}

/** What a field must hold, as the end of "must be ...": keyed by the path with list indices as []. */
const FIELD_HINTS: Record<string, string> = {
  '': 'a mapping with apiVersion, kind, metadata and spec',
  metadata: 'a mapping with name and, optionally, project',
  'metadata.name': 'a name of 1-128 characters from A-Z a-z 0-9 . _ - that starts with a letter or digit',
  'metadata.project':
    'a non-empty project name without leading or trailing spaces, and not "." or ".." (a path segment)',
  spec: 'a mapping with the fields of the resource',
  'spec.description': 'a string',
  'spec.environments': 'a list of at least one environment',
  'spec.environments[]': 'a mapping with the name of an environment and its values',
  'spec.environments[].name': 'a non-empty string',
};

/**
 * True when a field's values are secrets, never echoed in a message. Asked of the registry at each
 * use, not once at load: a kind registered later (an extension's) has secret fields too.
 */
function isSecretField(name: unknown): boolean {
  return allSecretFieldNames().has(String(name));
}
// The secret forms and what each key of them must hold come from the secret sources' registry.
const SECRET_FORMS = secretFormsText();
const SECRET_HINTS: Record<string, string> = secretHints();

/** Checks one document against the schema its `kind` selects. */
export function validateDocument(doc: ParsedDocument, options: { defaultProject?: string } = {}): ValidationResult {
  const diagnostics: Diagnostic[] = [];
  const value = doc.value;
  const diag = (
    code: DiagnosticCode,
    path: PathSegments,
    pos: Position,
    message: string,
    resource?: string,
  ): Diagnostic => ({
    code,
    severity: 'error',
    message,
    file: doc.file,
    line: pos.line,
    column: pos.column,
    path: formatPath(path),
    ...(resource ? { resource } : {}),
  });

  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    const what = Array.isArray(value)
      ? 'a list'
      : `a ${typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : typeof value}`;
    diagnostics.push(
      diag(
        'not-a-mapping',
        [],
        doc.start,
        `this document is ${what}; a manifest is a mapping with apiVersion, kind, metadata and spec`,
      ),
    );
    return { manifest: null, kind: null, diagnostics };
  }
  const obj = value as Record<string, unknown>;
  const kindValue = obj.kind;
  if (kindValue === undefined) {
    const known = kindNames();
    diagnostics.push(
      diag(
        'unknown-kind',
        ['kind'],
        doc.start,
        `is missing, so this is not an apinizer-gitops manifest; add kind: ${known.join(' or ')} and apiVersion: ${API_VERSION}`,
      ),
    );
    return { manifest: null, kind: null, diagnostics };
  }
  if (!isKind(kindValue)) {
    const known = kindNames();
    const kinds = known.join(', ');
    const guess = typeof kindValue === 'string' ? suggest(kindValue, known) : undefined;
    diagnostics.push(
      diag(
        'unknown-kind',
        ['kind'],
        doc.locate(['kind']),
        `${show(kindValue)} is not a kind this tool manages${guess ? ` (did you mean ${guess}?)` : ''}; allowed: ${kinds}`,
      ),
    );
    return { manifest: null, kind: null, diagnostics };
  }
  const kind = kindValue;
  const label = resourceLabelOf(kind, obj, options.defaultProject);
  if (obj.apiVersion === undefined) {
    diagnostics.push(
      diag('unknown-kind', ['apiVersion'], doc.start, `is missing; add apiVersion: ${API_VERSION}`, label),
    );
  } else if (obj.apiVersion !== API_VERSION) {
    diagnostics.push(
      diag(
        'unknown-kind',
        ['apiVersion'],
        doc.locate(['apiVersion']),
        `${show(obj.apiVersion)} is not a known apiVersion; allowed: ${API_VERSION}`,
        label,
      ),
    );
  }

  const duplicates = duplicateEnvironments(doc, obj, label);
  if (duplicates.length > 0) diagnostics.push(...duplicates);

  const validate = validators().get(kind);
  if (!validate) throw new Error(`no schema for kind ${kind}`); // unreachable: every registered kind has one
  const schemaValid = validate(value);
  if (schemaValid) {
    // The rules between fields that a schema cannot say well (SPEC §2b: the two forms).
    const spec = (value as { spec: Record<string, unknown> }).spec;
    for (const p of descriptorOf(kind).checkSpec(spec)) {
      diagnostics.push(diag(p.code ?? 'schema', p.path, doc.locate(p.path, p.target ?? 'key'), p.message, label));
    }
  }
  if (schemaValid && !diagnostics.some((d) => d.severity === 'error')) {
    return { manifest: value as unknown as Manifest, kind, diagnostics };
  }
  for (const e of explainErrors(validate.errors ?? [], value)) {
    if (e.path[0] === 'apiVersion' && e.path.length === 1) continue; // already said above, with a better message
    const shownPath = e.hidden ? e.path.slice(0, -1) : e.path;
    diagnostics.push(diag('schema', shownPath, doc.locate(e.path, e.target), e.message, label));
  }
  return { manifest: null, kind, diagnostics: dedupe(diagnostics) };
}

/**
 * Environment names are the keys the API deploys by, so a repeat would silently overwrite. Checked
 * on the raw value, so that it is reported even when the schema finds other problems.
 */
function duplicateEnvironments(
  doc: ParsedDocument,
  obj: Record<string, unknown>,
  label: string | undefined,
): Diagnostic[] {
  const spec = obj.spec;
  const envs = typeof spec === 'object' && spec !== null ? (spec as Record<string, unknown>).environments : undefined;
  if (!Array.isArray(envs)) return [];
  const out: Diagnostic[] = [];
  // Most resources have one or two environments: a Map per document would cost more than the scan.
  const nameAt = (i: number): unknown => {
    const env: unknown = envs[i];
    return typeof env === 'object' && env !== null ? (env as Record<string, unknown>).name : undefined;
  };
  const firstIndex = envs.length > 8 ? new Map<string, number>() : undefined;
  envs.forEach((_env: unknown, i) => {
    const name = nameAt(i);
    if (typeof name !== 'string' || name === '') return;
    let earlier = firstIndex?.get(name);
    if (firstIndex === undefined)
      for (let j = 0; j < i && earlier === undefined; j += 1) if (nameAt(j) === name) earlier = j;
    if (earlier === undefined) {
      firstIndex?.set(name, i);
      return;
    }
    const path = ['spec', 'environments', i, 'name'];
    const pos = doc.locate(path); // only now: locating costs a re-parse of the file
    const earlierLine = doc.locate(['spec', 'environments', earlier, 'name']).line;
    out.push({
      code: 'duplicate-environment',
      severity: 'error',
      message: `environment ${show(name)} is listed twice in this resource (first at line ${earlierLine}); keep one entry per environment`,
      file: doc.file,
      line: pos.line,
      column: pos.column,
      path: formatPath(path),
      ...(label ? { resource: label } : {}),
    });
  });
  return out;
}

/** `Key Payments/payments-signing` when name and project are known; `Key payments-signing` without a project. */
function resourceLabelOf(kind: Kind, obj: Record<string, unknown>, defaultProject?: string): string | undefined {
  const meta = obj.metadata;
  if (typeof meta !== 'object' || meta === null) return undefined;
  const { name, project } = meta as Record<string, unknown>;
  if (typeof name !== 'string' || name === '') return undefined;
  const p = typeof project === 'string' && project !== '' ? project : defaultProject;
  return p ? `${kind} ${p}/${name}` : `${kind} ${name}`;
}

interface Explained {
  path: PathSegments;
  target: 'key' | 'node';
  message: string;
  /** The last path segment must not be printed (the diagnostic names the parent path). */
  hidden?: boolean;
}

/** What a field name looks like; anything else in key position is never echoed back. */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,31}$/;

/** Fields where a number or boolean was probably meant as text, so quoting it fixes the value. */
const QUOTABLE = new Set(['name', 'project', 'description', 'fromFile']);

/** Turns Ajv's errors into one plain sentence per problem, choosing the intended branch of an anyOf. */
export function explainErrors(errors: readonly ErrorObject[], root: unknown): Explained[] {
  let remaining = [...errors];
  const explained: Explained[] = [];
  // Deepest anyOf first, so a nested choice is settled before the one around it.
  const anyOfs = remaining
    .filter((e) => e.keyword === 'anyOf')
    .sort((a, b) => b.instancePath.length - a.instancePath.length);
  for (const a of anyOfs) {
    if (!remaining.includes(a)) continue;
    const inBranch = (e: ErrorObject) =>
      e !== a &&
      e.schemaPath.startsWith(`${a.schemaPath}/`) &&
      (e.instancePath === a.instancePath || e.instancePath.startsWith(`${a.instancePath}/`));
    const branchErrors = remaining.filter(inBranch);
    remaining = remaining.filter((e) => e !== a && !inBranch(e));
    const path = pointerToPath(a.instancePath);
    const isSecret = isSecretField(path[path.length - 1]);
    const byBranch = new Map<string, ErrorObject[]>();
    for (const e of branchErrors) {
      const b = e.schemaPath.slice(a.schemaPath.length + 1).split('/')[0] ?? '';
      byBranch.set(b, [...(byBranch.get(b) ?? []), e]);
    }
    if (
      !isSecret &&
      branchErrors.length > 0 &&
      branchErrors.every((e) => e.keyword === 'required' && e.instancePath === a.instancePath)
    ) {
      const fields = branchErrors.map((e) => (e.params as { missingProperty: string }).missingProperty);
      explained.push({
        path,
        target: 'node',
        message: `needs at least one of ${fields.join(', ')}; add ${fields.join(' or ')}`,
      });
      continue;
    }
    // A branch whose own type matched is the one the author meant; among several, the closest.
    const candidates = [...byBranch.values()].filter(
      (errs) => !errs.some((e) => e.keyword === 'type' && e.instancePath === a.instancePath),
    );
    candidates.sort((x, y) => x.length - y.length);
    const best = candidates[0];
    const unique = best && (candidates.length === 1 || (candidates[1] && candidates[1].length > best.length));
    if (best && unique) {
      remaining.push(...best);
    } else {
      const v = valueAt(root, path);
      const given =
        isSecret && typeof v === 'object' && v !== null ? secretSources().filter((src) => src.key in v) : [];
      const hint = isSecret ? SECRET_FORMS : 'one of the allowed forms';
      explained.push({
        path,
        target: 'key',
        message:
          given.length > 1
            ? `gives both ${given.map((src) => src.key).join(' and ')}; keep one of them`
            : `must be ${hint}`,
      });
    }
  }
  for (const e of remaining) explained.push(explainOne(e, root));
  return explained;
}

function explainOne(e: ErrorObject, root: unknown): Explained {
  const path = pointerToPath(e.instancePath);
  const value = valueAt(root, path);
  const hint = hintFor(path, root);
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = String(p.missingProperty);
      const full = [...path, field];
      const h = hintFor(full, root);
      return { path: full, target: 'node', message: `is required${h ? `; set it to ${h}` : ''}` };
    }
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      const allowed = Object.keys((e.parentSchema?.properties ?? {}) as Record<string, unknown>);
      if (!FIELD_NAME.test(field)) {
        // Not a name anyone meant as a field: likely pasted key material, so it is not echoed.
        return {
          path: [...path, field],
          target: 'key',
          message: `holds an unknown field whose name is not a field name (not shown); allowed: ${allowed.join(', ')}`,
          hidden: true,
        };
      }
      const guess = suggest(field, allowed);
      return {
        path: [...path, field],
        target: 'key',
        message: `unknown field "${field}"${guess ? ` (did you mean "${guess}"?)` : ''}; allowed: ${allowed.join(', ')}`,
      };
    }
    case 'type': {
      const expected = String(p.type);
      if (value === null) return { path, target: 'key', message: `is empty; it must be ${hint ?? article(expected)}` };
      const quotable =
        QUOTABLE.has(String(path[path.length - 1])) && (typeof value === 'number' || typeof value === 'boolean');
      const quote = expected === 'string' && quotable ? ' (put the value in quotes)' : '';
      return { path, target: 'key', message: `must be ${hint ?? article(expected)}, not ${describe(value)}${quote}` };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      const guess = typeof value === 'string' ? suggest(value, allowed) : undefined;
      return {
        path,
        target: 'key',
        message: `must be one of ${allowed.join(', ')}, not ${show(value)}${guess ? ` (did you mean ${guess}?)` : ''}`,
      };
    }
    case 'const':
      return { path, target: 'key', message: `must be ${String(p.allowedValue)}, not ${show(value)}` };
    case 'minItems':
      return {
        path,
        target: 'key',
        message:
          p.limit === 1 ? `must list at least one entry; it is empty` : `must list at least ${String(p.limit)} entries`,
      };
    case 'pattern':
    case 'minLength':
    case 'maxLength': {
      // Too long is said as too long: "must be a name of 1-128 characters ... not <a cut value>"
      // would leave the reader counting. The pattern's error on the same value says the same, so
      // the two are one diagnostic after dedupe.
      const limit = (e.parentSchema as { maxLength?: unknown } | undefined)?.maxLength;
      const length = typeof value === 'string' ? [...value].length : 0;
      if (typeof limit === 'number' && length > limit) {
        return {
          path,
          target: 'key',
          message: `is ${length} characters long, over the limit of ${limit}; shorten it${hint ? ` (it must be ${hint})` : ''}`,
        };
      }
      const secret = isSecretField(path[path.length - 1]); // an inline value is never echoed
      const got = !secret && typeof value === 'string' && value !== '' ? `, not ${show(value)}` : '';
      return { path, target: 'key', message: `must be ${hint ?? `a string that ${e.message ?? 'is valid'}`}${got}` };
    }
    default:
      return { path, target: 'key', message: e.message ?? 'is not valid' };
  }
}

/** What a field must hold: the kind's own word for its fields, else the shared ones. */
function hintFor(path: PathSegments, root: unknown): string | undefined {
  const secretAt = path.findIndex((s, i) => i > 0 && isSecretField(s) && path[i - 2] === 'environments');
  if (secretAt >= 0) return SECRET_HINTS[path.slice(secretAt + 1).join('.')];
  const kind = isRecord(root) ? root.kind : undefined;
  if (isKind(kind)) {
    const d = descriptorOf(kind);
    const at = schematic(path);
    const field = at.startsWith('spec.environments[].')
      ? d.environmentFields.find((f) => `spec.environments[].${f.name}` === at)
      : [...d.resourceFields, ...(d.writeOptions?.specFields ?? [])].find((f) => `spec.${f.name}` === at);
    if (field?.hint !== undefined) return field.hint;
  }
  return FIELD_HINTS[schematic(path)];
}

/** `spec.environments[].name` for `['spec', 'environments', 3, 'name']`. */
function schematic(path: PathSegments): string {
  return path
    .map((s) => (typeof s === 'number' ? '[]' : `.${s}`))
    .join('')
    .replace(/^\./, '');
}

/** `spec.environments[1].name` for `['spec', 'environments', 1, 'name']`: the path diagnostics show. */
export function formatPath(path: PathSegments): string {
  return path
    .map((s) => (typeof s === 'number' ? `[${s}]` : `.${s}`))
    .join('')
    .replace(/^\./, '');
}

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9][0-9]*)$/.test(s) ? Number(s) : s));
}

function valueAt(root: unknown, path: PathSegments): unknown {
  let v: unknown = root;
  for (const s of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

function article(type: string): string {
  return type === 'object'
    ? 'a mapping'
    : type === 'array'
      ? 'a list'
      : /^[aeiou]/.test(type)
        ? `an ${type}`
        : `a ${type}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return article(typeof value);
}

/** A short, quoted echo of a user's value for messages (never used for secret fields). */
function show(value: unknown): string {
  if (typeof value !== 'string') return describe(value);
  const v = value.length > 60 ? `${value.slice(0, 60)}…` : value;
  return JSON.stringify(v);
}

/** The allowed word closest to `word` when it is plausibly a typo of it (case or up to two edits). */
export function suggest(word: string, allowed: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    if (candidate.toLowerCase() === word.toLowerCase()) return candidate;
    const d = editDistance(word, candidate);
    if (d < bestDistance) {
      bestDistance = d;
      best = candidate;
    }
  }
  return bestDistance <= Math.min(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i += 1) {
    const cur = [i];
    for (let j = 1; j <= b.length; j += 1) {
      cur[j] = Math.min(
        (prev[j] ?? 0) + 1,
        (cur[j - 1] ?? 0) + 1,
        (prev[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] ?? 0;
}

function dedupe(diagnostics: Diagnostic[]): Diagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((d) => {
    const k = `${d.path}\u0000${d.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}
