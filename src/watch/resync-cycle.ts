// The full cycle: the start's apply and every periodic resync. Loads the manifests, reads the
// server through the lists (readPlan), and writes what differs; at a resync, differences that are
// not Git changes are drift, corrected or only reported (--drift). With --prune, what no manifest
// declares is deleted, never in a cycle where a manifest failed to load.
import { resourceKey, type ResourceId } from '../model.js';
import { describePlanError, readPlan } from '../reconcile/run-plan.js';
import type { PlanAction } from '../reconcile/types.js';
import { describeDrift, desiredChanges, forceWhereNeeded, splitResync, subPlan } from './cycle.js';
import { FULL_KEY } from './state.js';
import {
  deleteGuard,
  forgetRemoved,
  holdRemovals,
  invalid,
  refuseExpired,
  usableLoad,
  valid,
  writePlan,
  type CycleContext,
  type CycleOutcome,
} from './steps.js';

/**
 * Runs one full (list-based) cycle. `quiet`: no file event for a quiet period, so this fresh read
 * of every file confirms removals an earlier read saw.
 */
export async function resyncCycle(ctx: CycleContext, quiet = true): Promise<CycleOutcome> {
  const { state: watch, settings, logger, clock } = ctx;
  const isStart = !watch.startApplied;
  const load = await ctx.load();
  if (!usableLoad(load)) return invalid(ctx, load.diagnostics, 'manifests');
  const out = await readPlan(load.state, ctx.actions, {
    prune: settings.prune,
    allowEmptyPrune: settings.allowEmptyPrune,
    extraProjects: settings.extraProjects,
    server: settings.server,
    clock,
    diagnostics: load.diagnostics,
  });
  if (!out.ok && out.plan !== null) return invalid(ctx, out.diagnostics, 'server');
  if (out.plan === null) {
    watch.needsFull = true;
    watch.backoff.fail(FULL_KEY, clock.now());
    const message = describePlanError(out, settings.server);
    logger.error({ stage: out.stage, error: { kind: out.error.kind, status: out.error.status } }, message);
    return { result: 'failed', reconciled: 0, writes: 0, failures: 1, drift: 0, reason: message };
  }
  watch.backoff.clear(FULL_KEY);
  const state = load.state;
  watch.expired = load.expired ?? [];
  valid(ctx, load.diagnostics);

  // Git removals since the last good state: no longer managed; with --prune the plan deletes them.
  const removed = watch.lastGood ? desiredChanges(watch.lastGood, state).removed : [];
  const gitSuspects = [...watch.suspects].filter(([, s]) => !s.drift).map(([key]) => key);
  const owed = new Set<string>([
    ...removed.map(resourceKey),
    ...gitSuspects,
    ...watch.pendingDeletes.keys(),
    ...watch.redeploy,
  ]);

  const planned = out.plan.actions.map((a) =>
    forceWhereNeeded(a, watch.synced.get(resourceKey(a))?.resource, watch.redeploy.has(resourceKey(a))),
  );
  const split = splitResync(planned, watch.synced, owed);
  const drift = isStart ? [] : split.drift;
  if (drift.length > 0) {
    ctx.metrics.driftFound += drift.length;
    const correct = settings.drift === 'correct';
    for (const a of drift) {
      const fields = {
        drift: true,
        action: a.action,
        kind: a.kind,
        project: a.project,
        name: a.name,
        changes: a.changes.map((c) => c.path),
        corrected: correct,
      };
      logger.warn(
        fields,
        `drift: ${describeDrift(a)}${correct ? '; correcting it' : '; not corrected (--drift warn)'}`,
      );
    }
  }
  const include = new Set<PlanAction>([
    ...split.fromGit,
    ...(isStart || settings.drift === 'correct' ? split.drift : []),
  ]);
  const now = clock.now();
  let toWrite = planned.filter((a) => include.has(a) && watch.backoff.ready(resourceKey(a), now));
  for (const a of split.noop) if (a.desired) watch.markSynced(a.desired);

  // Nothing disappeared is acted on before a second read confirms it (SPEC §6): a resync is a
  // fresh read of every file, so it confirms what an earlier read missed a quiet period ago.
  const planDeletes = planned.filter((a) => include.has(a) && a.action === 'delete');
  const driftKeys = new Set(split.drift.map(resourceKey));
  const removals = holdRemovals(ctx, [...removed, ...planDeletes.map(idOf)], state, quiet, driftKeys);
  const confirmed = new Set(removals.confirmed.map((s) => resourceKey(s.id)));
  forgetRemoved(
    ctx,
    removals.confirmed.filter((s) => !s.drift).map((s) => s.id),
    state,
  );
  toWrite = toWrite.filter((a) => a.action !== 'delete' || confirmed.has(resourceKey(a)));

  // The lists just read are the truth about what is left to delete.
  watch.pendingDeletes.clear();
  const deletes = planDeletes.filter((a) => confirmed.has(resourceKey(a)));
  const guard = deleteGuard(ctx, deletes.length);
  if (guard) toWrite = toWrite.filter((a) => a.action !== 'delete');
  else for (const a of deletes) watch.pendingDeletes.set(resourceKey(a), idOf(a));

  // A write that would send an expired certificate is refused for its resource alone.
  const allowed = refuseExpired(ctx, toWrite);
  const done = await writePlan(ctx, subPlan(out.plan, allowed.actions));
  watch.accept(state);
  watch.needsFull = false;
  watch.startApplied = true;
  const failures = done.failures + allowed.failures + (guard ? 1 : 0);
  return {
    result: failures > 0 ? 'failed' : 'ok',
    reconciled: planned.length,
    writes: done.writes,
    failures,
    drift: drift.length,
    ...(guard
      ? { reason: guard }
      : allowed.reason
        ? { reason: allowed.reason }
        : done.reason
          ? { reason: done.reason }
          : {}),
  };
}

function idOf(a: PlanAction): ResourceId {
  return { kind: a.kind, project: a.project, name: a.name };
}
