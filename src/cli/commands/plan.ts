// `plan`: load and validate the manifests, read the server, and print the plan (text, JSON or
// markdown), or save it for `apply --plan`. Never writes to the API.
import { resolve } from 'node:path';
import { hasErrors } from '../../diagnostics.js';
import { MATERIAL_FLAGS } from '../material-flags.js';
import { hasChanges } from '../../reconcile/render/common.js';
import { renderPlanJson } from '../../reconcile/render/json.js';
import { renderPlanMarkdown } from '../../reconcile/render/markdown.js';
import { renderPlanText } from '../../reconcile/render/text.js';
import { describePlanError, errorPlan, readPlan } from '../../reconcile/run-plan.js';
import type { Plan } from '../../reconcile/types.js';
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
import { appendStepSummary, githubAnnotations, useColor, writeOutFile, writeTo } from '../output.js';
import {
  type ReconcileOptions,
  clientFor,
  commandLogger,
  formatFlag,
  loadForApi,
  manifestPaths,
  planOptions,
  problemsText,
  reconcileOptions,
} from '../reconcile-common.js';

const FORMATS = ['text', 'json', 'markdown'] as const;
type PlanFormat = (typeof FORMATS)[number];

const DESCRIPTION = `Shows what apply would do: loads and validates every manifest under PATH (no API call if any is
invalid), checks that every environment named exists (one call per project), reads the server's
Keys and Keystores (one list call per project and kind the manifests touch) and prints the
create / update / delete / no-op actions. Never writes to the API. No secret is ever printed.`;

const NOTES = `GitHub Actions: with GITHUB_STEP_SUMMARY set the markdown plan is appended there; with
GITHUB_ACTIONS=true problems are also printed as ::error annotations (stdout with text,
stderr with json/markdown).

Exit status: 0 success (also with changes), 2 changes with --detailed-exitcode, 1 any error,
130/143 interrupted.`;

/** `plan PATH...`: compute the plan against the API and render it; never writes. */
export const planCommand: Command = {
  name: 'plan',
  summary: 'show what apply would change (text, json or pull-request markdown); writes nothing',
  usage: 'PATH... [flags]',
  description: DESCRIPTION,
  options: {
    format: {
      type: 'string',
      value: 'text|json|markdown',
      description: 'json (schemas/plan.schema.json) is what apply --plan takes; markdown is a pull-request comment',
      default: 'text',
    },
    out: {
      type: 'string',
      value: 'FILE',
      description: 'write the --format output to FILE; stdout then shows the plan as text',
    },
    'json-out': {
      type: 'string',
      value: 'FILE',
      description:
        'also write the plan as JSON (what apply --plan takes) to FILE, whatever --format is: one plan, two ' +
        'documents, e.g. the pull-request markdown and the JSON to apply after the merge',
    },
    'detailed-exitcode': { type: 'boolean', description: 'exit 2 when the plan has changes (0: none, 1: error)' },
    prune: {
      type: 'boolean',
      description:
        'also plan deletes of server objects no manifest declares, in the (project, kind) pairs the manifests ' +
        'hold at least one resource of',
    },
    'allow-empty-prune': {
      type: 'boolean',
      description:
        'with --prune, also prune both kinds of every project named, even a kind with no manifests (can delete ' +
        'everything there)',
    },
    ...MATERIAL_FLAGS,
    ...connectionOptions,
  },
  examples: [
    'apinizer-gitops plan manifests/ --server https://apinizer.example.com',
    '# save the plan for review, then apply exactly that plan',
    'apinizer-gitops plan manifests/ --format json --out plan.json',
    'apinizer-gitops plan manifests/ --prune --format markdown --out plan.md',
  ],
  notes: NOTES,
  async run(args, ctx) {
    return plan(parsePlanOptions(args, ctx), ctx);
  },
};

/** What `plan` is asked to do, parsed from argv, the environment and the config file. */
export interface PlanCommandOptions extends ReconcileOptions {
  format: PlanFormat;
  out: string | undefined;
  jsonOut: string | undefined;
  detailedExitcode: boolean;
}

/** The options of `plan`; a bad value is a UsageError naming its flag, variable or file. */
export function parsePlanOptions(args: ParsedArgs, ctx: Pick<CommandContext, 'env' | 'cwd'>): PlanCommandOptions {
  const paths = manifestPaths(args); // a missing PATH is a usage error before anything else
  const format = formatFlag(args, FORMATS);
  const out = stringFlag(args, 'out');
  const jsonOut = stringFlag(args, 'json-out');
  if (out !== undefined && jsonOut !== undefined && resolve(ctx.cwd, out) === resolve(ctx.cwd, jsonOut)) {
    throw new UsageError(`--out and --json-out both name ${out}: give two files`);
  }
  return {
    ...reconcileOptions(args, paths, ctx),
    format,
    out,
    jsonOut,
    detailedExitcode: booleanFlag(args, 'detailed-exitcode'),
  };
}

/** `plan` itself: load, read the server, render; the exit code says whether (and what) it found. */
export async function plan(options: PlanCommandOptions, ctx: CommandContext): Promise<number> {
  const { conn, format, out, jsonOut } = options;
  // 1. Every manifest, before any API call: one bad document means no plan at all.
  const load = await loadForApi(options, ctx);
  if (load.state === null || hasErrors(load.diagnostics)) {
    const problems = problemsText(load.diagnostics, 'load', 'plan');
    await emitPlan(errorPlan(load.diagnostics, { server: conn.server }), { format, out, jsonOut, ctx, problems });
    return EXIT.error;
  }

  // 2. Preflight and lists.
  const client = clientFor(conn, { logger: commandLogger(conn, ctx.stderr), signal: ctx.signal });
  let outcome;
  try {
    outcome = await readPlan(load.state, client, planOptions(options, load));
  } finally {
    await client.close();
  }
  const signal = ctx.signalName();
  if (outcome.plan === null) {
    if (signal) return exitCodeForSignal(signal);
    const message = describePlanError(outcome, conn.server);
    await writeTo(ctx.stderr, `apinizer-gitops plan: ${message}\n`);
    await emitFailedPlan(message, { format, out, jsonOut, ctx, server: conn.server });
    return EXIT.error;
  }
  const problems = outcome.ok ? undefined : problemsText(outcome.diagnostics, 'preflight', 'plan');
  const written = await emitPlan(outcome.plan, {
    format,
    out,
    jsonOut,
    ctx,
    ...(problems !== undefined ? { problems } : {}),
  });
  if (signal) return exitCodeForSignal(signal);
  if (!outcome.ok || !written) return EXIT.error;
  if (options.detailedExitcode && hasChanges(outcome.plan.summary)) return EXIT.changes;
  return EXIT.ok;
}

/**
 * A plan that could not be made because the server could not be read: wherever a JSON or markdown
 * plan was asked for (stdout with --format json|markdown, --out, --json-out, the GitHub step
 * summary), one document with the error (no file: the server is the cause), so a pipeline that
 * parses it, and a reviewer reading the pull-request comment, finds why, never an empty stdout or an
 * empty plan that reads like "no changes". The text form is the message on stderr, as before.
 */
async function emitFailedPlan(
  message: string,
  options: {
    format: PlanFormat;
    out: string | undefined;
    jsonOut: string | undefined;
    ctx: CommandContext;
    server: string;
  },
): Promise<void> {
  const { format, out, jsonOut, ctx, server } = options;
  const plan = errorPlan([{ code: 'api-error', severity: 'error', message, file: '', line: 0, column: 0, path: '' }], {
    server,
  });
  const json = renderPlanJson(plan);
  const markdown = renderPlanMarkdown(plan);
  const document = format === 'json' ? json : format === 'markdown' ? markdown : undefined;
  const files: [string, string | undefined, string | undefined][] = [
    ['--out', out, document],
    ['--json-out', jsonOut, json],
  ];
  for (const [flag, file, text] of files) {
    if (file === undefined || text === undefined) continue;
    const error = await writeOutFile(file, text, ctx.cwd, flag);
    if (error) await writeTo(ctx.stderr, `apinizer-gitops plan: ${error}\n`);
  }
  if (document !== undefined && out === undefined) await writeTo(ctx.stdout, document);
  const summaryError = await appendStepSummary(markdown, ctx.env);
  if (summaryError) await writeTo(ctx.stderr, `apinizer-gitops plan: warning: ${summaryError}\n`);
}

interface EmitOptions {
  format: PlanFormat;
  out: string | undefined;
  /** --json-out: a second file with the same plan as JSON. */
  jsonOut: string | undefined;
  ctx: CommandContext;
  /** Set when the plan could not be made: printed instead of the text plan. */
  problems?: string;
}

/**
 * Writes the plan where it belongs: the --format rendering to stdout, or to --out with the text
 * plan on stdout (as `terraform plan -out` shows what it saved); the markdown to the GitHub step
 * summary; annotations for problems; the JSON to --json-out as well. Returns false when --out or
 * --json-out could not be written.
 */
async function emitPlan(plan: Plan, options: EmitOptions): Promise<boolean> {
  const { format, out, jsonOut, ctx, problems } = options;
  const human = (color: boolean) => problems ?? renderPlanText(plan, { color });
  const rendered = (): string =>
    format === 'json' ? renderPlanJson(plan) : format === 'markdown' ? renderPlanMarkdown(plan) : human(false);
  const stdoutIsText = out !== undefined || format === 'text';
  const notes = githubAnnotations(plan.diagnostics, ctx.env);

  let ok = true;
  const files: [string, string | undefined, () => string][] = [
    ['--out', out, rendered],
    ['--json-out', jsonOut, () => renderPlanJson(plan)],
  ];
  for (const [flag, file, render] of files) {
    if (file === undefined) continue;
    const error = await writeOutFile(file, render(), ctx.cwd, flag);
    if (error) {
      ok = false;
      await writeTo(ctx.stderr, `apinizer-gitops plan: ${error}\n`);
    }
  }
  if (stdoutIsText) {
    await writeTo(ctx.stdout, human(useColor(ctx.stdout, ctx.env)) + notes);
  } else {
    await writeTo(ctx.stdout, rendered());
    // stdout carries a document; people reading the job log still need the problems.
    await writeTo(ctx.stderr, (problems ?? '') + notes);
  }
  const summaryError = await appendStepSummary(() => renderPlanMarkdown(plan), ctx.env);
  if (summaryError) await writeTo(ctx.stderr, `apinizer-gitops plan: warning: ${summaryError}\n`);
  return ok;
}
