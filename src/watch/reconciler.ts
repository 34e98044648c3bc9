// The watch loop: one cycle at a time, changes arriving during a cycle coalesced into exactly one
// follow-up, failed resources retried after a per-resource backoff, and a full list-based resync on
// a timer. The decisions are pure (cycle.ts); this file does the calls, keeps the state between
// cycles, and reports (logs, metrics, health).
//
//   start ──► full cycle (computePlan + applyPlan) ──► idle ◄────────────────┐
//               ▲                                        │ files changed      │
//               │ every --resync s (drift: correct|warn) ▼                    │
//               └──────────────────────────── incremental cycle: reload, GET ─┘
//                                             + at most one write per changed resource
import type { Logger } from 'pino';
import type { ResourceActions } from '../api/types.js';
import { systemClock, type Clock } from '../clock.js';
import { formatDiagnostic, hasErrors, type Diagnostic } from '../diagnostics.js';
import { loadManifests } from '../manifest/load.js';
import { resourceKey, resourceLabel, type DesiredResource, type DesiredState, type ResourceId } from '../model.js';
import { applyPlan } from '../reconcile/apply.js';
import { createAdaptiveLimiter, type AdaptiveLimiter } from '../reconcile/concurrency.js';
import { checkEnvironments } from '../reconcile/plan.js';
import { computePlan, describePlanError } from '../reconcile/run-plan.js';
import type { Plan, PlanAction, Report } from '../reconcile/types.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import {
  describeDrift,
  desiredChanges,
  fingerprintOf,
  forceWhereNeeded,
  incrementalPlan,
  pendingResources,
  removalsToDelete,
  splitResync,
  subPlan,
  type Fetched,
  type SyncedEntry,
} from './cycle.js';
import { newMetrics, type CycleResult, type Health, type WatchMetrics } from './metrics.js';

export type DriftMode = 'correct' | 'warn';

export interface ReconcilerOptions {
  /** The PATH arguments. */
  paths: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  /** Projects named outside the manifests (`--project`), for `--allow-empty-prune`. */
  extraProjects: string[];
  actions: ResourceActions;
  /** The Manager URL, for plans, reports and messages. */
  server: string;
  concurrency: number;
  /** The limiter whose onRetry the API client reports to; made from `concurrency` when absent. */
  limiter?: AdaptiveLimiter;
  prune: boolean;
  allowEmptyPrune: boolean;
  maxDeletes: number;
  drift: DriftMode;
  /** Full resync period. */
  resyncMs: number;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffPolicy;
  /** Told after every cycle (e.g. to give memory back after a big one). */
  afterCycle?: (summary: { trigger: string; reconciled: number; writes: number; result: CycleResult }) => void;
}

export interface Reconciler {
  /** Runs the first (full) cycle; later cycles follow changes, retries and the resync timer. */
  start(): void;
  /** A quiet batch of changed paths from the watcher. */
  filesChanged(paths: string[]): void;
  /** Starts nothing new and resolves when the cycle in flight (if any) has finished. */
  stop(): Promise<void>;
  health(): Health;
  metrics(): WatchMetrics;
}

type Trigger = 'start' | 'resync' | 'change' | 'retry';

interface Request {
  files: Set<string>;
  full: boolean;
  resync: boolean;
}

interface CycleOutcome {
  result: CycleResult;
  /** Resources examined (GET in an incremental cycle, planned in a full one). */
  reconciled: number;
  writes: number;
  failures: number;
  drift: number;
  /** Why the cycle did not succeed (health body). */
  reason?: string;
}

/** The backoff key of a full cycle that could not read the server. */
const FULL_KEY = '\u0000full-cycle';

/** A retry timer never fires sooner than this after a cycle (no busy loop, whatever the backoff says). */
const MIN_RETRY_DELAY_MS = 100;

/** Creates the watch loop over the given actions. Nothing runs until `start()`. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const limiter = options.limiter ?? createAdaptiveLimiter(options.concurrency, { clock });
  const backoff = new Backoff(options.backoff ?? DEFAULT_BACKOFF, options.random ?? Math.random);
  const metrics = newMetrics();

  // What watch knows between cycles.
  let lastGood: DesiredState | null = null; // the last desired state that loaded and passed preflight
  let lastLoadValid = false; // the manifests as last read were valid (retries may write)
  let reportedInvalid = false; // an invalid state was logged and not yet declared fixed
  let startApplied = false; // the full apply of the start has run (drift exists only after it)
  let needsFull = true;
  const synced = new Map<string, SyncedEntry>(); // the desired version known to be on the server
  const redeploy = new Set<string>(); // saved, but a deployment failed: an update is owed
  const pendingDeletes = new Map<string, ResourceId>(); // removed from Git with --prune, delete owed
  const environments = new Map<string, string[]>(); // per project, refreshed by full cycles
  let health: Health = { healthy: false, reason: 'starting: the first cycle has not finished' };
  let cycleNumber = 0;

  // Every environments answer refreshes the cache, whoever asked (computePlan's preflight included).
  const actions: ResourceActions = {
    list: (project, kind) => options.actions.list(project, kind),
    get: (id) => options.actions.get(id),
    create: (r) => options.actions.create(r),
    update: (r, o) => options.actions.update(r, o),
    delete: (id) => options.actions.delete(id),
    generation: (project) => options.actions.generation(project),
    exportMaterial: (id, env) => options.actions.exportMaterial(id, env),
    environments: async (project) => {
      const r = await options.actions.environments(project);
      if (r.ok) environments.set(project, r.value);
      else if (r.error.kind === 'not-found' || r.error.kind === 'project-not-found') environments.delete(project);
      return r;
    },
  };

  // The loop: one cycle at a time; requests made meanwhile merge into one follow-up.
  let pending: Request | null = null;
  let running: Promise<void> | null = null;
  let stopped = false;
  const resyncTimer = timer(clock);
  const retryTimer = timer(clock);

  const request = (r: Partial<Request>) => {
    if (stopped) return;
    pending ??= { files: new Set(), full: false, resync: false };
    for (const f of r.files ?? []) pending.files.add(f);
    pending.full ||= r.full === true;
    pending.resync ||= r.resync === true;
    kick();
  };
  const kick = () => {
    if (running || stopped || !pending) return;
    running = (async () => {
      try {
        while (pending && !stopped) {
          const next = pending;
          pending = null;
          await runCycle(next);
        }
      } finally {
        running = null;
      }
    })().then(kick);
  };

  async function runCycle(req: Request): Promise<void> {
    const t0 = clock.now();
    const trigger: Trigger = !startApplied && req.full ? 'start' : req.resync ? 'resync' : req.files.size > 0 ? 'change' : 'retry';
    let outcome: CycleOutcome;
    try {
      if (needsFull || req.full || req.resync) {
        outcome = await fullCycle();
      } else if (req.files.size > 0) {
        outcome = await incrementalCycle(true);
      } else if (lastLoadValid) {
        outcome = await incrementalCycle(false);
      } else {
        return; // a retry while the manifests are invalid: nothing may be written, nothing to report
      }
    } catch (err) {
      // Everything below returns values; an exception here is a bug. Keep watching regardless.
      logger.error({ err: { message: (err as Error).message } }, `internal error in the watch cycle: ${(err as Error).message}`);
      outcome = { result: 'failed', reconciled: 0, writes: 0, failures: 1, drift: 0, reason: `internal error: ${(err as Error).message}` };
    }
    finishCycle(outcome, trigger, req.files.size, clock.now() - t0);
  }

  function finishCycle(o: CycleOutcome, trigger: Trigger, files: number, ms: number): void {
    cycleNumber += 1;
    tidyBackoff();
    const waiting = backoff.keys().filter((k) => k !== FULL_KEY).length;
    // A cycle that left resources waiting for a retry has not converged.
    const result: CycleResult = o.result === 'ok' && waiting > 0 ? 'failed' : o.result;
    const reason = o.reason ?? (waiting > 0 ? `${plural(waiting, 'resource')} waiting to be retried after a failure` : undefined);
    metrics.cycles[result] += 1;
    metrics.retriesPending = waiting;
    metrics.manifestsLoaded = lastGood?.resources.length ?? 0;
    const now = clock.now();
    if (result === 'ok') {
      metrics.lastSuccessSeconds = Math.floor(now / 1000);
      health = { healthy: true, reason: `the last cycle (${trigger}, ${new Date(now).toISOString()}) succeeded; ${plural(metrics.manifestsLoaded, 'resource')} managed` };
    } else {
      health = { healthy: false, reason: `the last cycle (${trigger}, ${new Date(now).toISOString()}) ${result === 'invalid' ? 'found invalid manifests' : 'failed'}: ${reason ?? 'see the logs'}` };
    }
    const fields = { cycle: cycleNumber, trigger, files, reconciled: o.reconciled, writes: o.writes, failures: o.failures, drift: o.drift, ms, result };
    const text = `cycle ${cycleNumber} ${result}: ${trigger}, ${plural(files, 'file')} changed, ${plural(o.reconciled, 'resource')} reconciled, ${plural(o.writes, 'write')}, ${plural(o.failures, 'failure')} (${ms} ms)`;
    if (result === 'ok') logger.info(fields, text);
    else if (result === 'invalid') logger.warn(fields, text);
    else logger.error(fields, text);
    scheduleRetry();
    options.afterCycle?.({ trigger, reconciled: o.reconciled, writes: o.writes, result });
  }

  // ---- full cycle: the start's apply and every resync -------------------------------------

  async function fullCycle(): Promise<CycleOutcome> {
    const isStart = !startApplied;
    const out = await computePlan(options.paths, actions, {
      prune: options.prune,
      allowEmptyPrune: options.allowEmptyPrune,
      extraProjects: options.extraProjects,
      server: options.server,
      clock,
      cwd: options.cwd,
      env: options.env,
      ...(options.defaultProject !== undefined ? { defaultProject: options.defaultProject } : {}),
    });
    scheduleResync();
    if (!out.ok && out.plan !== null) return invalid(out.diagnostics, out.stage === 'load' ? 'manifests' : 'server');
    if (out.plan === null) {
      needsFull = true;
      backoff.fail(FULL_KEY, clock.now());
      const message = describePlanError(out, options.server);
      logger.error({ stage: out.stage, error: { kind: out.error.kind, status: out.error.status } }, message);
      return { result: 'failed', reconciled: 0, writes: 0, failures: 1, drift: 0, reason: message };
    }
    backoff.clear(FULL_KEY);
    const state = out.load.state;
    if (state === null) return invalid(out.load.diagnostics, 'manifests'); // cannot happen: planned means loaded
    valid(out.load.diagnostics);

    // Git removals since the last good state: no longer managed; with --prune the plan deletes them.
    const removed = lastGood ? desiredChanges(lastGood, state).removed : [];
    const owed = new Set<string>([...removed.map(resourceKey), ...pendingDeletes.keys(), ...redeploy]);
    forget(removed, state);

    const planned = out.plan.actions.map((a) => forceWhereNeeded(a, synced.get(resourceKey(a))?.resource, redeploy.has(resourceKey(a))));
    const split = splitResync(planned, synced, owed);
    const drift = isStart ? [] : split.drift;
    if (drift.length > 0) {
      metrics.driftFound += drift.length;
      const correct = options.drift === 'correct';
      for (const a of drift) {
        logger.warn({ drift: true, action: a.action, kind: a.kind, project: a.project, name: a.name, changes: a.changes.map((c) => c.path), corrected: correct }, `drift: ${describeDrift(a)}${correct ? '; correcting it' : '; not corrected (--drift warn)'}`);
      }
    }
    const include = new Set<PlanAction>([...split.fromGit, ...(isStart || options.drift === 'correct' ? split.drift : [])]);
    const now = clock.now();
    let toWrite = planned.filter((a) => include.has(a) && backoff.ready(resourceKey(a), now));
    for (const a of split.noop) if (a.desired) markSynced(a.desired);

    // The lists just read are the truth about what is left to delete.
    pendingDeletes.clear();
    const deletes = planned.filter((a) => include.has(a) && a.action === 'delete');
    const guard = deleteGuard(deletes.length);
    if (guard) toWrite = toWrite.filter((a) => a.action !== 'delete');
    else for (const a of deletes) pendingDeletes.set(resourceKey(a), { kind: a.kind, project: a.project, name: a.name });

    const done = await write(subPlan(out.plan, toWrite));
    lastGood = state;
    lastLoadValid = true;
    needsFull = false;
    startApplied = true;
    const failures = done.failures + (guard ? 1 : 0);
    return {
      result: failures > 0 ? 'failed' : 'ok',
      reconciled: planned.length,
      writes: done.writes,
      failures,
      drift: drift.length,
      ...(guard ? { reason: guard } : done.reason ? { reason: done.reason } : {}),
    };
  }

  // ---- incremental cycle: only what changed, a GET and at most one write each, no list ---------

  async function incrementalCycle(reload: boolean): Promise<CycleOutcome> {
    let state = lastGood;
    let warnings: Diagnostic[] = [];
    if (reload) {
      const load = await loadManifests(options.paths, {
        cwd: options.cwd,
        env: options.env,
        ...(options.defaultProject !== undefined ? { defaultProject: options.defaultProject } : {}),
      });
      if (load.state === null || hasErrors(load.diagnostics)) return invalid(load.diagnostics, 'manifests');
      state = load.state;
      warnings = load.diagnostics;
    }
    if (state === null) return { result: 'ok', reconciled: 0, writes: 0, failures: 0, drift: 0 };

    // Decide everything before changing any state: a preflight error leaves it all as it was.
    const { removed } = desiredChanges(lastGood, state);
    const candidates = pendingResources(state, synced, redeploy);
    const preflight = await checkPreflight(candidates);
    if ('error' in preflight) {
      logger.error({ error: { kind: preflight.error.kind, status: preflight.error.status } }, preflight.error.text);
      for (const r of candidates) backoff.fail(resourceKey(r), clock.now());
      return { result: 'failed', reconciled: 0, writes: 0, failures: 1, drift: 0, reason: preflight.error.text };
    }
    if (hasErrors(preflight.diagnostics)) return invalid(preflight.diagnostics, 'server');
    valid(warnings);

    const toDelete = forget(removed, state);
    for (const id of toDelete) pendingDeletes.set(resourceKey(id), id);
    for (const r of state.resources) pendingDeletes.delete(resourceKey(r)); // re-added before its delete ran
    const now = clock.now();
    const ready = candidates.filter((r) => backoff.ready(resourceKey(r), now));
    let deletes = [...pendingDeletes.values()].filter((id) => backoff.ready(resourceKey(id), now));
    const guard = deleteGuard(deletes.length);
    if (guard) {
      for (const id of deletes) pendingDeletes.delete(resourceKey(id));
      deletes = [];
    }

    // One GET per resource, under the same limit as the writes.
    let failures = guard ? 1 : 0;
    let firstFailure: string | undefined = guard ?? undefined;
    const fetched: Fetched[] = [];
    await Promise.all(
      ready.map((r) =>
        limiter.run(async () => {
          const got = await actions.get(r);
          const key = resourceKey(r);
          if (!got.ok) {
            failures += 1;
            const delay = backoff.fail(key, clock.now());
            const message = `${resourceLabel(r)}: cannot read it from the server: ${got.error.message}${got.error.status !== null ? ` (HTTP ${got.error.status})` : ''}; retrying in ${seconds(delay)}`;
            firstFailure ??= message;
            logger.error({ kind: r.kind, project: r.project, name: r.name, error: { kind: got.error.kind, status: got.error.status } }, message);
            return;
          }
          const previous = synced.get(key)?.resource;
          fetched.push({ desired: r, current: got.value, ...(previous ? { previous } : {}), redeploy: redeploy.has(key) });
        }),
      ),
    );
    const plan = incrementalPlan(fetched, deletes, { server: options.server, createdAt: new Date(clock.now()).toISOString() });
    for (const a of plan.actions) if (a.action === 'noop' && a.desired) markSynced(a.desired);
    const done = await write(subPlan(plan, plan.actions.filter((a) => a.action !== 'noop')));
    lastGood = state;
    lastLoadValid = true;
    failures += done.failures;
    firstFailure ??= done.reason;
    return {
      result: failures > 0 ? 'failed' : 'ok',
      reconciled: ready.length + deletes.length,
      writes: done.writes,
      failures,
      drift: 0,
      ...(firstFailure ? { reason: firstFailure } : {}),
    };
  }

  /**
   * The environments check of SPEC §4 for the resources about to be written, against the cached
   * lists: a project not seen yet is fetched once; an unknown environment is looked up once more
   * (it may have been added on the server since the last resync) before it counts as an error.
   */
  async function checkPreflight(resources: DesiredResource[]): Promise<{ diagnostics: Diagnostic[] } | { error: { kind: string; status: number | null; text: string } }> {
    if (resources.length === 0) return { diagnostics: [] };
    const projects = [...new Set(resources.map((r) => r.project))];
    const fetch = async (names: string[]) => {
      for (const p of names) {
        const r = await actions.environments(p);
        if (!r.ok && r.error.kind !== 'not-found' && r.error.kind !== 'project-not-found') {
          return { kind: r.error.kind, status: r.error.status, text: describePlanError({ error: r.error, what: `the environments of project ${p}` }, options.server) };
        }
      }
      return null;
    };
    const fetched = projects.filter((p) => !environments.has(p));
    const first = await fetch(fetched);
    if (first) return { error: first };
    const state = (rs: DesiredResource[]): DesiredState => ({ resources: rs, projects });
    let diagnostics = checkEnvironments(state(resources), environments);
    if (hasErrors(diagnostics)) {
      const again = [...new Set(resources.filter((r) => diagnostics.some((d) => d.resource === resourceLabel(r))).map((r) => r.project))].filter((p) => !fetched.includes(p));
      if (again.length > 0) {
        const second = await fetch(again);
        if (second) return { error: second };
        diagnostics = checkEnvironments(state(resources), environments);
      }
    }
    return { diagnostics };
  }

  // ---- shared steps -----------------------------------------------------------------------------

  /** Writes the plan's actions through applyPlan and records every outcome. */
  async function write(plan: Plan): Promise<{ writes: number; failures: number; reason?: string }> {
    if (plan.actions.length === 0) return { writes: 0, failures: 0 };
    const report: Report = await applyPlan(plan, actions, { concurrency: options.concurrency, server: options.server, limiter, logger, clock });
    let writes = 0;
    let failures = 0;
    let reason: string | undefined;
    report.results.forEach((r, i) => {
      const a = plan.actions[i];
      if (!a) return;
      const key = resourceKey(a);
      if (r.outcome !== 'skipped') {
        writes += 1;
        metrics.writes[r.outcome === 'ok' ? 'ok' : r.outcome] += 1;
      }
      if (r.outcome === 'ok') {
        if (a.action === 'delete') {
          pendingDeletes.delete(key);
          backoff.clear(key);
        } else if (a.desired) {
          markSynced(a.desired);
        }
        return;
      }
      failures += 1;
      const delay = backoff.fail(key, clock.now());
      reason ??= `${resourceLabel(a)}: ${r.error?.message ?? r.outcome}`;
      logger.warn({ kind: a.kind, project: a.project, name: a.name, retryInMs: delay }, `${resourceLabel(a)}: will retry in ${seconds(delay)}`);
      if (a.action === 'delete') {
        pendingDeletes.set(key, { kind: a.kind, project: a.project, name: a.name });
      } else if (r.outcome === 'not-deployed' && a.desired) {
        // Saved, so the server matches; only the deployment is owed.
        synced.set(key, { fingerprint: fingerprintOf(a.desired), resource: a.desired });
        redeploy.add(key);
      } else {
        // What the server holds after a failed write is unknown: plan it again next time.
        synced.delete(key);
      }
    });
    return { writes, failures, ...(reason ? { reason } : {}) };
  }

  /** Forgets backoff of anything no longer owed (fixed by hand, removed from Git, refused), so no retry timer fires for nothing. */
  function tidyBackoff(): void {
    const owed = new Set<string>(pendingDeletes.keys());
    if (lastGood) for (const r of pendingResources(lastGood, synced, redeploy)) owed.add(resourceKey(r));
    if (needsFull) owed.add(FULL_KEY);
    for (const key of backoff.keys()) if (!owed.has(key)) backoff.clear(key);
  }

  function markSynced(r: DesiredResource): void {
    const key = resourceKey(r);
    synced.set(key, { fingerprint: fingerprintOf(r), resource: r });
    redeploy.delete(key);
    backoff.clear(key);
  }

  /**
   * Drops removed resources from management and returns those to delete (with --prune, still in
   * prune scope). Logs what happens to each.
   */
  function forget(removed: ResourceId[], state: DesiredState): ResourceId[] {
    if (removed.length === 0) return [];
    const split = removalsToDelete(removed, state, options);
    for (const id of removed) {
      const key = resourceKey(id);
      synced.delete(key);
      redeploy.delete(key);
      backoff.clear(key);
    }
    for (const id of split.delete) logger.info({ kind: id.kind, project: id.project, name: id.name }, `${resourceLabel(id)}: removed from the manifests; deleting it (--prune)`);
    for (const id of split.keep) {
      const why = options.prune ? `no ${id.kind} manifest is left in project ${id.project}, so prune leaves it alone (--allow-empty-prune includes it)` : 'left on the server (use --prune to delete removed resources)';
      logger.info({ kind: id.kind, project: id.project, name: id.name }, `${resourceLabel(id)}: removed from the manifests; no longer managed; ${why}`);
    }
    return split.delete;
  }

  /** The --max-deletes refusal, as a sentence, or null when within the limit. */
  function deleteGuard(count: number): string | null {
    if (count <= options.maxDeletes) return null;
    const message = `this cycle would delete ${count} resources, more than --max-deletes ${options.maxDeletes}; no delete was sent. If intended, restart with --max-deletes ${count}`;
    logger.error({ deletes: count, maxDeletes: options.maxDeletes }, message);
    return message;
  }

  function invalid(diagnostics: Diagnostic[], where: 'manifests' | 'server'): CycleOutcome {
    lastLoadValid = false;
    reportedInvalid = true;
    for (const d of diagnostics) {
      const fields = { code: d.code, location: `${d.file}:${d.line}:${d.column}`, path: d.path, resource: d.resource };
      if (d.severity === 'error') logger.error(fields, formatDiagnostic(d));
      else logger.warn(fields, formatDiagnostic(d));
    }
    const errors = diagnostics.filter((d) => d.severity === 'error');
    const first = errors[0];
    const kept = lastGood ? `keeping the last good state (${plural(lastGood.resources.length, 'resource')})` : 'no valid state yet';
    const what = where === 'manifests' ? 'in the manifests' : 'against the server (unknown environment or project)';
    logger.error({ errors: errors.length }, `${plural(errors.length, 'error')} ${what}: nothing written, nothing pruned; ${kept}; waiting for a fix`);
    return {
      result: 'invalid',
      reconciled: 0,
      writes: 0,
      failures: 0,
      drift: 0,
      reason: `${plural(errors.length, 'error')} ${what}${first ? `, first: ${formatDiagnostic(first)}` : ''}`,
    };
  }

  function valid(diagnostics: Diagnostic[]): void {
    for (const d of diagnostics) {
      if (d.severity !== 'error') logger.warn({ code: d.code, location: `${d.file}:${d.line}:${d.column}`, path: d.path, resource: d.resource }, formatDiagnostic(d));
    }
    if (reportedInvalid) logger.info({ fixed: true }, 'the manifests are valid again: the errors reported earlier are fixed; reconciling');
    reportedInvalid = false;
  }

  function scheduleResync(): void {
    resyncTimer.set(options.resyncMs, () => request({ resync: true }));
  }

  function scheduleRetry(): void {
    const now = clock.now();
    const due = backoff.nextDue(Number.NEGATIVE_INFINITY);
    if (due === null || stopped) {
      retryTimer.clear();
      return;
    }
    retryTimer.set(Math.max(MIN_RETRY_DELAY_MS, due - now), () => request({}));
  }

  return {
    start() {
      request({ full: true });
    },
    filesChanged(paths) {
      request({ files: new Set(paths) });
    },
    async stop() {
      stopped = true;
      pending = null;
      resyncTimer.clear();
      retryTimer.clear();
      await running;
    },
    health: () => health,
    metrics: () => metrics,
  };
}

/** One resettable timer on a Clock (so tests can drive time). */
function timer(clock: Clock): { set(ms: number, fire: () => void): void; clear(): void } {
  let controller: AbortController | null = null;
  return {
    set(ms, fire) {
      controller?.abort();
      const c = new AbortController();
      controller = c;
      clock.sleep(ms, c.signal).then(
        () => {
          if (controller === c) controller = null;
          fire();
        },
        () => undefined,
      );
    },
    clear() {
      controller?.abort();
      controller = null;
    },
  };
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}
