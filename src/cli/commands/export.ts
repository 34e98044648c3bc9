// `export`: reads a project's resources from the server and writes them as manifests, with their
// secrets in files under secrets/ or as fromEnv references (src/export/ does the work).
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { resolveConnection, type ConnectionSettings } from '../connection.js';
import { buildExportPlan, type ExportPlan, type SecretsMode } from '../../export/render.js';
import { findRepositoryRoots, packageSchemasDir, schemaReference } from '../../export/schemas.js';
import { writeExport, type WriteExportResult } from '../../export/write.js';
import { invalidRecipient, sealExportPlan } from '../../export/sops.js';
import { asSentence } from '../../reconcile/render/common.js';
import { printable } from '../../diagnostics.js';
import { descriptorOf, kindNames } from '../../kinds/index.js';
import { resourceLabel, type ApiGeneration, type CurrentResource, type Kind } from '../../model.js';
import { readMaterial } from '../../reconcile/material.js';
import {
  type Command,
  type CommandContext,
  type ParsedArgs,
  EXIT,
  UsageError,
  booleanFlag,
  exitCodeForSignal,
  stringFlag,
} from '../command.js';
import { connectionOptions } from '../common.js';
import { plural } from '../../text.js';
import { clientFor, commandLogger } from '../reconcile-common.js';

const DESCRIPTION = `Writes the Keys and Keystores a project holds on the server as manifests, one file per resource,
so that \`apinizer-gitops plan DIR\` right after reports no changes:

  DIR/<project>/keys/<name>.yaml         DIR/<project>/keystores/<name>.yaml

Each starts with a \`# yaml-language-server: $schema=...\` line pointing at the package's schemas.
Key material (publicKey, privateKey, keystore file) is never written into a manifest:

  --secrets file  (default) the decoded bytes go to DIR/secrets/<project>/<keys|keystores>/
                  <name>.<environment>.<field> (mode 0600, folders 0700), referenced by fromFile;
                  DIR/secrets/.gitignore keeps them out of Git. Run plan on DIR itself, so the
                  fromFile paths stay inside the manifest root.
  --secrets env   references { fromEnv: APINIZER_<PROJECT>_<NAME>_<ENV>_<FIELD> }; the variable
                  names (never the values) are listed on stderr. Fill them from your secret store.

  --sops-age R    (repeatable) the material goes inline into the manifests, which are written
                  SOPS-encrypted for the age recipients R (publicKey, privateKey, content, file and
                  password encrypted; names and descriptions readable), with a .sops.yaml creation
                  rule so that \`sops edit\` works on them. No plaintext secret touches the disk. plan
                  and apply decrypt them with SOPS_AGE_KEY / SOPS_AGE_KEY_FILE (docs/secrets.md).

A secret the server masks (not base64) cannot be exported: the manifest still references the file
or variable it would have used, nothing is written for it, stderr says where to put the value, and
the export exits 1 (the other files are written; plan fails on the missing value until you supply
it).`;

const NOTES = 'Exit status: 0 exported, 1 any error (unknown project, existing files, masked secrets).';

/** `--kind Key,Keystore` (repeatable, case-insensitive, plural accepted) as kinds in kind order. */
function parseKinds(args: ParsedArgs): Kind[] {
  const raw = args.values.kind;
  const given = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
    (v): v is string => typeof v === 'string',
  );
  const all = kindNames();
  if (given.length === 0) return all;
  const kinds = new Set<Kind>();
  for (const word of given.flatMap((v) => v.split(',')).map((w) => w.trim().toLowerCase())) {
    const kind = all.find((k) => word === k.toLowerCase() || word === descriptorOf(k).plural.toLowerCase());
    if (kind === undefined)
      throw new UsageError(`--kind must be ${all.join(', ')} or several (comma-separated), got "${word}"`);
    kinds.add(kind);
  }
  return all.filter((k) => kinds.has(k));
}

function secretsMode(args: ParsedArgs): SecretsMode {
  const given = stringFlag(args, 'secrets');
  if (sopsRecipients(args).length > 0) {
    if (given !== undefined)
      throw new UsageError(
        `--sops-age puts the material inline (encrypted) and cannot be combined with --secrets ${given}; drop one of them`,
      );
    return 'inline';
  }
  const mode = given ?? 'file';
  if (mode !== 'file' && mode !== 'env') throw new UsageError(`--secrets must be file or env, got "${mode}"`);
  return mode;
}

/** `--sops-age R` (repeatable, comma-separated as in sops' --age) as age recipients. */
function sopsRecipients(args: ParsedArgs): string[] {
  const raw = args.values['sops-age'];
  const given = (Array.isArray(raw) ? raw : raw === undefined ? [] : [raw]).filter(
    (v): v is string => typeof v === 'string',
  );
  const recipients = given.flatMap((v) => v.split(',')).map((r) => r.trim());
  if (given.length > 0 && recipients.every((r) => r === ''))
    throw new UsageError('--sops-age needs an age recipient (age1...)');
  const bad = invalidRecipient(recipients.filter((r) => r !== ''));
  if (bad !== undefined)
    throw new UsageError(
      `--sops-age takes age recipients (age1... public keys, as age-keygen prints them), got ${JSON.stringify(bad.slice(0, 80))}`,
    );
  return [...new Set(recipients.filter((r) => r !== ''))];
}

/** A path for messages: relative to the working directory when inside it. */
function shown(cwd: string, path: string): string {
  const rel = relative(cwd, path);
  if (rel === '') return '.';
  return rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel) ? path : rel;
}

/** The stderr lines about an export plan: warnings, the variables to set, what is missing. */
function planNotes(plan: ExportPlan): string[] {
  const lines = plan.warnings.map((w) => `warning: ${w}`);
  if (plan.variables.length > 0) {
    lines.push(
      'The manifests read secrets from these environment variables; set them before plan or apply ' +
        '(key material and keystore files as base64, passwords as text):',
    );
    const width = Math.max(...plan.variables.map((v) => v.variable.length));
    for (const v of plan.variables) {
      // A password is a text secret: its variable holds the text, not base64 (SPEC §2b).
      const role = descriptorOf(v.resource.kind).environmentFields.find((f) => f.name === v.field)?.role;
      const holds = role === 'text-secret' ? 'text' : 'base64';
      const note = v.masked ? '  (masked by the server: find the value elsewhere)' : '';
      lines.push(
        `  ${v.variable.padEnd(width)}  ${resourceLabel(v.resource)} environment ${v.environment} ${v.field} (${holds})${note}`,
      );
    }
  }
  for (const i of plan.incomplete) lines.push(`error: ${i.message}`);
  for (const u of plan.unexpressible) lines.push(`error: ${u.message}`);
  return lines.map(printable);
}

/** `export --project P --out DIR`: the server's Keys and Keystores as manifests plus secrets. */
export const exportCommand: Command = {
  name: 'export',
  summary: "write a project's Keys and Keystores as manifests (adopt an existing project)",
  usage: '--project P --out DIR [flags]',
  description: DESCRIPTION,
  options: {
    out: { type: 'string', value: 'DIR', description: 'the folder to write into (required); created when missing' },
    kind: {
      type: 'string',
      multiple: true,
      value: 'K[,K]',
      description: 'Key, Keystore or both, comma-separated',
      default: 'Key,Keystore',
    },
    secrets: { type: 'string', value: 'file|env', description: 'where key material goes (see above)', default: 'file' },
    'sops-age': {
      type: 'string',
      multiple: true,
      value: 'RECIPIENT',
      description: 'write the material inline, SOPS-encrypted for this age recipient (repeatable)',
    },
    force: { type: 'boolean', description: 'replace files that exist (otherwise nothing is written if any exists)' },
    ...connectionOptions,
    // Listed with the flags above: here it names the project to export, not a default for manifests.
    project: { type: 'string', value: 'P', description: 'the project to export (required)', env: 'APINIZER_PROJECT' },
  },
  examples: [
    'apinizer-gitops export --project Payments --out manifests/ --server https://apinizer.example.com',
    '# key material as fromEnv references instead of files',
    'apinizer-gitops export --project Payments --out manifests/ --kind Key --secrets env',
    '# material inline, SOPS-encrypted for an age recipient (commit the folder as it is)',
    'apinizer-gitops export --project Payments --out manifests/ --sops-age age1...',
  ],
  notes: NOTES,
  async run(args, ctx) {
    return exportProject(parseExportOptions(args, ctx), ctx);
  },
};

/** What `export` is asked to do, parsed from argv, the environment and the config file. */
export interface ExportOptions {
  /** The --out folder, absolute. */
  outDir: string;
  kinds: Kind[];
  secrets: SecretsMode;
  /** --sops-age recipients (with --secrets inline). */
  recipients: string[];
  force: boolean;
  project: string;
  conn: ConnectionSettings;
}

/** The options of `export`; a bad value is a UsageError naming its flag, variable or file. */
export function parseExportOptions(args: ParsedArgs, ctx: Pick<CommandContext, 'env' | 'cwd'>): ExportOptions {
  if (args.positionals.length > 0)
    throw new UsageError(
      `export takes no PATH arguments (got "${args.positionals[0] ?? ''}"); give the folder with --out DIR`,
    );
  const out = stringFlag(args, 'out');
  if (out === undefined || out.trim() === '') throw new UsageError('give the folder to write into: --out DIR');
  const outDir = resolve(ctx.cwd, out);
  const kinds = parseKinds(args);
  const secrets = secretsMode(args);
  const recipients = sopsRecipients(args);
  const force = booleanFlag(args, 'force');
  const conn = resolveConnection(args, ctx.env, ctx.cwd);
  const project = conn.project;
  if (project === undefined || project === '')
    throw new UsageError('give the project to export: --project P (or APINIZER_PROJECT)');
  return { outDir, kinds, secrets, recipients, force, project, conn };
}

/** The project's resources as the server holds them, and the API generation it speaks. */
interface ServerState {
  resources: CurrentResource[];
  generation: ApiGeneration;
}

/** `export` itself: read the project, write manifests and secrets, say what was written. */
export async function exportProject(options: ExportOptions, ctx: CommandContext): Promise<number> {
  const { outDir, kinds, secrets, recipients, force, project } = options;
  const state = await readServerState(options, ctx);
  if (typeof state === 'number') return state;
  const { resources, generation } = state;

  // An empty project is still a refresh with --force: the files of its deleted objects must go.
  if (resources.length === 0 && !force) {
    ctx.stdout.write(
      `Project ${project} has no ${kinds.map((k) => descriptorOf(k).plural).join(' or ')}; nothing written.\n`,
    );
    return EXIT.ok;
  }
  const schemaRef = schemaReference(packageSchemasDir(), outDir, await findRepositoryRoots(outDir));
  let plan: ExportPlan;
  try {
    plan = buildExportPlan(resources, { secrets, schemaRef, generation });
    if (secrets === 'inline') plan = await sealExportPlan(plan, recipients);
  } catch (err) {
    ctx.stderr.write(`apinizer-gitops export: ${(err as Error).message}\n`);
    return EXIT.error;
  }
  const result = writeExport(plan, { outDir, force, scope: { project, kinds } });
  if (!result.ok) {
    if (result.reason === 'exists') {
      const first = result.paths.slice(0, 5).map((p) => `  ${shown(ctx.cwd, resolve(outDir, p))}`);
      const more = result.paths.length > 5 ? [`  ... and ${result.paths.length - 5} more`] : [];
      ctx.stderr.write(
        [
          `apinizer-gitops export: refusing to overwrite ${plural(result.paths.length, 'existing file')}; nothing was written:`,
          ...first,
          ...more,
          'Use --force to replace them, or choose another --out folder.',
          '',
        ].join('\n'),
      );
    } else {
      ctx.stderr.write(`apinizer-gitops export: ${result.message}\n`);
    }
    return EXIT.error;
  }

  return reportExport(plan, result, resources.length === 0, options, ctx);
}

/** What was written, on stdout, and the notes about it on stderr; 1 when the export is incomplete. */
function reportExport(
  plan: ExportPlan,
  result: Extract<WriteExportResult, { ok: true }>,
  /** The project holds nothing (export --force still removed the files of its deleted objects). */
  empty: boolean,
  options: ExportOptions,
  ctx: CommandContext,
): number {
  const { outDir, kinds, secrets, recipients, project } = options;
  const where = shown(ctx.cwd, outDir);
  const notes = planNotes(plan);
  if (result.indexProblem)
    notes.push(
      `note: the export index cannot be read (${printable(result.indexProblem)}); files of objects the server no ` +
        'longer has were not looked for. Delete the index to start it afresh.',
    );
  for (const path of result.removed)
    notes.push(`removed ${printable(shown(ctx.cwd, resolve(outDir, path)))}: its object is no longer on the server`);
  if (result.stale.length > 0)
    notes.push(
      `note: ${plural(result.stale.length, 'file')} written by an earlier export belong to objects the server no ` +
        `longer has (first: ${printable(shown(ctx.cwd, resolve(outDir, result.stale[0]!)))}); run export again with ` +
        '--force to remove them, or plan would recreate those objects.',
    );
  if (notes.length > 0) ctx.stderr.write(`${notes.join('\n')}\n`);
  if (empty) {
    ctx.stdout.write(
      `Project ${project} has no ${kinds.map((k) => descriptorOf(k).plural).join(' or ')}; ` +
        `${plural(result.removed.length, 'file')} of earlier exports removed.\n`,
    );
    return EXIT.ok;
  }
  const manifests = plan.files.filter((f) => f.type === 'manifest').length;
  const secretFiles = plan.files.filter((f) => f.type === 'secret').length;
  const counted = kinds.map((k) => plural(plan.counts[k] ?? 0, k)).join(' and ');
  const variablesNote = `${plural(plan.variables.length, 'environment variable')} to set (listed on stderr)`;
  const secretNote =
    secrets === 'file'
      ? `, ${plural(secretFiles, 'secret file')} under ${shown(ctx.cwd, resolve(outDir, 'secrets'))}/ (git-ignored)`
      : secrets === 'inline'
        ? `, the material SOPS-encrypted inline for ${plural(recipients.length, 'age recipient')} (.sops.yaml written)${plan.variables.length > 0 ? `, ${variablesNote}` : ''}`
        : `, ${variablesNote}`;
  const removedNote =
    result.removed.length > 0
      ? `; ${plural(result.removed.length, 'file')} of objects no longer on the server removed`
      : '';
  ctx.stdout.write(
    `Exported ${counted} of project ${project} to ${where}/: ${plural(manifests, 'manifest')}${secretNote}${removedNote}.\n`,
  );
  if (plan.unexpressible.length > 0) {
    ctx.stdout.write(
      `Export incomplete: ${plural(plan.unexpressible.length, 'object')} cannot be expressed as manifests (see stderr); they were not written, and plan with --prune would delete them.\n`,
    );
    return EXIT.error;
  }
  if (plan.incomplete.length > 0) {
    ctx.stdout.write(
      `Export incomplete: ${plural(plan.incomplete.length, 'secret field')} could not be exported (see stderr); plan will fail until ${plan.incomplete.length === 1 ? 'it is' : 'they are'} supplied.\n`,
    );
    return EXIT.error;
  }
  ctx.stdout.write(`Next: \`apinizer-gitops plan ${where}\` should report no changes.\n`);
  return EXIT.ok;
}

/**
 * Reads the project's Keys and Keystores (and, on a current server, their material); the exit
 * code instead when the server cannot be read, each failure said on stderr in its own words.
 */
async function readServerState(options: ExportOptions, ctx: CommandContext): Promise<ServerState | number> {
  const { conn: settings, kinds, project } = options;
  const client = clientFor(settings, { logger: commandLogger(settings, ctx.stderr), signal: ctx.signal });
  // One list call per kind (SPEC §4's reading of state), all at once; on a current server the
  // material comes from one export-file call per object and environment (SPEC §2b).
  let lists;
  let generation: ApiGeneration = 'legacy';
  let material: Awaited<ReturnType<typeof readMaterial>> = { unknown: [] };
  try {
    const g = await client.generation(project);
    if (!g.ok) {
      const e = g.error;
      ctx.stderr.write(
        `apinizer-gitops export: cannot reach project "${project}" on ${settings.server}: ${e.message}${e.hint ? ` ${asSentence(e.hint)}` : ''}\n`,
      );
      return EXIT.error;
    }
    generation = g.value;
    lists = await Promise.all(kinds.map(async (kind) => ({ kind, result: await client.list(project, kind) })));
    const missing = lists.find(
      (l) => !l.result.ok && l.result.error.kind === 'not-found' && l.result.error.status === 404,
    );
    if (missing) {
      // A 404 on the list route may be a missing project or no Manager at all (a wrong path before
      // /apiops): the environments call tells them apart, and only on this failure path.
      const envs = await client.environments(project);
      if (!envs.ok && envs.error.kind === 'protocol') {
        const e = envs.error;
        ctx.stderr.write(`apinizer-gitops export: ${e.message}. ${asSentence(e.hint)} Nothing was written.\n`);
        return EXIT.error;
      }
    }
    if (generation === 'current' && lists.every((l) => l.result.ok)) {
      const all = lists.flatMap((l) => (l.result.ok ? l.result.value : []));
      material = await readMaterial(
        all.map((current) => ({ current, environments: current.environments.map((e) => e.name) })),
        client,
        settings.concurrency,
      );
    }
  } finally {
    await client.close();
  }
  const stopped = ctx.signalName();
  if (stopped) return exitCodeForSignal(stopped);

  const resources: CurrentResource[] = [];
  for (const { kind, result } of lists) {
    if (result.ok) {
      resources.push(...result.value);
      continue;
    }
    const e = result.error;
    const what =
      e.kind === 'not-found' || e.kind === 'project-not-found'
        ? `project "${project}" was not found on ${settings.server}`
        : `cannot list the ${descriptorOf(kind).plural} of project "${project}"`;
    const message = /[.!?]$/.test(e.message) ? e.message : `${e.message}.`;
    ctx.stderr.write(`apinizer-gitops export: ${what}: ${message}${e.hint ? ` ${asSentence(e.hint)}` : ''}\n`);
    return EXIT.error;
  }

  if (material.error) {
    const e = material.error.error;
    ctx.stderr.write(
      `apinizer-gitops export: cannot read ${material.error.what}: ${e.message}${e.hint ? ` ${asSentence(e.hint)}` : ''}\nNothing was written.\n`,
    );
    return EXIT.error;
  }
  if (material.unknown.length > 0) {
    // SPEC §2b: a refused export writes nothing and says which permission it needs.
    for (const line of material.unknown)
      ctx.stderr.write(`apinizer-gitops export: ${line.replace(/; it is shown as unknown.*$/, '')}\n`);
    ctx.stderr.write('apinizer-gitops export: nothing was written.\n');
    return EXIT.error;
  }
  return { resources, generation };
}
