// Pure: the server's current state as manifest files and secret files (SPEC §7), so that a plan
// right after the export shows no changes; names a manifest cannot hold are reported, not written.
import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { descriptorOf, kindNames, kindRank, type KindDescriptor } from '../kinds/index.js';
import type { ExportSecret } from '../kinds/types.js';
import {
  API_VERSION,
  resourceLabel,
  type ApiGeneration,
  type CurrentResource,
  type Kind,
  type ResourceId,
} from '../model.js';
import { isBase64, normaliseBase64, type Secret } from '../secret.js';
import { quoteValue } from '../diagnostics.js';
import { isDotSegment } from '../api/url.js';
import { followSharedRef, loadSchema } from '../manifest/validate.js';

/**
 * Where exported secret values go (SPEC §7, §2d): files under `secrets/`, `fromEnv` references, or
 * `inline` in the manifest, which is then only ever written SOPS-encrypted (`--sops-age`, sops.ts).
 */
export type SecretsMode = 'file' | 'env' | 'inline';

/** A secret field of a kind, by the name the manifests use (`privateKey`, `file`, `password` ...). */
export type SecretField = string;

export interface ExportRenderOptions {
  secrets: SecretsMode;
  /**
   * The `$schema` reference written at the top of each manifest, given the manifest's kind and its
   * folder relative to the output folder (posix, e.g. `Payments/keys`).
   */
  schemaRef(kind: Kind, manifestFolder: string): string;
  /** The API generation the server speaks: it decides the manifest form written (SPEC §2b). */
  generation?: ApiGeneration;
}

/** One secret field of one environment of one resource. */
export interface SecretSlot {
  resource: ResourceId;
  environment: string;
  field: SecretField;
}

/** A file the export writes. Paths are posix, relative to the output folder, and never leave it. */
export type ExportFile =
  | {
      type: 'manifest';
      path: string;
      content: string;
      resource: ResourceId;
      /**
       * `inline` mode: the manifest as a document whose secret values are `Secret`s. `content` holds
       * only the header until sealExportPlan (sops.ts) encrypts the document into it; nothing with
       * a `document` is ever written as it is.
       */
      document?: Record<string, unknown>;
    }
  /** The decoded bytes of `value` (base64 text as the API sent it) go to the file, mode 0600. */
  | { type: 'secret'; path: string; value: Secret; slot: SecretSlot }
  /** `secrets/.gitignore` or `.sops.yaml`: written unless an identical one is already there. */
  | { type: 'gitignore'; path: string; content: string };

/** A generated `fromEnv` variable name and the value it must hold (listed by name only). */
export interface EnvReference extends SecretSlot {
  variable: string;
  /** True when the server masked the value, so the user must find it elsewhere. */
  masked: boolean;
  /** True for a value the server never gives back (a keystore password): the user supplies it. */
  writeOnly?: boolean;
}

/** Everything an export will do, computed before anything is written. */
export interface ExportPlan {
  files: ExportFile[];
  /** `--secrets env`: the variables the manifests reference, in a stable order. */
  variables: EnvReference[];
  /**
   * Secret fields the export could not fill in (masked by the server, or absent where the manifest
   * needs one). Each comes with a sentence saying where the user must put the value.
   */
  incomplete: { slot: SecretSlot; message: string }[];
  /** Other things the user should know (a non-canonical base64 value, an unknown keystore type). */
  warnings: string[];
  /**
   * Server objects whose identity a manifest cannot hold (a name with a space, non-Latin letters,
   * too long): nothing is written for them, and the export fails, because plan would not
   * validate and `apply --prune` would delete them.
   */
  unexpressible: { resource: ResourceId; message: string }[];
  /** Objects exported, per kind (the unexpressible ones not counted). */
  counts: Record<Kind, number>;
}

/** Content of `secrets/.gitignore`: everything below it is ignored except the file itself. */
export const SECRETS_GITIGNORE = [
  '# Written by apinizer-gitops export: key material lives here. Never commit it.',
  '*',
  '!.gitignore',
  '',
].join('\n');

/**
 * A file or folder name made from a name the server gave. Resource names are already restricted to
 * [A-Za-z0-9._-], but project and environment names are not: anything else becomes `_`, and a
 * leading dot (a hidden file the loader would skip, or `..`) becomes `_` too, so no name can climb
 * out of the output folder or hide from `plan`.
 */
export function safeSegment(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_');
  if (s === '') return '_';
  return s.startsWith('.') ? `_${s.slice(1)}` : s;
}

/** The first 8 hex digits of the SHA-256 of `text`: what tells apart names a file system would confuse. */
function shortHash(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, 8);
}

/**
 * A file or folder name from one name alone (SPEC §7: never from which other names exist, so a
 * resource keeps its file across exports). `safeSegment` when that is the name as it is and
 * `caseMatters` does not apply; otherwise `~` and a short hash of the exact name are added: `~`
 * cannot appear in a resource name, so no other name can produce the result. With `caseMatters`,
 * any upper-case letter counts as a change, so that `Signing` and `signing` stay two files on
 * case-insensitive file systems (macOS, Windows) whichever of them exists; with `noDots`, dots
 * count too (an environment name between the dots of a secret file's name).
 */
export function identitySegment(name: string, options: { caseMatters?: boolean; noDots?: boolean } = {}): string {
  let safe = safeSegment(name);
  if (options.noDots) safe = safe.replace(/\./g, '_');
  const changed = safe !== name || (options.caseMatters === true && /[A-Z]/.test(name));
  return changed ? `${safe}~${shortHash(name)}` : safe;
}

/** `APINIZER_<PROJECT>_<NAME>_<ENV>_<FIELD>`, upper-cased, anything not alphanumeric as `_`. */
export function envVariableName(slot: SecretSlot): string {
  // privateKey -> PRIVATE_KEY, file -> FILE, password -> PASSWORD
  const field = slot.field.replace(/([a-z0-9])([A-Z])/g, '$1_$2');
  const raw = ['APINIZER', slot.resource.project, slot.resource.name, slot.environment, field].join('_');
  return raw.toUpperCase().replace(/[^A-Z0-9]/g, '_');
}

/**
 * Hands out variable names that stay unique when compared case-insensitively, adding `_2`, `_3`, ...
 */
class UniqueNames {
  readonly #taken = new Set<string>();
  constructor(private readonly separator: string) {}
  take(name: string, extension = ''): string {
    let candidate = name;
    for (let n = 2; this.#taken.has(`${candidate}${extension}`.toLowerCase()); n++)
      candidate = `${name}${this.separator}${n}`;
    this.#taken.add(`${candidate}${extension}`.toLowerCase());
    return `${candidate}${extension}`;
  }
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The resources in the order the export writes and lists them: kind order, project, name. */
function sorted(resources: readonly CurrentResource[]): CurrentResource[] {
  return [...resources].sort(
    (a, b) => kindRank(a.kind) - kindRank(b.kind) || compareText(a.project, b.project) || compareText(a.name, b.name),
  );
}

/** A secret as the manifest writes it: `{ fromFile: PATH }`, `{ fromEnv: NAME }`, or inline (to be encrypted). */
type Reference = { fromFile: string } | { fromEnv: string } | { inline: Secret };

/** A string property's rule in a manifest schema: its pattern and length limits. */
interface StringRule {
  pattern: RegExp;
  maxLength: number;
}

/** The rules per descriptor: a kind registered later (or registered again) gets its own. */
const identityRules = new WeakMap<KindDescriptor, { name: StringRule; project: StringRule }>();

/** The rules for metadata.name and metadata.project, read from the kind's schema: one source with validate. */
function rulesFor(kind: Kind): { name: StringRule; project: StringRule } {
  const descriptor = descriptorOf(kind);
  let rules = identityRules.get(descriptor);
  if (rules === undefined) {
    // The shipped kinds $ref the shared metadata (schemas/common.schema.json); a kind defined in
    // code may hold its own.
    const metadata = followSharedRef((loadSchema(kind).properties as Record<string, unknown>).metadata) as {
      properties: Record<string, { pattern: string; maxLength: number }>;
    };
    const rule = (field: 'name' | 'project'): StringRule => {
      const p = metadata.properties[field]!;
      return { pattern: new RegExp(p.pattern, 'u'), maxLength: p.maxLength };
    };
    rules = { name: rule('name'), project: rule('project') };
    identityRules.set(descriptor, rules);
  }
  return rules;
}

/**
 * Why a manifest cannot name this server object, or null when it can. The rule is the manifest
 * schema's (SPEC §2), not whatever the server accepted: names become file names and stay safe
 * in paths, logs and shells.
 */
export function identityProblem(resource: { kind: Kind; project: string; name: string }): string | null {
  const rules = rulesFor(resource.kind);
  const check = (what: 'name' | 'project', value: string, rule: StringRule): string | null => {
    const length = [...value].length;
    if (length > rule.maxLength)
      return `its ${what} is ${length} characters long, over the ${rule.maxLength} a manifest allows`;
    if (what === 'project' && isDotSegment(value))
      return 'its project is a path segment (. or ..), which a manifest cannot name';
    if (!rule.pattern.test(value)) {
      return what === 'name'
        ? 'its name is not 1-128 characters from A-Z a-z 0-9 . _ - starting with a letter or digit (a space, a non-Latin letter or another sign)'
        : 'its project name has leading or trailing spaces';
    }
    return null;
  };
  const problem = check('project', resource.project, rules.project) ?? check('name', resource.name, rules.name);
  if (problem === null) return null;
  return `cannot be expressed as a manifest: ${problem}; nothing was written for it, and \`apply --prune\` on the exported folder would delete it (rename it on the server, or manage it outside this tool)`;
}

/**
 * Turns the API's current state into manifest files (one per resource, the same format `plan`
 * reads, so planning the export right after shows no changes) and the secret files or `fromEnv`
 * names that hold the key material. Pure: nothing is written here.
 */
export function buildExportPlan(resources: readonly CurrentResource[], options: ExportRenderOptions): ExportPlan {
  const files: ExportFile[] = [];
  const variables: EnvReference[] = [];
  const incomplete: ExportPlan['incomplete'] = [];
  const unexpressible: ExportPlan['unexpressible'] = [];
  const warnings: string[] = [];
  const counts: Record<Kind, number> = Object.fromEntries(kindNames().map((k) => [k, 0]));
  // Variables are upper-case by convention, so two slots may meet on one: numbered as they come.
  const variableNames = new UniqueNames('_');
  const generation = options.generation ?? 'legacy';

  for (const resource of sorted(resources)) {
    const problem = identityProblem(resource);
    if (problem !== null) {
      const id = { kind: resource.kind, project: resource.project, name: resource.name };
      unexpressible.push({
        resource: id,
        message: `${resource.kind} ${quoteValue(resource.project)}/${quoteValue(resource.name)}: ${problem}`,
      });
      continue;
    }
    counts[resource.kind] = (counts[resource.kind] ?? 0) + 1;
    const kind = descriptorOf(resource.kind);
    const project = identitySegment(resource.project);
    const kindFolder = kind.segment;
    const manifestFolder = `${project}/${kindFolder}`;
    const fileBase = identitySegment(resource.name, { caseMatters: true });
    const manifestPath = `${manifestFolder}/${fileBase}.yaml`;
    const label = resourceLabel(resource);

    // Decides what the manifest says for one secret field, and records the file or variable behind it.
    const reference = (environment: string, secret: ExportSecret): Reference | undefined => {
      const { field, value, required } = secret;
      const slot: SecretSlot = {
        resource: { kind: resource.kind, project: resource.project, name: resource.name },
        environment,
        field,
      };
      if (value === undefined && !required) return undefined;
      const where = `${label} environment ${environment} ${field}`;
      if (secret.writeOnly) {
        // The server never gives it back: a variable the user fills from their secret store.
        const target = variableNames.take(envVariableName(slot));
        variables.push({ ...slot, variable: target, masked: false, writeOnly: true });
        return { fromEnv: target };
      }
      const present = value !== undefined && value !== 'masked';
      if (present && options.secrets === 'inline') return { inline: value };
      if (present && !isBase64(value.reveal())) {
        // Cannot happen with the API mapping (non-base64 becomes 'masked'), but never write garbage.
        throw new Error(`${where}: the server's value is not base64`);
      }
      if (present && options.secrets === 'file' && !isCanonical(value)) {
        warnings.push(
          `${where}: the server's base64 is not in canonical form; plan will show this field as changed (apply sends the canonical form of the same bytes)`,
        );
      }
      let ref: Reference;
      let target: string;
      if (options.secrets === 'file') {
        const secretFolder = `secrets/${project}/${kindFolder}`;
        // name.environment.field, each from its own identity: the environment part holds no dot, so
        // the last two dots always split it (`a.b` in `c` and `a` in `b.c` stay two files).
        const envPart = identitySegment(environment, { caseMatters: true, noDots: true });
        target = `${secretFolder}/${fileBase}.${envPart}.${field}`;
        ref = { fromFile: posix.relative(manifestFolder, target) };
        if (present) files.push({ type: 'secret', path: target, value, slot });
      } else {
        target = variableNames.take(envVariableName(slot));
        ref = { fromEnv: target };
        variables.push({ ...slot, variable: target, masked: !present });
      }
      if (!present) {
        const why = value === 'masked' ? 'the server masks it' : 'the server has none, but the manifest needs one';
        const fix =
          options.secrets === 'file' ? `put the key material (raw bytes) in ${target}` : `set ${target} to its base64`;
        incomplete.push({ slot, message: `${where}: not exported (${why}); ${fix} before running plan` });
      }
      return ref;
    };

    const shape = kind.exportShape(resource, generation);
    for (const w of shape.warnings) warnings.push(`${label}: ${w}`);
    const environments: ManifestShape['environments'] = [];
    for (const env of [...shape.environments].sort((a, b) => compareText(a.name, b.name))) {
      const fields: [SecretField, Reference][] = [];
      for (const secret of env.secrets) {
        const ref = reference(env.name, secret);
        if (ref) fields.push([secret.field, ref]);
      }
      environments.push({ name: env.name, plain: env.plain, fields });
    }
    if (resource.environments.length === 0) {
      warnings.push(`${label}: the server lists no environments; the manifest will not validate until one is added`);
    }

    const shapeOf: ManifestShape = {
      kind: resource.kind,
      name: resource.name,
      project: resource.project,
      description: resource.description,
      fields: shape.fields,
      environments,
    };
    const header = `# yaml-language-server: $schema=${options.schemaRef(resource.kind, manifestFolder)}\n`;
    const id = { kind: resource.kind, project: resource.project, name: resource.name };
    if (options.secrets === 'inline')
      files.push({
        type: 'manifest',
        path: manifestPath,
        content: header,
        resource: id,
        document: manifestDocument(shapeOf),
      });
    else
      files.push({ type: 'manifest', path: manifestPath, content: `${header}${manifestYaml(shapeOf)}`, resource: id });
  }

  if (files.some((f) => f.type === 'secret') || incomplete.length > 0) {
    if (options.secrets === 'file')
      files.push({ type: 'gitignore', path: 'secrets/.gitignore', content: SECRETS_GITIGNORE });
  }
  return { files, variables, incomplete, unexpressible, warnings, counts };
}

/** True when decoding and re-encoding gives the same text, so a file round trip is exact. */
function isCanonical(value: Secret): boolean {
  const text = normaliseBase64(value.reveal());
  return Buffer.from(text, 'base64').toString('base64') === text;
}

/** Plain YAML scalars that would read back as something other than the same string. */
const YAML_SPECIAL = /^(?:y|n|yes|no|on|off|true|false|null)$/i;

/**
 * One string as a YAML scalar that reads back as exactly that string: plain when it is a simple
 * word or relative path (a letter first after any `../`, so never a number, and not a YAML 1.1
 * boolean or null), otherwise
 * double-quoted. JSON's string form is a valid YAML double-quoted scalar; the characters YAML
 * treats as line breaks or BOM, which JSON leaves literal, are escaped as well.
 */
export function yamlScalar(value: string): string {
  if (/^(?:\.\.?\/)*[A-Za-z][A-Za-z0-9._/()-]*(?: [A-Za-z0-9._/()-]+)*$/.test(value) && !YAML_SPECIAL.test(value))
    return value;
  return JSON.stringify(value).replace(
    /[\u0080-\u009f\u2028\u2029\ufeff]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

function referenceYaml(ref: Reference): string {
  if ('inline' in ref) throw new Error('an inline secret is only written encrypted (sealExportPlan)');
  return 'fromFile' in ref ? `{ fromFile: ${yamlScalar(ref.fromFile)} }` : `{ fromEnv: ${yamlScalar(ref.fromEnv)} }`;
}

/** The manifest as a document, in the same key order as manifestYaml; inline secrets stay `Secret`s. */
function manifestDocument(m: ManifestShape): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  if (m.description !== '') spec.description = m.description;
  for (const [field, value] of m.fields) spec[field] = value;
  spec.environments = m.environments.map((env) => {
    const out: Record<string, unknown> = { name: env.name };
    for (const [field, value] of env.plain) out[field] = value;
    for (const [field, ref] of env.fields) out[field] = 'inline' in ref ? ref.inline : ref;
    return out;
  });
  return { apiVersion: API_VERSION, kind: m.kind, metadata: { name: m.name, project: m.project }, spec };
}

interface ManifestShape {
  kind: Kind;
  name: string;
  project: string;
  description: string;
  /** Resource-level fields of the kind (`keyType`), in the order written. */
  fields: [string, string][];
  environments: { name: string; plain: [string, string][]; fields: [SecretField, Reference][] }[];
}

/**
 * YAML text of one manifest, written directly rather than through a YAML document model: the
 * shape is fixed, every value goes through yamlScalar, and an export of thousands of resources
 * spends its time on I/O, not on building documents. Secret references are in flow style, as the
 * SPEC shows them.
 */
function manifestYaml(m: ManifestShape): string {
  const lines = [
    `apiVersion: ${API_VERSION}`,
    `kind: ${m.kind}`,
    'metadata:',
    `  name: ${yamlScalar(m.name)}`,
    `  project: ${yamlScalar(m.project)}`,
    'spec:',
  ];
  if (m.description !== '') lines.push(`  description: ${yamlScalar(m.description)}`);
  for (const [field, value] of m.fields) lines.push(`  ${field}: ${yamlScalar(value)}`);
  lines.push('  environments:');
  for (const env of m.environments) {
    lines.push(`    - name: ${yamlScalar(env.name)}`);
    for (const [field, value] of env.plain) lines.push(`      ${field}: ${yamlScalar(value)}`);
    for (const [field, ref] of env.fields) lines.push(`      ${field}: ${referenceYaml(ref)}`);
  }
  return `${lines.join('\n')}\n`;
}
