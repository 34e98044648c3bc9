// The change cycle: after files changed (or a retry came due), reconcile only what differs from
// the version known to be on the server, with one GET and at most one write each, and no list
// call. Removals are dropped from management, or deleted under --prune. Nothing is written, and
// nothing pruned, unless the manifests loaded without an error and passed the environments check.
import type { Diagnostic } from '../diagnostics.js';
import { resourceKey, resourceLabel, type DesiredState, type ResourceId } from '../model.js';
import { desiredChanges, incrementalPlan, subPlan, type Fetched } from './cycle.js';
import {
  checkPreflight,
  deleteGuard,
  forgetRemoved,
  holdRemovals,
  invalid,
  readCurrent,
  refuseExpired,
  seconds,
  usableLoad,
  valid,
  writePlan,
  type CycleContext,
  type CycleOutcome,
} from './steps.js';

/**
 * Runs one change cycle. With `reload`, the manifests are read again first (files changed);
 * without, the last good state is retried (a backoff came due). `confirming`: this read re-read
 * every file after a quiet period, so removals suspected earlier and still gone are confirmed.
 */
export async function changeCycle(ctx: CycleContext, reload: boolean, confirming = false): Promise<CycleOutcome> {
  const { state: watch, logger, clock } = ctx;
  let state: DesiredState | null = watch.lastGood;
  let warnings: Diagnostic[] = [];
  if (reload) {
    const load = await ctx.load();
    if (!usableLoad(load)) return invalid(ctx, load.diagnostics, 'manifests');
    state = load.state;
    warnings = load.diagnostics;
    watch.expired = load.expired ?? [];
  }
  if (state === null) return { result: 'ok', reconciled: 0, writes: 0, failures: 0, drift: 0 };

  // Decide everything before changing any state: a preflight error leaves it all as it was.
  const { removed } = desiredChanges(watch.lastGood, state);
  const candidates = watch.pending(state);
  const preflight = await checkPreflight(ctx, candidates);
  if ('error' in preflight) {
    logger.error({ error: { kind: preflight.error.kind, status: preflight.error.status } }, preflight.error.text);
    for (const r of candidates) watch.backoff.fail(resourceKey(r), clock.now());
    return { result: 'failed', reconciled: 0, writes: 0, failures: 1, drift: 0, reason: preflight.error.text };
  }
  if (preflight.diagnostics.some((d) => d.severity === 'error')) return invalid(ctx, preflight.diagnostics, 'server');
  valid(ctx, warnings);

  // Gone resources are acted on only once confirmed; until then they stay managed as they were.
  const removals = holdRemovals(ctx, removed, state, confirming && reload);
  const toDelete = forgetRemoved(
    ctx,
    removals.confirmed.map((s) => s.id),
    state,
  );
  for (const id of toDelete) watch.pendingDeletes.set(resourceKey(id), id);
  for (const r of state.resources) watch.pendingDeletes.delete(resourceKey(r)); // re-added before its delete ran
  const now = clock.now();
  const ready = candidates.filter((r) => watch.backoff.ready(resourceKey(r), now));
  let deletes: ResourceId[] = [...watch.pendingDeletes.values()].filter((id) =>
    watch.backoff.ready(resourceKey(id), now),
  );
  const guard = deleteGuard(ctx, deletes.length);
  if (guard) {
    for (const id of deletes) watch.pendingDeletes.delete(resourceKey(id));
    deletes = [];
  }

  // One read per resource, under the same limit as the writes.
  let failures = guard ? 1 : 0;
  let firstFailure: string | undefined = guard ?? undefined;
  const fetched: Fetched[] = [];
  await Promise.all(
    ready.map((r) =>
      ctx.limiter.run(async () => {
        const got = await readCurrent(ctx, r);
        const key = resourceKey(r);
        if (!got.ok) {
          failures += 1;
          const delay = watch.backoff.fail(key, clock.now());
          const status = got.error.status !== null ? ` (HTTP ${got.error.status})` : '';
          const message = `${resourceLabel(r)}: cannot read it from the server: ${got.error.message}${status}; retrying in ${seconds(delay)}`;
          firstFailure ??= message;
          logger.error(
            {
              kind: r.kind,
              project: r.project,
              name: r.name,
              error: { kind: got.error.kind, status: got.error.status },
            },
            message,
          );
          return;
        }
        const previous = watch.synced.get(key)?.resource;
        fetched.push({
          desired: r,
          current: got.value,
          ...(previous ? { previous } : {}),
          redeploy: watch.redeploy.has(key),
        });
      }),
    ),
  );
  const plan = incrementalPlan(fetched, deletes, {
    server: ctx.settings.server,
    createdAt: new Date(clock.now()).toISOString(),
  });
  for (const a of plan.actions) if (a.action === 'noop' && a.desired) watch.markSynced(a.desired);
  // A write that would send an expired certificate is refused for its resource alone.
  const allowed = refuseExpired(
    ctx,
    plan.actions.filter((a) => a.action !== 'noop'),
  );
  const done = await writePlan(ctx, subPlan(plan, allowed.actions));
  watch.accept(state);
  failures += allowed.failures + done.failures;
  firstFailure ??= allowed.reason ?? done.reason;
  return {
    result: failures > 0 ? 'failed' : 'ok',
    reconciled: ready.length + deletes.length,
    writes: done.writes,
    failures,
    drift: 0,
    ...(firstFailure ? { reason: firstFailure } : {}),
  };
}
