// Pure: schema-valid manifests -> DesiredState. Here live the rules a schema cannot say: the
// project default, unique environment names, unique identities across files, and the meaning of
// the three secret forms. File contents come in already read (load.ts does that I/O), so every
// rule here is tested without touching the disk.
import { resolve } from 'node:path';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import {
  KIND_ORDER,
  resourceKey,
  resourceLabel,
  type DesiredKey,
  type DesiredKeystore,
  type DesiredResource,
  type DesiredState,
  type KeyEnvironment,
  type KeystoreEnvironment,
} from '../model.js';
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
  | { ok: true; base64: string }
  | { ok: false; code: Extract<DiagnosticCode, `file-${string}`>; message: string };

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
}

export interface DesiredOutput {
  /** The resources that could be built; only meaningful when `diagnostics` holds no error. */
  state: DesiredState;
  diagnostics: Diagnostic[];
}

/** The file a `fromFile` value names, resolved against its manifest's folder. */
export function fileReference(source: Pick<ManifestSource, 'dir' | 'root'>, fromFile: string): FileReference {
  const target = resolve(source.dir, fromFile);
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

function secretFields(m: Manifest): { path: (string | number)[]; spec: SecretSpec }[] {
  const out: { path: (string | number)[]; spec: SecretSpec }[] = [];
  if (m.kind === 'Key') {
    m.spec.environments.forEach((env, i) => {
      if (env.publicKey !== undefined) out.push({ path: ['spec', 'environments', i, 'publicKey'], spec: env.publicKey });
      if (env.privateKey !== undefined) out.push({ path: ['spec', 'environments', i, 'privateKey'], spec: env.privateKey });
    });
  } else {
    m.spec.environments.forEach((env, i) => out.push({ path: ['spec', 'environments', i, 'file'], spec: env.file }));
  }
  return out;
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
    const problem = (code: DiagnosticCode, path: PathSegments, message: string, target: 'key' | 'node' = 'key', severity: 'error' | 'warning' = 'error') => {
      const pos = doc.locate(path, target);
      diagnostics.push({ code, severity, message, file: doc.file, line: pos.line, column: pos.column, path: formatPath(path), resource: label });
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

    const secrets = new Map<string, Secret>();
    for (const { path, spec } of secretFields(m)) {
      const secret = resolveSecret(spec, path, source, input, problem, envCache);
      if (secret) secrets.set(formatPath(path), secret);
      if (typeof spec === 'string' && path[path.length - 1] === 'privateKey') {
        problem(
          'inline-private-key',
          path,
          'private key material is written in the manifest; keep it out of Git with { fromFile: PATH } (a file not committed) or { fromEnv: NAME }',
          'key',
          'warning',
        );
      }
    }

    const base = {
      project: project ?? '',
      name: m.metadata.name,
      description: m.spec.description ?? '',
      source: { file: doc.file, line: doc.start.line, column: doc.start.column },
      locate: (path: readonly (string | number)[]) => {
        const pos = doc.locate(path);
        return { file: doc.file, line: pos.line, column: pos.column };
      },
      ...(m.spec.updateReferencedJwks ? { updateReferencedJwks: m.spec.updateReferencedJwks } : {}),
    };
    let resource: DesiredResource;
    if (m.kind === 'Key') {
      const environments: KeyEnvironment[] = m.spec.environments.map((env, i) => {
        const publicKey = secrets.get(`spec.environments[${i}].publicKey`);
        const privateKey = secrets.get(`spec.environments[${i}].privateKey`);
        return { name: env.name, ...(publicKey ? { publicKey } : {}), ...(privateKey ? { privateKey } : {}) };
      });
      const key: DesiredKey = { kind: 'Key', ...base, keyType: m.spec.keyType, environments };
      resource = key;
    } else {
      const environments: KeystoreEnvironment[] = m.spec.environments.map((env, i) => ({
        name: env.name,
        type: env.type,
        file: secrets.get(`spec.environments[${i}].file`) ?? new Secret(''),
      }));
      const keystore: DesiredKeystore = { kind: 'Keystore', ...base, environments };
      resource = keystore;
    }

    if (project) {
      const id = resourceKey(resource);
      const first = firstSeen.get(id);
      if (first) {
        problem(
          'duplicate-identity',
          [],
          `${resourceLabel(resource)} is declared twice: here and at ${first.source.file}:${first.source.line}:${first.source.column}; each (kind, project, name) must be declared once: remove or rename one`,
          'node',
        );
        continue;
      }
      firstSeen.set(id, resource);
    }
    resources.push(resource);
  }

  resources.sort(compareResources);
  const projects = [...new Set(resources.map((r) => r.project).filter((p) => p !== ''))].sort();
  return { state: { resources, projects }, diagnostics };
}

function compareResources(a: DesiredResource, b: DesiredResource): number {
  return (
    KIND_ORDER.indexOf(a.kind) - KIND_ORDER.indexOf(b.kind) ||
    (a.project < b.project ? -1 : a.project > b.project ? 1 : 0) ||
    (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

type Problem = (code: DiagnosticCode, path: PathSegments, message: string) => void;

/** The base64 a secret form stands for, or undefined after reporting why there is none. Messages never include the value. */
function resolveSecret(
  spec: SecretSpec,
  path: (string | number)[],
  source: ManifestSource,
  input: DesiredInput,
  problem: Problem,
  envCache: Map<string, EnvOutcome>,
): Secret | undefined {
  if (typeof spec === 'string') {
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
    return new Secret(read.base64);
  }
  // Many manifests share one variable (a CI secret): decode and check it once per run.
  const encoding = spec.encoding ?? 'base64';
  const cacheKey = `${spec.fromEnv}\u0000${encoding}`;
  let outcome = envCache.get(cacheKey);
  if (!outcome) {
    outcome = readEnvSecret(spec.fromEnv, encoding, input.env);
    envCache.set(cacheKey, outcome);
  }
  if (outcome instanceof Secret) return outcome;
  problem(outcome.code, [...path, 'fromEnv'], outcome.message);
  return undefined;
}

type EnvOutcome = Secret | { code: 'env-unset' | 'invalid-base64'; message: string };

function readEnvSecret(name: string, encoding: 'base64' | 'utf8', env: NodeJS.ProcessEnv): EnvOutcome {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return { code: 'env-unset', message: `environment variable ${name} is ${raw === undefined ? 'not set' : 'empty'}; set it before running, or use another form` };
  }
  if (encoding === 'utf8') return new Secret(Buffer.from(raw, 'utf8').toString('base64'));
  if (!isBase64(raw)) {
    return {
      code: 'invalid-base64',
      message: `environment variable ${name} does not hold valid base64; base64-encode its value, or set encoding: utf8 if it holds text such as a PEM`,
    };
  }
  return new Secret(normaliseBase64(raw));
}
