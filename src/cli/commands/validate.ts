// `validate`: the offline checks (YAML, schemas, secret sources, identities, material) with no API
// call; prints diagnostics as text, JSON or GitHub annotations.
import { resolveDefaultProject } from '../connection.js';
import { diagnosticToJson, formatDiagnosticLines, formatGithubAnnotation, hasErrors } from '../../diagnostics.js';
import { DEFAULT_MAX_FILE_BYTES, loadManifests, type LoadResult } from '../../manifest/load.js';
import { type Command, type CommandContext, type ParsedArgs, EXIT, UsageError, stringFlag } from '../command.js';
import { MATERIAL_FLAGS, type MaterialFlags, materialCheckOptions, materialFlags } from '../material-flags.js';
import { plural } from '../../text.js';

const DESCRIPTION = `Checks manifests offline: YAML syntax, the JSON Schemas in schemas/, secret values (inline
base64, fromFile inside the PATH given, fromEnv set), and duplicate identities. Makes no API call.
Each PATH is a manifest file or a folder searched for *.yaml / *.yml (dot-entries and
node_modules skipped).`;

const NOTES = `Output goes to stdout. With GITHUB_ACTIONS=true each problem is also printed as a GitHub
annotation (::error file=...,line=...,col=...::), on stdout with text, on stderr with json.

Exit status: 0 valid (warnings do not fail), 1 any error.`;

/** `validate PATH...`: load and check manifests, print every problem, exit 0 when valid. */
export const validateCommand: Command = {
  name: 'validate',
  summary: 'check manifests offline (syntax, schema, secrets, duplicates); no API calls',
  usage: 'PATH... [flags]',
  description: DESCRIPTION,
  options: {
    project: {
      type: 'string',
      value: 'P',
      description: 'project for manifests without metadata.project',
      env: 'APINIZER_PROJECT',
    },
    config: {
      type: 'string',
      value: 'FILE',
      description: 'YAML settings file; only its project is used here',
      env: 'APINIZER_CONFIG',
    },
    format: {
      type: 'string',
      value: 'text|json',
      description:
        'text: one line per problem and a summary; json: one document {formatVersion, valid, summary, diagnostics}',
      default: 'text',
    },
    'max-file-size': {
      type: 'string',
      value: 'BYTES',
      description: 'largest manifest file read',
      default: String(DEFAULT_MAX_FILE_BYTES),
      env: 'APINIZER_MAX_FILE_BYTES',
    },
    ...MATERIAL_FLAGS,
  },
  examples: [
    'apinizer-gitops validate manifests/',
    'apinizer-gitops validate keys/payments.yaml keystores/ --format json',
  ],
  notes: NOTES,
  async run(args, ctx) {
    return validate(parseValidateOptions(args, ctx), ctx);
  },
};

/** What `validate` is asked to do, parsed from argv, the environment and the config file. */
export interface ValidateOptions {
  paths: string[];
  format: 'text' | 'json';
  maxFileBytes: number;
  /** The project for manifests that name none; no server is needed for it. */
  defaultProject: string | undefined;
  /** Undefined with --skip-material-checks. */
  material: MaterialFlags | undefined;
}

/** The options of `validate`; a bad value is a UsageError naming its flag, variable or file. */
export function parseValidateOptions(args: ParsedArgs, ctx: Pick<CommandContext, 'env' | 'cwd'>): ValidateOptions {
  if (args.positionals.length === 0)
    throw new UsageError('give at least one PATH (a manifest file or a folder of them)');
  const format = stringFlag(args, 'format') ?? 'text';
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got "${format}"`);
  const maxFileBytes = maxFileSize(args, ctx.env);
  const defaultProject = resolveDefaultProject(args, ctx.env, ctx.cwd);
  return { paths: args.positionals, format, maxFileBytes, defaultProject, material: materialFlags(args) };
}

/** `validate` itself: load and check, print every problem; 0 when valid. */
export async function validate(options: ValidateOptions, ctx: CommandContext): Promise<number> {
  const { format, defaultProject } = options;
  const material = materialCheckOptions(options.material, new Date());
  const result = await loadManifests(options.paths, {
    cwd: ctx.cwd,
    env: ctx.env,
    maxFileBytes: options.maxFileBytes,
    // Validate runs where secrets are absent on purpose (a fork's pull request, a lint job).
    unsetEnv: 'warning',
    ...(defaultProject ? { defaultProject } : {}),
    ...(material ? { material } : {}),
  });

  const github = ctx.env.GITHUB_ACTIONS === 'true';
  if (format === 'json') {
    ctx.stdout.write(`${renderValidationJson(result)}\n`);
    if (github) for (const d of result.diagnostics) ctx.stderr.write(`${formatGithubAnnotation(d)}\n`);
  } else {
    // Many alike are grouped (the first few in full, then how many more): the summary line
    // counts them all, and --format json lists every one.
    const lines = formatDiagnosticLines(result.diagnostics, github);
    lines.push(summaryLine(result));
    ctx.stdout.write(`${lines.join('\n')}\n`);
  }
  return hasErrors(result.diagnostics) ? EXIT.error : EXIT.ok;
}

/** --max-file-size, else APINIZER_MAX_FILE_BYTES, else the default; a bad value names its source. */
function maxFileSize(args: ParsedArgs, env: NodeJS.ProcessEnv): number {
  const flag = stringFlag(args, 'max-file-size');
  const fromEnv = env.APINIZER_MAX_FILE_BYTES?.trim();
  const [raw, source] =
    flag !== undefined ? [flag, '--max-file-size'] : fromEnv ? [fromEnv, 'APINIZER_MAX_FILE_BYTES'] : [undefined, ''];
  if (raw === undefined) return DEFAULT_MAX_FILE_BYTES;
  const n = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`${source} must be a whole number of bytes (1 or more), got "${raw}"`);
  }
  return n;
}

/** The last line of text output: `3 files, 7 resources: valid` or `2 errors, 1 warning in 3 files`. */
export function summaryLine(result: LoadResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const warnings = result.diagnostics.length - errors;
  const where = `${plural(result.files.length, 'file')}, ${plural(result.resources, 'resource')}`;
  if (errors === 0) return `${where}: valid${warnings > 0 ? ` (${plural(warnings, 'warning')})` : ''}`;
  return `${where}: ${plural(errors, 'error')}, ${plural(warnings, 'warning')}`;
}

/** The `--format json` document: stable field names, formatVersion 1. */
export function renderValidationJson(result: LoadResult): string {
  const errors = result.diagnostics.filter((d) => d.severity === 'error').length;
  const doc = {
    formatVersion: 1,
    valid: errors === 0,
    summary: {
      files: result.files.length,
      documents: result.documents,
      resources: result.resources,
      errors,
      warnings: result.diagnostics.length - errors,
    },
    diagnostics: result.diagnostics.map(diagnosticToJson),
  };
  return JSON.stringify(doc, null, 2);
}
