// The steps both watch cycles share: what a cycle is given (CycleContext), what it returns
// (CycleOutcome), writing a plan and recording each outcome, the environments preflight against the
// cached lists, the prune guard, and reporting invalid or fixed manifests.
import type { Logger } from 'pino';
import type { Result } from '../api/types.js';
import type { ResourceActions } from '../reconcile/actions.js';
import type { Clock } from '../clock.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../diagnostics.js';
import type { LoadResult } from '../manifest/load.js';
import {
  resourceKey,
  resourceLabel,
  type CurrentResource,
  type DesiredResource,
  type DesiredState,
  type ResourceId,
} from '../model.js';
import { applyPlan } from '../reconcile/apply.js';
import type { AdaptiveLimiter } from '../reconcile/concurrency.js';
import { checkEnvironments } from '../reconcile/plan.js';
import { readMaterial } from '../reconcile/material.js';
import { describePlanError, materialRequests } from '../reconcile/run-plan.js';
import { judgeExpiredMaterial } from '../reconcile/expiry.js';
import type { Plan, PlanAction, Report } from '../reconcile/types.js';
import { confirmRemovals, removalsToDelete, type RemovalDecision } from './cycle.js';
import type { CycleResult, WatchMetrics } from './metrics.js';
import type { WatchState } from './state.js';
import { plural } from '../text.js';

export type DriftMode = 'correct' | 'warn';

/** The settings a cycle acts under (from the command line). */
export interface CycleSettings {
  /** The Manager URL, for plans, reports and messages. */
  server: string;
  concurrency: number;
  prune: boolean;
  allowEmptyPrune: boolean;
  /** Projects named outside the manifests (`--project`), for `--allow-empty-prune`. */
  extraProjects: string[];
  maxDeletes: number;
  drift: DriftMode;
  /** The quiet period after which a disappeared resource is read for again before anything is done about it. */
  confirmMs: number;
}

/** Everything a cycle works with. */
export interface CycleContext {
  settings: CycleSettings;
  state: WatchState;
  /** The API; environments answers refresh `state.environments`. */
  actions: ResourceActions;
  limiter: AdaptiveLimiter;
  logger: Logger;
  clock: Clock;
  metrics: WatchMetrics;
  /** Loads and validates the manifests (through the parse cache). */
  load: () => Promise<LoadResult>;
}

export interface CycleOutcome {
  result: CycleResult;
  /** Resources examined (GET in a change cycle, planned in a full one). */
  reconciled: number;
  writes: number;
  failures: number;
  drift: number;
  /** Why the cycle did not succeed (health body). */
  reason?: string;
}

/**
 * One resource's current state on the server, for the change cycle: the one place that reads it,
 * so comparing material through another call (e.g. an export on servers that mask secrets) is a
 * change here only.
 */
export async function readCurrent(
  ctx: CycleContext,
  desired: DesiredResource,
): Promise<Result<CurrentResource | null>> {
  const got = await ctx.actions.get(desired);
  if (!got.ok || got.value === null) return got;
  // A current-generation server's reads carry no material: read it back for this resource alone.
  const generation = await ctx.actions.generation(desired.project);
  if (!generation.ok) return generation;
  const requests = materialRequests(
    { resources: [desired], projects: [desired.project] },
    [got.value],
    new Map([[desired.project, generation.value]]),
  );
  if (requests.length === 0) return got;
  const material = await readMaterial(requests, ctx.actions, 1);
  if (material.error) return { ok: false, error: material.error.error };
  for (const line of material.unknown)
    ctx.logger.warn({ kind: desired.kind, project: desired.project, name: desired.name }, line);
  return got;
}

/** Writes the plan's actions through applyPlan and records every outcome in the state and metrics. */
export async function writePlan(
  ctx: CycleContext,
  plan: Plan,
): Promise<{ writes: number; failures: number; reason?: string }> {
  if (plan.actions.length === 0) return { writes: 0, failures: 0 };
  const { settings, logger, clock, limiter } = ctx;
  const report: Report = await applyPlan(plan, ctx.actions, {
    concurrency: settings.concurrency,
    server: settings.server,
    limiter,
    logger,
    clock,
    finalRound: false, // watch's backoff retries a failed write in a later cycle
  });
  let writes = 0;
  let failures = 0;
  let reason: string | undefined;
  report.results.forEach((r, i) => {
    const a = plan.actions[i];
    if (!a) return;
    if (r.outcome !== 'skipped') {
      writes += 1;
      ctx.metrics.writes[r.outcome === 'ok' ? 'ok' : r.outcome] += 1;
    }
    const delay = ctx.state.recordWrite(a, r.outcome, clock.now());
    if (delay === null) return;
    failures += 1;
    reason ??= `${resourceLabel(a)}: ${r.error?.message ?? r.outcome}`;
    logger.warn(
      { kind: a.kind, project: a.project, name: a.name, retryInMs: delay },
      `${resourceLabel(a)}: will retry in ${seconds(delay)}`,
    );
  });
  return { writes, failures, ...(reason ? { reason } : {}) };
}

type PreflightError = { kind: string; status: number | null; text: string };

/**
 * The environments check of SPEC §4 for the resources about to be written, against the cached
 * lists: a project not seen yet is fetched once; an unknown environment is looked up once more
 * (it may have been added on the server since the last resync) before it counts as an error.
 */
export async function checkPreflight(
  ctx: CycleContext,
  resources: DesiredResource[],
): Promise<{ diagnostics: Diagnostic[] } | { error: PreflightError }> {
  if (resources.length === 0) return { diagnostics: [] };
  const environments = ctx.state.environments;
  const projects = [...new Set(resources.map((r) => r.project))];
  const fetch = async (names: string[]): Promise<PreflightError | null> => {
    for (const p of names) {
      const r = await ctx.actions.environments(p);
      if (!r.ok && r.error.kind !== 'not-found') {
        return {
          kind: r.error.kind,
          status: r.error.status,
          text: describePlanError({ error: r.error, what: `the environments of project ${p}` }, ctx.settings.server),
        };
      }
    }
    return null;
  };
  const fetched = projects.filter((p) => !environments.has(p));
  const first = await fetch(fetched);
  if (first) return { error: first };
  const state: DesiredState = { resources, projects };
  let diagnostics = checkEnvironments(state, environments);
  if (hasErrors(diagnostics)) {
    const failing = resources.filter((r) => diagnostics.some((d) => d.resource === resourceLabel(r)));
    const again = [...new Set(failing.map((r) => r.project))].filter((p) => !fetched.includes(p));
    if (again.length > 0) {
      const second = await fetch(again);
      if (second) return { error: second };
      diagnostics = checkEnvironments(state, environments);
    }
  }
  return { diagnostics };
}

/**
 * Drops removed resources from management and returns those to delete (with --prune, still in
 * prune scope). Logs what happens to each.
 */
export function forgetRemoved(ctx: CycleContext, removed: ResourceId[], next: DesiredState): ResourceId[] {
  if (removed.length === 0) return [];
  const { settings, logger } = ctx;
  const split = removalsToDelete(removed, next, settings);
  ctx.state.forget(removed);
  for (const id of split.delete)
    logger.info(
      { kind: id.kind, project: id.project, name: id.name },
      `${resourceLabel(id)}: removed from the manifests; deleting it (--prune)`,
    );
  for (const id of split.keep) {
    const why = settings.prune
      ? `no ${id.kind} manifest is left in project ${id.project}, so prune leaves it alone (--allow-empty-prune includes it)`
      : 'left on the server (use --prune to delete removed resources)';
    logger.info(
      { kind: id.kind, project: id.project, name: id.name },
      `${resourceLabel(id)}: removed from the manifests; no longer managed; ${why}`,
    );
  }
  return split.delete;
}

/**
 * Applies the confirmation rule (cycle.ts, confirmRemovals) to the resources gone in this read,
 * updates the suspects, logs what waits and what came back, and returns the decision: only
 * `confirmed` may be forgotten or deleted.
 */
export function holdRemovals(
  ctx: CycleContext,
  gone: readonly ResourceId[],
  next: DesiredState,
  confirming: boolean,
  drift?: ReadonlySet<string>,
): RemovalDecision {
  const { state, logger, settings } = ctx;
  const present = new Set(next.resources.map(resourceKey));
  const decision = confirmRemovals(state.suspects, gone, present, ctx.clock.now(), {
    confirming,
    quietMs: settings.confirmMs,
    ...(drift ? { drift } : {}),
  });
  state.suspects.clear();
  for (const [key, s] of decision.waiting) state.suspects.set(key, s);
  for (const s of decision.fresh) {
    const what = s.drift ? 'on the server but in no manifest' : 'gone from the manifests';
    const then = settings.prune ? 'deleting it (--prune)' : 'no longer managing it';
    logger.info(
      { kind: s.id.kind, project: s.id.project, name: s.id.name, confirming: true },
      `${resourceLabel(s.id)}: ${what}; reading the manifests again after ${settings.confirmMs} ms quiet before ${then}`,
    );
  }
  for (const id of decision.back)
    logger.info(
      { kind: id.kind, project: id.project, name: id.name },
      `${resourceLabel(id)}: back in the manifests (the file was caught mid-write or mid-move); nothing deleted`,
    );
  return decision;
}

/**
 * Time alone must not stop unrelated work (SPEC §2c): the writes that would send an expired
 * certificate are refused, each reported at its file:line:col; expired material the server already
 * holds is a warning. Returns the actions left to write and the refusals as failures.
 */
export function refuseExpired(
  ctx: CycleContext,
  actions: PlanAction[],
): { actions: PlanAction[]; failures: number; reason?: string } {
  if (ctx.state.expired.length === 0) return { actions, failures: 0 };
  const verdict = judgeExpiredMaterial(actions, ctx.state.expired);
  for (const d of [...verdict.warnings, ...verdict.errors]) {
    const fields = { code: d.code, location: `${d.file}:${d.line}:${d.column}`, path: d.path, resource: d.resource };
    if (d.severity === 'error') ctx.logger.error({ ...fields, refused: true }, formatDiagnostic(d));
    else ctx.logger.warn(fields, formatDiagnostic(d));
  }
  if (verdict.refused.size === 0) return { actions, failures: 0 };
  const first = verdict.errors[0];
  return {
    actions: actions.filter((a) => !verdict.refused.has(resourceKey(a))),
    failures: verdict.refused.size,
    ...(first ? { reason: formatDiagnostic(first) } : {}),
  };
}

/** The --max-deletes refusal, as a sentence (logged), or null when within the limit. */
export function deleteGuard(ctx: CycleContext, count: number): string | null {
  const max = ctx.settings.maxDeletes;
  if (count <= max) return null;
  const message = `this cycle would delete ${count} resources, more than --max-deletes ${max}; no delete was sent. If intended, restart with --max-deletes ${count}`;
  ctx.logger.error({ deletes: count, maxDeletes: max }, message);
  return message;
}

/** Reports a cycle that found errors (in the manifests, or unknown environments): nothing was written. */
export function invalid(ctx: CycleContext, diagnostics: Diagnostic[], where: 'manifests' | 'server'): CycleOutcome {
  const { state, logger } = ctx;
  state.lastLoadValid = false;
  state.reportedInvalid = true;
  for (const d of diagnostics) {
    const fields = { code: d.code, location: `${d.file}:${d.line}:${d.column}`, path: d.path, resource: d.resource };
    if (d.severity === 'error') logger.error(fields, formatDiagnostic(d));
    else logger.warn(fields, formatDiagnostic(d));
  }
  const errors = diagnostics.filter((d) => d.severity === 'error');
  const first = errors[0];
  const kept = state.lastGood
    ? `keeping the last good state (${plural(state.lastGood.resources.length, 'resource')})`
    : 'no valid state yet';
  const what = where === 'manifests' ? 'in the manifests' : 'against the server (unknown environment or project)';
  logger.error(
    { errors: errors.length },
    `${plural(errors.length, 'error')} ${what}: nothing written, nothing pruned; ${kept}; waiting for a fix`,
  );
  return {
    result: 'invalid',
    reconciled: 0,
    writes: 0,
    failures: 0,
    drift: 0,
    reason: `${plural(errors.length, 'error')} ${what}${first ? `, first: ${formatDiagnostic(first)}` : ''}`,
  };
}

/** Logs the warnings of a valid load, and that earlier errors are fixed. */
export function valid(ctx: CycleContext, diagnostics: Diagnostic[]): void {
  for (const d of diagnostics) {
    if (d.severity !== 'error')
      ctx.logger.warn(
        { code: d.code, location: `${d.file}:${d.line}:${d.column}`, path: d.path, resource: d.resource },
        formatDiagnostic(d),
      );
  }
  if (ctx.state.reportedInvalid)
    ctx.logger.info(
      { fixed: true },
      'the manifests are valid again: the errors reported earlier are fixed; reconciling',
    );
  ctx.state.reportedInvalid = false;
}

/** A load the cycle may act on: a state and no error diagnostic (an unreadable path is an error). */
export function usableLoad(load: LoadResult): load is LoadResult & { state: DesiredState } {
  return load.state !== null && !hasErrors(load.diagnostics);
}

/** A delay as a short sentence part: `1.5 s`, `40 s`. */
export function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
