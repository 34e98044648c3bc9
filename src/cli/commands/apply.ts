// `apply`: plan exactly as `plan` does, then write the plan through the API (or a saved plan,
// checked against fresh fingerprints), and report every outcome; the exit code comes from the report.
import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { hasErrors, printable, type Diagnostic } from '../../diagnostics.js';
import type { Logger } from 'pino';
import { MATERIAL_FLAGS } from '../material-flags.js';
import { applyPlan, refusedReport, reportSucceeded } from '../../reconcile/apply.js';
import { renderPlanJson, renderReportJson, reportJsonPieces } from '../../reconcile/render/json.js';
import { renderPlanText, renderReportText } from '../../reconcile/render/text.js';
import { describePlanError, errorPlan, readPlan } from '../../reconcile/run-plan.js';
import { compareWithSavedPlan, parseSavedPlan, type SavedPlan } from '../../reconcile/saved.js';
import type { Plan, Report } from '../../reconcile/types.js';
import {
  type Command,
  type CommandContext,
  type ParsedArgs,
  EXIT,
  booleanFlag,
  exitCodeForSignal,
  integerFlag,
  stringFlag,
} from '../command.js';
import { connectionOptions } from '../common.js';
import { createProgressLine, githubAnnotations, isTty, useColor, writeOutFile, writeTo } from '../output.js';
import {
  type ReconcileOptions,
  type WriteSession,
  formatFlag,
  loadForApi,
  manifestPaths,
  openWriteSession,
  planOptions,
  problemsText,
  reconcileOptions,
} from '../reconcile-common.js';

const FORMATS = ['text', 'json'] as const;
type ApplyFormat = (typeof FORMATS)[number];

/** `--max-deletes` default with `--prune` (SPEC §5). */
export const DEFAULT_MAX_DELETES = 20;

const DESCRIPTION = `Makes the server match the manifests: computes the plan exactly as \`plan\` does (nothing is
written if any manifest is invalid or an environment is unknown), then creates and updates
under a concurrency limit, then deletes (with --prune). A create answered "already exist"
becomes an update; an update answered 404 becomes a create; a delete answered 404 is done.
One resource failing does not stop the others. A sustained share of 429 answers lowers the
concurrency; transient faults are retried for every method.`;

const NOTES = `Output: with text, stdout shows the plan, then one line per resource written and a summary.
With json, stdout carries only the report (or, with --dry-run, the plan). Logs go to stderr:
one line per resource written, or a progress line when stderr is a terminal.

SIGINT/SIGTERM: nothing new starts, calls in flight get 10 s to finish, the partial report is
printed; exit 130/143. Running apply again converges.

Exit status: 0 every resource ok, 1 any error (validation, API, a failed or not deployed
resource, a refused plan), 130/143 interrupted.`;

/** `apply PATH...`: plan, guard, write, report. */
export const applyCommand: Command = {
  name: 'apply',
  summary: 'make the server match the manifests (create, update, and with --prune delete)',
  usage: 'PATH... [flags]',
  description: DESCRIPTION,
  options: {
    prune: { type: 'boolean', description: 'delete server objects no manifest declares (the scope is in plan --help)' },
    'allow-empty-prune': { type: 'boolean', description: 'with --prune, also prune kinds that have no manifests' },
    'max-deletes': {
      type: 'string',
      value: 'N',
      description: 'refuse, before any write, a plan deleting more than N resources',
      default: String(DEFAULT_MAX_DELETES),
    },
    'dry-run': { type: 'boolean', description: 'print the plan and write nothing' },
    plan: {
      type: 'string',
      value: 'FILE',
      description:
        'apply only if the plan now equals FILE, saved by `plan --format json --out FILE` with the same PATHs and ' +
        'flags',
    },
    redeploy: {
      type: 'boolean',
      description:
        'send an update for every managed resource, changed or not (to retry a deployment that failed in some ' +
        'environment)',
    },
    format: {
      type: 'string',
      value: 'text|json',
      description: 'json is the report of schemas/report.schema.json',
      default: 'text',
    },
    out: { type: 'string', value: 'FILE', description: 'write the report to FILE instead of stdout' },
    ...MATERIAL_FLAGS,
    ...connectionOptions,
  },
  examples: [
    'apinizer-gitops apply manifests/ --server https://apinizer.example.com',
    '# apply exactly the plan that was reviewed, refusing if the server or the manifests changed since',
    'apinizer-gitops apply manifests/ --plan plan.json',
    'apinizer-gitops apply manifests/ --prune --max-deletes 5 --format json --out report.json',
  ],
  notes: NOTES,
  async run(args, ctx) {
    return apply(parseApplyOptions(args, ctx), ctx);
  },
};

/** What `apply` is asked to do, parsed from argv, the environment and the config file. */
export interface ApplyOptions extends ReconcileOptions {
  format: ApplyFormat;
  out: string | undefined;
  maxDeletes: number;
  dryRun: boolean;
  redeploy: boolean;
  /** --plan FILE: apply only if the plan still equals this saved one. */
  planFile: string | undefined;
}

/** The options of `apply`; a bad value is a UsageError naming its flag, variable or file. */
export function parseApplyOptions(args: ParsedArgs, ctx: Pick<CommandContext, 'env' | 'cwd'>): ApplyOptions {
  const paths = manifestPaths(args); // a missing PATH is a usage error before anything else
  const format = formatFlag(args, FORMATS);
  const out = stringFlag(args, 'out');
  const maxDeletes = integerFlag(args, 'max-deletes', DEFAULT_MAX_DELETES, 0, 1_000_000);
  const dryRun = booleanFlag(args, 'dry-run');
  const redeploy = booleanFlag(args, 'redeploy');
  const planFile = stringFlag(args, 'plan');
  return { ...reconcileOptions(args, paths, ctx), format, out, maxDeletes, dryRun, redeploy, planFile };
}

/** `apply` itself: check a saved plan, load, plan, guard, write, report; the exit code comes from the report. */
export async function apply(options: ApplyOptions, ctx: CommandContext): Promise<number> {
  const { conn, planFile, format, out } = options;
  const say = (text: string) => writeTo(ctx.stderr, `apinizer-gitops apply: ${text}\n`);
  // With --format json, stdout (or --out) holds one report (with --dry-run: one plan, its errors
  // included) even when the run stops before any write: a pipeline that parses it must not meet
  // an empty stdout.
  const stoppedEarly = async (report: Report, plan: Plan): Promise<void> => {
    if (format !== 'json') return;
    if (options.dryRun)
      await emit(renderPlanJson(plan), () => renderPlanText(plan, { color: false }), format, out, ctx);
    else await emitReport(report, format, out, ctx);
  };

  // The saved plan is read and checked first: a missing, oversized or malformed file is a mistake
  // to report before any work (and before any API call), in its own words.
  let saved: SavedPlan | undefined;
  if (planFile !== undefined) {
    const read = await readSavedPlan(planFile, ctx.cwd);
    if (!read.ok) {
      await say(read.message);
      return EXIT.error;
    }
    saved = read.value;
  }

  const load = await loadForApi(options, ctx);
  if (load.state === null || hasErrors(load.diagnostics)) {
    await writeTo(
      ctx.stderr,
      problemsText(load.diagnostics, 'load', 'apply') + githubAnnotations(load.diagnostics, ctx.env),
    );
    await stoppedEarly(emptyReport(conn.server), errorPlan(load.diagnostics, { server: conn.server }));
    return EXIT.error;
  }

  const session = openWriteSession(conn, ctx.stderr);
  const { client, inFlight } = session;
  // While planning a signal aborts the calls at once (nothing is written); while applying, only
  // after the grace period (applyPlan decides).
  let applying = false;
  const onSignal = () => {
    if (!applying) inFlight.abort(ctx.signal.reason);
  };
  ctx.signal.addEventListener('abort', onSignal, { once: true });
  try {
    const outcome = await readPlan(load.state, client, planOptions(options, load));
    const signal = ctx.signalName();
    // Interrupted while planning: nothing was written; the (empty or all-skipped) report still
    // shows it, as a signal during the writes does (SPEC §5: print the partial report).
    const interruptedBeforeWrites = async (plan: Plan | null, name: 'SIGINT' | 'SIGTERM'): Promise<number> => {
      const base =
        plan === null
          ? emptyReport(conn.server)
          : refusedReport(
              plan,
              {
                kind: 'interrupted',
                message: `not attempted: ${name} arrived before any write`,
                hint: 'Run apply again; it converges.',
              },
              conn.server,
            );
      await emitReport({ ...base, interrupted: true }, format, out, ctx);
      return exitCodeForSignal(name);
    };
    if (outcome.plan === null) {
      if (signal) return interruptedBeforeWrites(null, signal);
      const message = describePlanError(outcome, conn.server);
      await say(message);
      const failure: Diagnostic = {
        code: 'api-error',
        severity: 'error',
        message,
        file: '',
        line: 0,
        column: 0,
        path: '',
      };
      await stoppedEarly(emptyReport(conn.server), errorPlan([failure], { server: conn.server }));
      return EXIT.error;
    }
    if (!outcome.ok) {
      await writeTo(
        ctx.stderr,
        problemsText(outcome.diagnostics, 'preflight', 'apply') + githubAnnotations(outcome.diagnostics, ctx.env),
      );
      const errors = outcome.diagnostics.filter((d) => d.severity === 'error').length;
      await stoppedEarly(
        refusedReport(
          outcome.plan,
          {
            kind: 'preflight',
            message: `not attempted: ${errors === 1 ? '1 error' : `${errors} errors`} found against the server (listed on stderr)`,
            hint: 'Fix the manifests named on stderr and run apply again.',
          },
          conn.server,
        ),
        outcome.plan,
      );
      return EXIT.error;
    }
    if (signal) return interruptedBeforeWrites(outcome.plan, signal);
    const refused = await refusal(outcome.plan, saved, options, ctx, session.logger);
    if (refused !== undefined) return refused;
    applying = true;
    return await writePlan(outcome.plan, session, options, ctx);
  } finally {
    ctx.signal.removeEventListener('abort', onSignal);
    await client.close();
  }
}

/**
 * The exit code when the plan is not to be written: it differs from the saved plan, it is a dry
 * run, or it deletes more than --max-deletes (each reported as it always was); else undefined.
 */
async function refusal(
  plan: Plan,
  saved: SavedPlan | undefined,
  options: ApplyOptions,
  ctx: CommandContext,
  logger: Logger,
): Promise<number | undefined> {
  const { conn, format, out, planFile, maxDeletes } = options;
  const say = (text: string) => writeTo(ctx.stderr, `apinizer-gitops apply: ${text}\n`);
  if (saved !== undefined) {
    const differences = compareWithSavedPlan(saved, plan);
    if (differences.length > 0) {
      // A refused plan is still reported (every change skipped), so a CI artifact shows why.
      const report = refusedReport(
        plan,
        {
          kind: 'plan-changed',
          message: `not attempted: the plan differs from the saved plan ${planFile ?? ''}`,
          hint: 'Review the new plan and save it again.',
        },
        conn.server,
      );
      await emitReport(report, format, out, ctx);
      await say(
        `the plan now differs from the saved plan ${planFile ?? ''}, so nothing was written:\n${differences.map((d) => `  - ${d}`).join('\n')}\n` +
          'Review the changes with `apinizer-gitops plan`, save a new plan, and apply that.',
      );
      return EXIT.error;
    }
  }

  const tooManyDeletes = plan.summary.delete > maxDeletes;
  const deletesRefused = `the plan deletes ${plan.summary.delete} ${plan.summary.delete === 1 ? 'resource' : 'resources'}, more than --max-deletes ${maxDeletes}`;
  const raiseLimit = `If these deletes are intended, run again with --max-deletes ${plan.summary.delete}.`;
  if (options.dryRun) {
    if (tooManyDeletes) await say(`note: apply would refuse this plan: ${deletesRefused}. ${raiseLimit}`);
    const rendered = format === 'json' ? renderPlanJson(plan) : renderPlanText(plan, { color: false });
    return (await emit(
      rendered,
      () => renderPlanText(plan, { color: useColor(ctx.stdout, ctx.env) }),
      format,
      out,
      ctx,
    ))
      ? EXIT.ok
      : EXIT.error;
  }

  // stdout is for people unless it carries the JSON report: then it holds that document only.
  const stdoutIsText = format === 'text' || out !== undefined;
  if (stdoutIsText) await writeTo(ctx.stdout, `${renderPlanText(plan, { color: useColor(ctx.stdout, ctx.env) })}\n`);
  logger.info(
    { summary: plan.summary },
    `plan: ${plan.summary.create} to create, ${plan.summary.update} to update, ${plan.summary.delete} to delete, ${plan.summary.noop} unchanged`,
  );
  if (tooManyDeletes) {
    const report = refusedReport(
      plan,
      { kind: 'max-deletes', message: `not attempted: ${deletesRefused}`, hint: `Check the plan. ${raiseLimit}` },
      conn.server,
    );
    await emitReport(report, format, out, ctx);
    await say(`${deletesRefused}; nothing was written. ${raiseLimit}`);
    return EXIT.error;
  }
  return undefined;
}
/** Writes the plan (a signal that arrived since planning: applyPlan sees it and starts nothing) and reports. */
async function writePlan(
  plan: Plan,
  session: WriteSession,
  options: ApplyOptions,
  ctx: CommandContext,
): Promise<number> {
  const { conn } = options;
  const { logger, client, limiter, inFlight } = session;
  const progress = isTty(ctx.stderr) && conn.logFormat !== 'json' ? createProgressLine(ctx.stderr) : null;
  const report = await applyPlan(plan, client, {
    concurrency: conn.concurrency,
    signal: ctx.signal,
    server: conn.server,
    limiter,
    redeploy: options.redeploy,
    abortInFlight: () => inFlight.abort(ctx.signal.reason),
    ...(progress ? { onProgress: (p) => progress.update(p) } : { logger }),
  });
  progress?.clear();
  const written = await emitReport(report, options.format, options.out, ctx);
  const after = ctx.signalName();
  if (after) return exitCodeForSignal(after);
  return reportSucceeded(report) && written ? EXIT.ok : EXIT.error;
}

/** The report of a run that stopped before it had a plan: nothing attempted, nothing written. */
function emptyReport(server: string): Report {
  const now = new Date().toISOString();
  return {
    results: [],
    summary: { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0, notDeployed: 0, skipped: 0 },
    interrupted: false,
    server,
    startedAt: now,
    finishedAt: now,
  };
}

/** The report in its format to --out or stdout (see `emit`). False when --out could not be written. */
async function emitReport(
  report: Report,
  format: ApplyFormat,
  out: string | undefined,
  ctx: CommandContext,
): Promise<boolean> {
  if (format === 'json' && out === undefined) {
    // Piece by piece: the whole document of a large run, and its copy for the write, at once were
    // the peak of its memory (about 10 MB of peak RSS at 10,000 resources).
    for (const piece of reportJsonPieces(report)) await writeTo(ctx.stdout, piece);
    return true;
  }
  const rendered = format === 'json' ? renderReportJson(report) : renderReportText(report, { color: false });
  return emit(rendered, () => renderReportText(report, { color: useColor(ctx.stdout, ctx.env) }), format, out, ctx);
}

/**
 * Without --out, the --format rendering goes to stdout (text in colour on a terminal). With --out,
 * FILE gets the rendering and stdout the text, as `plan --out` does, so a CI log still shows it.
 */
async function emit(
  rendered: string,
  human: () => string,
  format: ApplyFormat,
  out: string | undefined,
  ctx: CommandContext,
): Promise<boolean> {
  if (out === undefined) {
    await writeTo(ctx.stdout, format === 'text' ? human() : rendered);
    return true;
  }
  const error = await writeOutFile(out, rendered, ctx.cwd);
  if (error) await writeTo(ctx.stderr, `apinizer-gitops apply: ${error}\n`);
  await writeTo(ctx.stdout, human());
  return error === null;
}

/** A saved plan larger than this is not one `plan` wrote (a 10,000-resource plan is a few MB). */
export const MAX_SAVED_PLAN_BYTES = 64 * 1024 * 1024;

/** The plan saved by `plan --format json --out FILE`, checked, or a sentence saying why not. */
async function readSavedPlan(
  file: string,
  cwd: string,
): Promise<{ ok: true; value: SavedPlan } | { ok: false; message: string }> {
  const remake = `save a plan with \`apinizer-gitops plan PATH... --format json --out ${printable(file)}\``;
  let text: string;
  try {
    // Read at most one byte past the limit: a 200 MB file is refused without being read whole.
    const handle = await open(resolve(cwd, file), 'r');
    try {
      const info = await handle.stat();
      if (!info.isFile()) return { ok: false, message: `--plan ${printable(file)}: not a file; ${remake}` };
      const buffer = Buffer.alloc(Math.min(info.size, MAX_SAVED_PLAN_BYTES) + 1);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      if (bytesRead > MAX_SAVED_PLAN_BYTES || info.size > MAX_SAVED_PLAN_BYTES) {
        return {
          ok: false,
          message:
            `--plan ${printable(file)}: ${info.size} bytes, larger than a saved plan can be ` +
            `(${MAX_SAVED_PLAN_BYTES / 1024 / 1024} MiB); is it the right file? ${remake}`,
        };
      }
      text = buffer.subarray(0, bytesRead).toString('utf8');
    } finally {
      await handle.close();
    }
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      ok: false,
      message: `--plan ${printable(file)}: ${code === 'ENOENT' ? 'no such file' : printable((err as Error).message)}`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(text) as unknown;
  } catch {
    return { ok: false, message: `--plan ${printable(file)}: not a JSON document; ${remake}` };
  }
  const parsed = parseSavedPlan(json);
  if (typeof parsed === 'string') return { ok: false, message: `--plan ${printable(file)}: ${printable(parsed)}` };
  return { ok: true, value: parsed };
}
