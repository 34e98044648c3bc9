// The wiring written once for the commands that reconcile (plan, apply, watch) and the one that
// reads the server (export): the options every reconcile command shares, the logger, the API
// client (with the adaptive limiter for the commands that write), the load with material checks,
// the plan options, and how problems found before any write are printed. The commands only
// orchestrate; each decides its own flags and what it does with these parts.
import type { Logger } from 'pino';
import { createApiClient, type ApiClient } from '../api/client.js';
import { resolveConnection, type ConnectionSettings } from './connection.js';
import type { AnswerEvent } from '../api/types.js';
import { formatDiagnosticLines, type Diagnostic } from '../diagnostics.js';
import { createLogger } from '../log.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { createAdaptiveLimiter, type AdaptiveLimiter } from '../reconcile/concurrency.js';
import type { PlanOptions } from '../reconcile/run-plan.js';
import { type CommandContext, type ParsedArgs, UsageError, booleanFlag, stringFlag } from './command.js';
import { materialCheckOptions, materialFlags, type MaterialFlags } from './material-flags.js';

/** The options plan, apply and watch share: what to read, what to prune, material checks, the server. */
export interface ReconcileOptions {
  paths: string[];
  prune: boolean;
  allowEmptyPrune: boolean;
  /** Undefined with --skip-material-checks. */
  material: MaterialFlags | undefined;
  conn: ConnectionSettings;
}

/**
 * The shared options, parsed after a command's own flags (so its usage errors keep their order):
 * the connection (flag > variable > config file), then the material flags.
 */
export function reconcileOptions(
  args: ParsedArgs,
  paths: string[],
  ctx: Pick<CommandContext, 'env' | 'cwd'>,
): ReconcileOptions {
  const conn = resolveConnection(args, ctx.env, ctx.cwd);
  return {
    paths,
    prune: booleanFlag(args, 'prune'),
    allowEmptyPrune: booleanFlag(args, 'allow-empty-prune'),
    material: materialFlags(args),
    conn,
  };
}

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

/** The logger of a command that talks to the API: stderr, at the level and format the settings ask for. */
export function commandLogger(conn: ConnectionSettings, stderr: NodeJS.WritableStream): Logger {
  return createLogger({
    level: conn.logLevel,
    ...(conn.logFormat ? { format: conn.logFormat } : {}),
    destination: stderr,
  });
}

/** What a writing command (apply, watch) talks to the API through. */
export interface WriteSession {
  logger: Logger;
  limiter: AdaptiveLimiter;
  client: ApiClient;
  /** Aborts the calls in flight; the command decides when (apply and watch wait out a grace period). */
  inFlight: AbortController;
}

/**
 * The logger, the adaptive limiter (which logs each change of concurrency) and the client whose
 * every answer feeds the limiter: the same for apply and watch, so both slow down alike under 429s.
 */
export function openWriteSession(conn: ConnectionSettings, stderr: NodeJS.WritableStream): WriteSession {
  const logger = commandLogger(conn, stderr);
  const limiter = createAdaptiveLimiter(conn.concurrency, {
    onChange: (c) =>
      logger.warn(
        { from: c.from, to: c.to, reason: c.reason },
        c.reason === 'rate-limited'
          ? `the API is rate limiting: concurrency lowered to ${c.to}`
          : `concurrency raised to ${c.to}`,
      ),
  });
  // Calls in flight are aborted through this, not the command's signal: a signal must first let
  // the writes in flight finish.
  const inFlight = new AbortController();
  const client = clientFor(conn, { logger, signal: inFlight.signal, onAnswer: (e) => limiter.onAnswer(e) });
  return { logger, limiter, client, inFlight };
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
export function loadForApi(options: ReconcileOptions, ctx: Pick<CommandContext, 'env' | 'cwd'>): Promise<LoadResult> {
  const material = materialCheckOptions(options.material, new Date());
  return loadManifests(options.paths, {
    cwd: ctx.cwd,
    env: ctx.env,
    ...(options.conn.project !== undefined ? { defaultProject: options.conn.project } : {}),
    // Time alone must not stop unrelated work: the plan judges expired certificates (SPEC §2c).
    ...(material ? { material: { ...material, expiry: 'per-write' as const } } : {}),
  });
}

/** What `readPlan` needs from the options and the load, the same for plan and apply. */
export function planOptions(
  options: ReconcileOptions,
  load: LoadResult,
): PlanOptions & { diagnostics: LoadResult['diagnostics'] } {
  const { conn } = options;
  return {
    prune: options.prune,
    allowEmptyPrune: options.allowEmptyPrune,
    extraProjects: conn.project !== undefined ? [conn.project] : [],
    server: conn.server,
    diagnostics: load.diagnostics,
    concurrency: conn.concurrency,
    certificates: load.certificates ?? [],
    ...(load.expired ? { expired: load.expired } : {}),
    generationForced: conn.apiGeneration !== undefined,
  };
}
