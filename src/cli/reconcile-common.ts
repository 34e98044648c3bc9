// Glue shared by the plan and apply commands: flags, the API client wired to the logger and the
// adaptive limiter, and how problems found before any write are printed.
import type { Logger } from 'pino';
import { createApiClient, type ApiClient } from '../api/client.js';
import type { ConnectionSettings } from './connection.js';
import type { AnswerEvent } from '../api/types.js';
import { formatDiagnosticLines, type Diagnostic } from '../diagnostics.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import type { PlanOptions } from '../reconcile/run-plan.js';
import { type ParsedArgs, UsageError, booleanFlag, stringFlag } from './command.js';
import { materialCheckOptions } from './material-flags.js';

/** The PATH arguments; at least one is required. */
export function manifestPaths(args: ParsedArgs): string[] {
  if (args.positionals.length === 0)
    throw new UsageError('give at least one PATH (a manifest file or a folder of them)');
  return args.positionals;
}

/** `--format`, one of `allowed` (the first is the default). */
export function formatFlag<T extends string>(args: ParsedArgs, allowed: readonly T[]): T {
  const raw = stringFlag(args, 'format') ?? allowed[0];
  if (!allowed.includes(raw as T))
    throw new UsageError(`--format must be ${allowed.join(', ').replace(/, ([^,]*)$/, ' or $1')}, got "${raw}"`);
  return raw as T;
}

/** The API client for a command, logging through `logger` and reporting every answer to `onAnswer` (the limiter). */
export function clientFor(
  conn: ConnectionSettings,
  options: { logger: Logger; signal: AbortSignal; onAnswer?: (e: AnswerEvent) => void },
): ApiClient {
  return createApiClient({
    server: conn.server,
    auth: conn.auth,
    concurrency: conn.concurrency,
    timeoutMs: conn.timeoutMs,
    attempts: conn.attempts,
    allowInsecureHttp: conn.allowInsecureHttp,
    ...(conn.caFile !== undefined ? { caFile: conn.caFile } : {}),
    ...(conn.apiGeneration !== undefined ? { apiGeneration: conn.apiGeneration } : {}),
    logger: options.logger,
    signal: options.signal,
    ...(options.onAnswer ? { onAnswer: options.onAnswer } : {}),
  });
}

/**
 * Problems that stopped a run before any write, as `validate` prints them: one line per
 * diagnostic (many alike grouped), then a sentence saying what was (not) done.
 */
export function problemsText(diagnostics: readonly Diagnostic[], stage: 'load' | 'preflight', command: string): string {
  const lines = formatDiagnosticLines(diagnostics);
  const errors = diagnostics.filter((d) => d.severity === 'error').length;
  const what =
    stage === 'load'
      ? `${errors === 1 ? '1 error' : `${errors} errors`} in the manifests; no API call was made`
      : `${errors === 1 ? '1 error' : `${errors} errors`} found against the server; nothing was written`;
  lines.push(`${command} stopped: ${what}.`);
  return `${lines.join('\n')}\n`;
}

/** The manifests of PATHs for a command that goes on to the API: material checks as the flags say. */
export function loadForApi(
  args: ParsedArgs,
  conn: ConnectionSettings,
  ctx: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<LoadResult> {
  const material = materialCheckOptions(args, new Date());
  return loadManifests(manifestPaths(args), {
    cwd: ctx.cwd,
    env: ctx.env,
    ...(conn.project !== undefined ? { defaultProject: conn.project } : {}),
    // Time alone must not stop unrelated work: the plan judges expired certificates (SPEC §2c).
    ...(material ? { material: { ...material, expiry: 'per-write' as const } } : {}),
  });
}

/** What `readPlan` needs from the flags, the connection and the load, the same for plan and apply. */
export function planOptions(
  args: ParsedArgs,
  conn: ConnectionSettings,
  load: LoadResult,
): PlanOptions & { diagnostics: LoadResult['diagnostics'] } {
  return {
    prune: booleanFlag(args, 'prune'),
    allowEmptyPrune: booleanFlag(args, 'allow-empty-prune'),
    extraProjects: conn.project !== undefined ? [conn.project] : [],
    server: conn.server,
    diagnostics: load.diagnostics,
    concurrency: conn.concurrency,
    certificates: load.certificates ?? [],
    ...(load.expired ? { expired: load.expired } : {}),
    generationForced: conn.apiGeneration !== undefined,
  };
}
