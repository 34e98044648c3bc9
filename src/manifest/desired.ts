// Pure: schema-valid manifests -> DesiredState. Here live the rules a schema cannot say: the
// project default, unique environment names, unique identities across files, and the meaning of
// the three secret forms. File contents come in already read (load.ts does that I/O), so every
// rule here is tested without touching the disk.
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { allKinds, descriptorOf, type FieldSpec, type KindDescriptor } from '../kinds/index.js';
import { resourceLabel, type DesiredResource, type DesiredState } from '../model.js';
import { Secret, isBase64, normaliseBase64 } from '../secret.js';
import { sourceOf } from '../secrets/index.js';
import { fileReference as placeReference } from '../secrets/from-file.js';
import type { Fetched, SecretReference } from '../secrets/types.js';
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
  /**
   * Formatted paths whose value was SOPS-encrypted in the file (SPEC §2d): written inline, yet not
   * in clear in Git, so the inline-secret warnings do not apply to them.
   */
  encrypted?: ReadonlySet<string>;
}

/** The outcome of reading one reference (a `fromFile` target): its bytes as base64, or why it cannot be used. */
export type FileSecret = Fetched;

/** One thing a secret source must read (a `fromFile` target): the real root it must stay in and the target. */
export type FileReference = SecretReference;

export interface DesiredInput {
  manifests: readonly ManifestSource[];
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  /** Fetched references (`fromFile` reads) by SecretReference.key. A reference missing here counts as unreadable. */
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

/** The file a `fromFile` value names, resolved against its manifest's folder. */
export function fileReference(source: Pick<ManifestSource, 'dir' | 'root'>, fromFile: string): FileReference {
  return placeReference(source, fromFile);
}

/** Every distinct thing the manifests' secret sources must read (the files `fromFile` values name). */
export function fileReferences(manifests: readonly ManifestSource[]): FileReference[] {
  const refs = new Map<string, FileReference>();
  for (const source of manifests) {
    const fields = secretFieldsOf(descriptorOf(source.manifest.kind));
    for (const env of source.manifest.spec.environments as Record<string, unknown>[]) {
      for (const field of fields) {
        const spec = env[field.name] as SecretSpec | undefined;
        if (spec === undefined || typeof spec !== 'object') continue;
        for (const ref of sourceOf(spec)?.references(spec, source) ?? []) refs.set(ref.key, ref);
      }
    }
  }
  return [...refs.values()];
}

/** One secret value of a manifest: where it is, how it is written, and its field. */
interface SecretAt {
  /** Index of the environment the value is in. */
  env: number;
  spec: SecretSpec;
  field: FieldSpec;
}

/** The secret values a manifest holds, by its kind's field roles. */
function secretFields(m: Manifest): SecretAt[] {
  const out: SecretAt[] = [];
  const fields = secretFieldsOf(descriptorOf(m.kind));
  const environments = m.spec.environments;
  for (let i = 0; i < environments.length; i += 1) {
    const env = environments[i] as Record<string, unknown>;
    for (const field of fields) {
      const spec = env[field.name] as SecretSpec | undefined;
      if (spec !== undefined) out.push({ env: i, spec, field });
    }
  }
  return out;
}

/** The spec fields a kind's resources carry (its own, then its write options'), once per descriptor. */
const specFieldsByKind = new WeakMap<KindDescriptor, readonly { name: string }[]>();
function specFieldsOf(kind: KindDescriptor): readonly { name: string }[] {
  let fields = specFieldsByKind.get(kind);
  if (fields === undefined) {
    fields = [...kind.resourceFields, ...(kind.writeOptions?.specFields ?? [])];
    specFieldsByKind.set(kind, fields);
  }
  return fields;
}

/** The JSON path of a secret value: made only when something is said about it. */
function secretPath({ env, field }: SecretAt): (string | number)[] {
  return ['spec', 'environments', env, field.name];
}

/** A kind's secret fields, worked out once per descriptor rather than once per manifest. */
const secretFieldsByKind = new WeakMap<KindDescriptor, readonly FieldSpec[]>();
function secretFieldsOf(kind: KindDescriptor): readonly FieldSpec[] {
  let fields = secretFieldsByKind.get(kind);
  if (fields === undefined) {
    fields = kind.environmentFields.filter((f) => f.role !== 'plain');
    secretFieldsByKind.set(kind, fields);
  }
  return fields;
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
  const firstSeen = new IdentityIndex();
  const memo = new Map<string, unknown>();
  const firstSeenNormalised = new IdentityIndex();

  for (const source of input.manifests) {
    const { document: doc, manifest: m } = source;
    const project = m.metadata.project ?? input.defaultProject;
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
        resource: labelOf(m.kind, project, m.metadata.name),
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
        resource: labelOf(m.kind, project, m.metadata.name),
      });
    }

    /** The resolved secrets, by environment index, then field name. */
    const secrets: Record<string, Secret>[] = [];
    for (const at of secretFields(m)) {
      const { env, spec, field } = at;
      const secret = resolveSecret(at, source, input, problem, memo);
      if (secret) (secrets[env] ??= {})[field.name] = secret;
      // A value SOPS encrypts is inline in the manifest yet not in clear in Git: no warning (SPEC §2d).
      // An empty inline value reveals nothing (`password: ""` is how a store without one is written).
      const sealed = source.encrypted?.has(formatPath(secretPath(at))) ?? false;
      if (
        typeof spec === 'string' &&
        spec !== '' &&
        !sealed &&
        field.inlineWarning &&
        (field.inlineWarning.when?.(m.spec) ?? true)
      ) {
        problem(field.inlineWarning.code, secretPath(at), field.inlineWarning.message, 'key', 'warning');
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
    };
    // Write options (how an update or delete is sent) ride on the resource for the kind's hook.
    for (const field of specFieldsOf(kind)) {
      if (m.spec[field.name] !== undefined) resource[field.name] = m.spec[field.name];
    }
    resource.environments = m.spec.environments.map((env, i) => {
      const out: Record<string, unknown> = { name: env.name };
      for (const field of kind.environmentFields) {
        if (field.role === 'plain') {
          if (env[field.name] !== undefined) out[field.name] = env[field.name];
        } else {
          const secret = secrets[i]?.[field.name];
          if (secret) out[field.name] = secret;
        }
      }
      return out;
    });
    const desired = resource as unknown as DesiredResource;

    if (project) {
      const first = firstSeen.get(desired.kind, project, desired.name);
      if (first) {
        problem(
          'duplicate-identity',
          [],
          `${resourceLabel(desired)} is declared twice: here and at ${first.source.file}:${first.source.line}:${first.source.column}; each (kind, project, name) must be declared once: remove or rename one`,
          'node',
        );
        continue;
      }
      // Names that look the same but are other code points (`café` composed, NFC, and decomposed,
      // NFD, as some editors and file systems write it) are two identities to the server and one to
      // a reader: a plan would create a second object that nobody can tell from the first.
      // `firstSeen` holds every identity as written; `firstSeenNormalised` only those whose NFC
      // form differs from it (rare), so the usual resource costs one lookup, not two.
      const nfcProject = project.normalize('NFC');
      const nfcName = desired.name.normalize('NFC');
      const written = nfcProject === project && nfcName === desired.name;
      const twin =
        (firstSeenNormalised.size > 0 ? firstSeenNormalised.get(desired.kind, nfcProject, nfcName) : undefined) ??
        (written ? undefined : firstSeen.get(desired.kind, nfcProject, nfcName));
      if (twin) {
        problem(
          'duplicate-identity',
          [],
          `${resourceLabel(desired)} looks the same as ${resourceLabel(twin)} at ${twin.source.file}:${twin.source.line}:${twin.source.column} ` +
            'but is written with other Unicode code points (composed and decomposed accents, NFC and NFD): the server ' +
            'would hold two objects a reader cannot tell apart; write both the same way (NFC) or rename one',
          'node',
        );
        continue;
      }
      firstSeen.set(desired.kind, project, desired.name, desired);
      if (!written) firstSeenNormalised.set(desired.kind, nfcProject, nfcName, desired);
    }
    resources.push(desired);
  }

  // Each kind's rank looked up once, not twice per comparison (a sort of 10,000 makes 130,000).
  const ranks = new Map(allKinds().map((d, i) => [d.kind, i] as const));
  resources.sort((a, b) => compareResources(a, b, ranks));
  const projects = [...new Set(resources.map((r) => r.project).filter((p) => p !== ''))].sort();
  return { state: { resources, projects }, diagnostics };
}

/**
 * Resources by kind, project and name, nested: a lookup hashes the strings the manifest already
 * holds instead of building (and hashing) a joined key for each of 10,000 resources.
 */
class IdentityIndex {
  readonly #byKind = new Map<string, Map<string, Map<string, DesiredResource>>>();
  size = 0;

  get(kind: string, project: string, name: string): DesiredResource | undefined {
    return this.#byKind.get(kind)?.get(project)?.get(name);
  }

  set(kind: string, project: string, name: string, resource: DesiredResource): void {
    let projects = this.#byKind.get(kind);
    if (!projects) this.#byKind.set(kind, (projects = new Map<string, Map<string, DesiredResource>>()));
    let names = projects.get(project);
    if (!names) projects.set(project, (names = new Map<string, DesiredResource>()));
    if (!names.has(name)) this.size += 1;
    names.set(name, resource);
  }
}

/** How diagnostics name a resource, with its project when it has one. */
function labelOf(kind: string, project: string | undefined, name: string): string {
  return project ? `${kind} ${project}/${name}` : `${kind} ${name}`;
}

function compareResources(a: DesiredResource, b: DesiredResource, ranks: ReadonlyMap<string, number>): number {
  return (
    (ranks.get(a.kind) ?? 0) - (ranks.get(b.kind) ?? 0) ||
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
  at: SecretAt,
  source: ManifestSource,
  input: DesiredInput,
  problem: Problem,
  memo: Map<string, unknown>,
): Secret | undefined {
  const { spec, field } = at;
  const isText = field.role === 'text-secret';
  if (typeof spec === 'string') {
    // Inline text is the text itself; `""` is how an empty keystore password is written.
    if (isText) return new Secret(spec);
    const text = normaliseBase64(spec); // the same string (no copy) when it holds no whitespace
    if (text === '') {
      problem('invalid-base64', secretPath(at), 'is empty; give base64 text, { fromFile: PATH } or { fromEnv: NAME }');
      return undefined;
    }
    if (!isBase64(text)) {
      problem(
        'invalid-base64',
        secretPath(at),
        /-----BEGIN/.test(spec)
          ? 'is PEM text, not base64; an inline value must be base64-encoded: use { fromFile: PATH } for the PEM file, or base64-encode it'
          : 'is not valid base64 (letters, digits, + and /, padded with = to a multiple of 4); fix the value, or use { fromFile: PATH }',
      );
      return undefined;
    }
    return new Secret(text);
  }
  const chosen = sourceOf(spec);
  if (!chosen) {
    problem('schema', secretPath(at), 'is not a secret form this tool knows'); // the schema stops this first
    return undefined;
  }
  const outcome = chosen.resolve(spec, {
    field,
    place: source,
    env: input.env,
    fetched: input.files,
    missing: input.unsetEnv ?? 'error',
    memo,
  });
  if (outcome.ok) return outcome.secret;
  if (!outcome.repeated)
    problem(outcome.code, [...secretPath(at), outcome.at], outcome.message, 'key', outcome.severity);
  return undefined;
}
