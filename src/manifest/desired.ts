// Pure: schema-valid manifests -> DesiredState. Here live the rules a schema cannot say: the
// project default, unique environment names, unique identities across files, and the meaning of
// the three secret forms. File contents come in already read (load.ts does that I/O), so every
// rule here is tested without touching the disk.
import { resolve } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { descriptorOf, kindRank, type FieldSpec } from '../kinds/index.js';
import { resourceKey, resourceLabel, type DesiredResource, type DesiredState } from '../model.js';
import { Secret, isBase64, normaliseBase64 } from '../secret.js';
import type { ParsedDocument, PathSegments } from './parse.js';
import { formatPath, type Manifest, type SecretSpec } from './validate.js';

/** A schema-valid manifest and where it came from. */
export interface ManifestSource {
  document: ParsedDocument;
  manifest: Manifest;
  /** Absolute folder of the manifest file: `fromFile` paths are relative to it. */
  dir: string;
  /** Real path of the manifest root (the PATH that found the file): `fromFile` must stay inside it. */
  root: string;
}

/** The outcome of reading one `fromFile` target: its bytes as base64, or why it cannot be used. */
export type FileSecret =
  { ok: true; base64: string } | { ok: false; code: Extract<DiagnosticCode, `file-${string}`>; message: string };

/** One `fromFile` target to read: the real root it must stay in and the lexical absolute target. */
export interface FileReference {
  key: string;
  root: string;
  target: string;
}

export interface DesiredInput {
  manifests: readonly ManifestSource[];
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  /** `fromFile` outcomes by FileReference.key. A reference missing here counts as unreadable. */
  files: ReadonlyMap<string, FileSecret>;
  /**
   * How an unset `fromEnv` variable counts: an error (plan, apply, watch), or a warning in
   * `validate`, which runs where secrets are absent on purpose (SPEC §2).
   */
  unsetEnv?: 'error' | 'warning';
}

export interface DesiredOutput {
  /** The resources that could be built; only meaningful when `diagnostics` holds no error. */
  state: DesiredState;
  diagnostics: Diagnostic[];
}

/**
 * `resolve(dir, fromFile)`, remembered: the manifests of a folder name the same few files over and
 * over, and resolving a path (normalising it segment by segment) for each of 30,000 values twice
 * was a tenth of loading them. Bounded, for a watcher that runs for weeks.
 */
const resolvedPaths = new Map<string, string>();

function resolveTarget(dir: string, fromFile: string): string {
  const key = `${dir}\u0000${fromFile}`;
  let target = resolvedPaths.get(key);
  if (target === undefined) {
    if (resolvedPaths.size >= 10_000) resolvedPaths.clear();
    target = resolve(dir, fromFile);
    resolvedPaths.set(key, target);
  }
  return target;
}

/** The file a `fromFile` value names, resolved against its manifest's folder. */
export function fileReference(source: Pick<ManifestSource, 'dir' | 'root'>, fromFile: string): FileReference {
  const target = resolveTarget(source.dir, fromFile);
  return { key: `${source.root}\u0000${target}`, root: source.root, target };
}

/** Every distinct file that the manifests' `fromFile` values name. */
export function fileReferences(manifests: readonly ManifestSource[]): FileReference[] {
  const refs = new Map<string, FileReference>();
  for (const source of manifests) {
    for (const { spec } of secretFields(source.manifest)) {
      if (typeof spec === 'object' && 'fromFile' in spec) {
        const ref = fileReference(source, spec.fromFile);
        refs.set(ref.key, ref);
      }
    }
  }
  return [...refs.values()];
}

/** One secret value of a manifest: where it is, how it is written, and its field. */
interface SecretAt {
  path: (string | number)[];
  /** Index of the environment the value is in. */
  env: number;
  spec: SecretSpec;
  field: FieldSpec;
}

/** The secret values a manifest holds, by its kind's field roles. */
function secretFields(m: Manifest): SecretAt[] {
  const out: SecretAt[] = [];
  const fields = descriptorOf(m.kind).environmentFields.filter((f) => f.role !== 'plain');
  m.spec.environments.forEach((env, i) => {
    for (const field of fields) {
      const spec = env[field.name] as SecretSpec | undefined;
      if (spec !== undefined) out.push({ path: ['spec', 'environments', i, field.name], env: i, spec, field });
    }
  });
  return out;
}

/**
 * A resource's locate(), made outside buildDesiredState's loop on purpose: a closure made there
 * would share the loop's scope with `problem`, which holds the whole parsed document, and so keep
 * every document's value alive as long as its resource (the plan's lifetime).
 */
function fieldLocator(
  file: string,
  locate: ParsedDocument['locate'],
): (path: readonly (string | number)[]) => { file: string; line: number; column: number } {
  return (path) => {
    const pos = locate(path);
    return { file, line: pos.line, column: pos.column };
  };
}

/** Builds the desired state from validated manifests: projects defaulted, secrets resolved, identities checked. */
export function buildDesiredState(input: DesiredInput): DesiredOutput {
  const diagnostics: Diagnostic[] = [];
  const resources: DesiredResource[] = [];
  const firstSeen = new Map<string, DesiredResource>();
  const envCache = new Map<string, EnvOutcome>();

  for (const source of input.manifests) {
    const { document: doc, manifest: m } = source;
    const project = m.metadata.project ?? input.defaultProject;
    const label = project ? `${m.kind} ${project}/${m.metadata.name}` : `${m.kind} ${m.metadata.name}`;
    const problem = (
      code: DiagnosticCode,
      path: PathSegments,
      message: string,
      target: 'key' | 'node' = 'key',
      severity: 'error' | 'warning' = 'error',
    ) => {
      const pos = doc.locate(path, target);
      diagnostics.push({
        code,
        severity,
        message,
        file: doc.file,
        line: pos.line,
        column: pos.column,
        path: formatPath(path),
        resource: label,
      });
    };

    if (!project) {
      // A missing field points at the first line of the mapping that lacks it.
      const pos = doc.locate(['metadata'], 'node');
      diagnostics.push({
        code: 'missing-project',
        severity: 'error',
        message: 'no project given: set metadata.project, or pass --project, or set APINIZER_PROJECT',
        file: doc.file,
        line: pos.line,
        column: pos.column,
        path: 'metadata.project',
        resource: label,
      });
    }

    if (m.spec.referencedJwks === 'NULLIFY' && m.spec.updateReferencedJwks !== undefined) {
      // Two opposite wishes for the JWKs made from this object: detach them, or make them follow
      // it. Sending either silently would do what one of them did not ask for.
      problem(
        'schema',
        ['spec', 'updateReferencedJwks'],
        'contradicts referencedJwks: NULLIFY: NULLIFY detaches the JWKs made from this object on update, ' +
          'updateReferencedJwks makes them follow it. Remove updateReferencedJwks to detach them, or ' +
          'referencedJwks to keep them following',
      );
    }

    const secrets = new Map<string, Secret>();
    for (const { path, env, spec, field } of secretFields(m)) {
      const secret = resolveSecret(spec, field, path, source, input, problem, envCache);
      // Keyed by environment index and field, not by the formatted path: this runs for every secret.
      if (secret) secrets.set(`${env}\u0000${field.name}`, secret);
      // An empty inline value reveals nothing (`password: ""` is how a store without one is written).
      if (
        typeof spec === 'string' &&
        spec !== '' &&
        field.inlineWarning &&
        (field.inlineWarning.when?.(m.spec) ?? true)
      ) {
        problem(field.inlineWarning.code, path, field.inlineWarning.message, 'key', 'warning');
      }
    }

    const kind = descriptorOf(m.kind);
    const resource: Record<string, unknown> = {
      kind: m.kind,
      project: project ?? '',
      name: m.metadata.name,
      description: m.spec.description ?? '',
      source: { file: doc.file, line: doc.start.line, column: doc.start.column },
      locate: fieldLocator(doc.file, doc.locate),
      ...(m.spec.updateReferencedJwks ? { updateReferencedJwks: m.spec.updateReferencedJwks } : {}),
      ...(m.spec.referencedJwks ? { referencedJwks: m.spec.referencedJwks } : {}),
    };
    for (const field of kind.resourceFields) {
      if (m.spec[field.name] !== undefined) resource[field.name] = m.spec[field.name];
    }
    resource.environments = m.spec.environments.map((env, i) => {
      const out: Record<string, unknown> = { name: env.name };
      for (const field of kind.environmentFields) {
        if (field.role === 'plain') {
          if (env[field.name] !== undefined) out[field.name] = env[field.name];
        } else {
          const secret = secrets.get(`${i}\u0000${field.name}`);
          if (secret) out[field.name] = secret;
        }
      }
      return out;
    });
    const desired = resource as unknown as DesiredResource;

    if (project) {
      const id = resourceKey(desired);
      const first = firstSeen.get(id);
      if (first) {
        problem(
          'duplicate-identity',
          [],
          `${resourceLabel(desired)} is declared twice: here and at ${first.source.file}:${first.source.line}:${first.source.column}; each (kind, project, name) must be declared once: remove or rename one`,
          'node',
        );
        continue;
      }
      firstSeen.set(id, desired);
    }
    resources.push(desired);
  }

  resources.sort(compareResources);
  const projects = [...new Set(resources.map((r) => r.project).filter((p) => p !== ''))].sort();
  return { state: { resources, projects }, diagnostics };
}

function compareResources(a: DesiredResource, b: DesiredResource): number {
  return (
    kindRank(a.kind) - kindRank(b.kind) ||
    (a.project < b.project ? -1 : a.project > b.project ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

type Problem = (
  code: DiagnosticCode,
  path: PathSegments,
  message: string,
  target?: 'key' | 'node',
  severity?: 'error' | 'warning',
) => void;

/**
 * The value a secret form stands for, or undefined after reporting why there is none. A binary
 * secret is base64 (inline base64, a file's bytes, a variable's base64 or its text with
 * `encoding: utf8`); a text secret is text (inline text, a file's text without one trailing newline,
 * a variable's text, or its base64 decoded with `encoding: base64`). Messages never include the value.
 */
function resolveSecret(
  spec: SecretSpec,
  field: FieldSpec,
  path: (string | number)[],
  source: ManifestSource,
  input: DesiredInput,
  problem: Problem,
  envCache: Map<string, EnvOutcome>,
): Secret | undefined {
  const isText = field.role === 'text-secret';
  if (typeof spec === 'string') {
    // Inline text is the text itself; `""` is how an empty keystore password is written.
    if (isText) return new Secret(spec);
    const text = /\s/.test(spec) ? normaliseBase64(spec) : spec;
    if (text === '') {
      problem('invalid-base64', path, 'is empty; give base64 text, { fromFile: PATH } or { fromEnv: NAME }');
      return undefined;
    }
    if (!isBase64(text)) {
      problem(
        'invalid-base64',
        path,
        /-----BEGIN/.test(spec)
          ? 'is PEM text, not base64; an inline value must be base64-encoded: use { fromFile: PATH } for the PEM file, or base64-encode it'
          : 'is not valid base64 (letters, digits, + and /, padded with = to a multiple of 4); fix the value, or use { fromFile: PATH }',
      );
      return undefined;
    }
    return new Secret(text);
  }
  if ('fromFile' in spec) {
    const ref = fileReference(source, spec.fromFile);
    const read = input.files.get(ref.key) ?? { ok: false, code: 'file-unreadable', message: 'was not read' };
    if (!read.ok) {
      problem(read.code, [...path, 'fromFile'], `file "${spec.fromFile}" ${read.message}`);
      return undefined;
    }
    if (!isText) return new Secret(read.base64);
    // A password file written by an editor or `echo` ends with a newline that is not part of it.
    const text = Buffer.from(read.base64, 'base64')
      .toString('utf8')
      .replace(/\r?\n$/, '');
    if (text === '') {
      // An empty file is far more often a mistake than a way to say "no password": that has its own spelling.
      problem(
        'file-unreadable',
        [...path, 'fromFile'],
        `file "${spec.fromFile}" is empty; put the text in it (for an empty password write ${field.name}: "")`,
      );
      return undefined;
    }
    return new Secret(text);
  }
  // Many manifests share one variable (a CI secret): decode and check it once per run.
  const encoding = spec.encoding ?? (isText ? 'utf8' : 'base64');
  const cacheKey = `${spec.fromEnv}\u0000${encoding}\u0000${field.role}`;
  let outcome = envCache.get(cacheKey);
  if (!outcome) {
    outcome = readEnvSecret(spec.fromEnv, encoding, isText, input.env);
    envCache.set(cacheKey, outcome);
  }
  if (outcome instanceof Secret) return outcome;
  const severity = outcome.code === 'env-unset' && input.unsetEnv === 'warning' ? 'warning' : 'error';
  const message =
    severity === 'warning'
      ? `${outcome.message.replace(/; set it before running.*$/, '')}; validate goes on without it, but plan, apply and watch need it`
      : outcome.message;
  problem(outcome.code, [...path, 'fromEnv'], message, 'key', severity);
  return undefined;
}

type EnvOutcome = Secret | { code: 'env-unset' | 'invalid-base64'; message: string };

function readEnvSecret(name: string, encoding: 'base64' | 'utf8', isText: boolean, env: NodeJS.ProcessEnv): EnvOutcome {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return {
      code: 'env-unset',
      message: `environment variable ${name} is ${raw === undefined ? 'not set' : 'empty'}; set it before running, or use another form`,
    };
  }
  if (encoding === 'utf8') return new Secret(isText ? raw : Buffer.from(raw, 'utf8').toString('base64'));
  if (!isBase64(raw)) {
    return {
      code: 'invalid-base64',
      message: `environment variable ${name} does not hold valid base64; base64-encode its value, or set encoding: utf8 if it holds text${isText ? '' : ' such as a PEM'}`,
    };
  }
  return new Secret(isText ? Buffer.from(normaliseBase64(raw), 'base64').toString('utf8') : normaliseBase64(raw));
}
