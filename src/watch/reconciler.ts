// The watch loop, wired from its parts: the scheduler (one cycle at a time, requests coalesced,
// timers), the watch state (what is known between cycles), and the two cycles (change, resync).
// This file chooses which cycle a request needs and reports each one (log line, metrics, health).
//
//   start ──► resync cycle (lists + applyPlan) ──► idle ◄──────────────────────┐
//               ▲                                    │ files changed            │
//               │ every --resync s (drift: correct|warn) ▼                      │
//               └──────────────────────── change cycle: reload (cached), GET ───┘
//                                         + at most one write per changed resource
import type { Logger } from 'pino';
import type { ResourceActions } from '../reconcile/actions.js';
import { systemClock, type Clock } from '../clock.js';
import { createManifestCache } from '../manifest/cache.js';
import { loadManifests, type LoadResult } from '../manifest/load.js';
import { DEFAULT_EXPIRY_WARN_DAYS } from '../manifest/material-values.js';
import { createAdaptiveLimiter, type AdaptiveLimiter } from '../reconcile/concurrency.js';
import { Backoff, DEFAULT_BACKOFF, type BackoffPolicy } from './backoff.js';
import { changeCycle } from './change-cycle.js';
import { certificateExpiry, newMetrics, type CycleResult, type Health, type WatchMetrics } from './metrics.js';
import { resyncCycle } from './resync-cycle.js';
import { createScheduler, type CycleRequest } from './scheduler.js';
import { WatchState } from './state.js';
import { type CycleContext, type CycleOutcome, type CycleSettings, type DriftMode } from './steps.js';
import { plural } from '../text.js';

export type { DriftMode } from './steps.js';

export interface ReconcilerOptions extends CycleSettings {
  /** The PATH arguments. */
  paths: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  defaultProject?: string;
  actions: ResourceActions;
  /** The limiter whose onRetry the API client reports to; made from `concurrency` when absent. */
  limiter?: AdaptiveLimiter;
  drift: DriftMode;
  /** Full resync period. */
  resyncMs: number;
  logger: Logger;
  clock?: Clock;
  random?: () => number;
  backoff?: BackoffPolicy;
  /**
   * The material checks' warning window in days (SPEC §2c); null: checks off
   * (`--skip-material-checks`). Default 30.
   */
  expiryWarnDays?: number | null;
  /** Loads the manifests; default: loadManifests over `paths` through a parse cache kept across cycles. */
  load?: () => Promise<LoadResult>;
  /** Told the `fromFile` targets after every load, so the watcher follows them wherever they are. */
  onFromFiles?: (paths: string[]) => void;
  /** Told after every cycle (e.g. to give memory back after a big one). */
  afterCycle?: (summary: { trigger: string; reconciled: number; writes: number; result: CycleResult }) => void;
}

export interface Reconciler {
  /** Runs the first (full) cycle; later cycles follow changes, retries and the resync timer. */
  start(): void;
  /** A quiet batch of changed paths from the watcher. */
  filesChanged(paths: string[]): void;
  /** A raw file event (before its batch is quiet): postpones a confirming read that is waiting. */
  activity(): void;
  /** Resolves when no cycle runs and none is pending (tests). */
  idle(): Promise<void>;
  /** Starts nothing new and resolves when the cycle in flight (if any) has finished. */
  stop(): Promise<void>;
  health(): Health;
  metrics(): WatchMetrics;
}

type Trigger = 'start' | 'resync' | 'change' | 'confirm' | 'retry';

/** A retry timer never fires sooner than this after a cycle (no busy loop, whatever the backoff says). */
const MIN_RETRY_DELAY_MS = 100;

/** Creates the watch loop over the given actions. Nothing runs until `start()`. */
export function createReconciler(options: ReconcilerOptions): Reconciler {
  const clock = options.clock ?? systemClock;
  const logger = options.logger;
  const state = new WatchState(new Backoff(options.backoff ?? DEFAULT_BACKOFF, options.random ?? Math.random));
  const metrics = newMetrics();
  let health: Health = { healthy: false, reason: 'starting: the first cycle has not finished' };
  let cycleNumber = 0;

  const cache = createManifestCache();
  const warnDays = options.expiryWarnDays === undefined ? DEFAULT_EXPIRY_WARN_DAYS : options.expiryWarnDays;
  const loadFiles =
    options.load ??
    (() =>
      loadManifests(options.paths, {
        cwd: options.cwd,
        env: options.env,
        cache,
        ...(options.defaultProject !== undefined ? { defaultProject: options.defaultProject } : {}),
        // Judged at each load: a certificate crosses into the warning window while watch runs.
        // Expiry per write: a certificate that expires while watch runs never stops other resources (SPEC §2c).
        ...(warnDays !== null
          ? { material: { now: new Date(clock.now()), expiryWarnDays: warnDays, expiry: 'per-write' as const } }
          : {}),
      }));
  // The expiry gauge follows what the manifests hold now, even when a load has errors: an
  // expired certificate is itself an error, and is exactly what the alert is for.
  const load = async (): Promise<LoadResult> => {
    const result = await loadFiles();
    if (result.fromFiles) options.onFromFiles?.(result.fromFiles);
    if (result.certificates) metrics.certificateExpiry = certificateExpiry(result.certificates);
    return result;
  };

  // Every environments answer refreshes the cache, whoever asked (the resync's preflight included).
  const actions: ResourceActions = {
    list: (project, kind, o) => options.actions.list(project, kind, o),
    get: (id) => options.actions.get(id),
    create: (r) => options.actions.create(r),
    update: (r, o) => options.actions.update(r, o),
    delete: (id) => options.actions.delete(id),
    generation: (project) => options.actions.generation(project),
    exportMaterial: (id, env) => options.actions.exportMaterial(id, env),
    environments: async (project) => {
      const r = await options.actions.environments(project);
      if (r.ok) state.environments.set(project, r.value);
      else if (r.error.kind === 'not-found' || r.error.kind === 'project-not-found') state.environments.delete(project);
      return r;
    },
  };
  const ctx: CycleContext = {
    settings: options,
    state,
    actions,
    limiter: options.limiter ?? createAdaptiveLimiter(options.concurrency, { clock }),
    logger,
    clock,
    metrics,
    load,
  };

  const scheduler = createScheduler(clock, runCycle);

  async function runCycle(req: CycleRequest): Promise<void> {
    const t0 = clock.now();
    const full = state.needsFull || req.full || req.resync;
    // A file event since the confirming read was asked for (it waited in the queue behind a
    // cycle): the tree is not quiet, so this read confirms nothing; the timer is armed again.
    const quiet = clock.now() - lastActivity >= options.confirmMs;
    const confirming = req.confirm && state.suspects.size > 0 && quiet;
    if (req.confirm && !confirming && !full && req.files.size === 0) {
      armConfirm(true);
      return;
    }
    const trigger: Trigger =
      !state.startApplied && req.full
        ? 'start'
        : req.resync
          ? 'resync'
          : req.files.size > 0
            ? 'change'
            : confirming
              ? 'confirm'
              : 'retry';
    // A retry while the manifests are invalid: nothing may be written, nothing to report.
    if (!full && req.files.size === 0 && !confirming && !state.lastLoadValid) return;
    // The files named changed are read again; a full cycle reads every file (a lost event heals),
    // and so does a confirming read: a removal is acted on only if a fresh read still misses it.
    if (full || confirming) cache.invalidateAll();
    else cache.invalidate(req.files);
    let outcome: CycleOutcome;
    try {
      outcome = full
        ? await resyncCycle(ctx, quiet)
        : await changeCycle(ctx, req.files.size > 0 || confirming, confirming);
    } catch (err) {
      // Everything below returns values; an exception here is a bug. Keep watching regardless.
      const message = (err as Error).message;
      logger.error({ err: { message } }, `internal error in the watch cycle: ${message}`);
      outcome = {
        result: 'failed',
        reconciled: 0,
        writes: 0,
        failures: 1,
        drift: 0,
        reason: `internal error: ${message}`,
      };
    }
    if (full) scheduler.after('resync', options.resyncMs, { resync: true });
    armConfirm(outcome.result !== 'invalid');
    finishCycle(outcome, trigger, req.files.size, clock.now() - t0);
  }

  // A removal seen in a read is confirmed by another read after a quiet period (SPEC §6); any
  // file event meanwhile starts the quiet period again. While the manifests are invalid nothing
  // is armed: the fix is a file event, and its cycle arms it again.
  let confirmArmed = false;
  let lastActivity = Number.NEGATIVE_INFINITY;
  function armConfirm(arm: boolean): void {
    confirmArmed = arm && state.suspects.size > 0;
    if (confirmArmed) scheduler.after('confirm', options.confirmMs, { confirm: true });
    else scheduler.cancel('confirm');
  }

  function finishCycle(o: CycleOutcome, trigger: Trigger, files: number, ms: number): void {
    cycleNumber += 1;
    state.tidyBackoff();
    const waiting = state.retriesWaiting();
    // A cycle that left resources waiting for a retry has not converged.
    const result: CycleResult = o.result === 'ok' && waiting > 0 ? 'failed' : o.result;
    const reason =
      o.reason ?? (waiting > 0 ? `${plural(waiting, 'resource')} waiting to be retried after a failure` : undefined);
    metrics.cycles[result] += 1;
    metrics.retriesPending = waiting;
    metrics.manifestsLoaded = state.lastGood?.resources.length ?? 0;
    const now = clock.now();
    const when = `the last cycle (${trigger}, ${new Date(now).toISOString()})`;
    if (result === 'ok') {
      metrics.lastSuccessSeconds = Math.floor(now / 1000);
      health = { healthy: true, reason: `${when} succeeded; ${plural(metrics.manifestsLoaded, 'resource')} managed` };
    } else {
      health = {
        healthy: false,
        reason: `${when} ${result === 'invalid' ? 'found invalid manifests' : 'failed'}: ${reason ?? 'see the logs'}`,
      };
    }
    const fields = {
      cycle: cycleNumber,
      trigger,
      files,
      reconciled: o.reconciled,
      writes: o.writes,
      failures: o.failures,
      drift: o.drift,
      ms,
      result,
    };
    const text =
      `cycle ${cycleNumber} ${result}: ${trigger}, ${plural(files, 'file')} changed, ${plural(o.reconciled, 'resource')} reconciled, ` +
      `${plural(o.writes, 'write')}, ${plural(o.failures, 'failure')} (${ms} ms)`;
    if (result === 'ok') logger.info(fields, text);
    else if (result === 'invalid') logger.warn(fields, text);
    else logger.error(fields, text);
    scheduleRetry();
    options.afterCycle?.({ trigger, reconciled: o.reconciled, writes: o.writes, result });
  }

  function scheduleRetry(): void {
    const due = state.backoff.nextDue(Number.NEGATIVE_INFINITY);
    if (due === null) scheduler.cancel('retry');
    else scheduler.after('retry', Math.max(MIN_RETRY_DELAY_MS, due - clock.now()), {});
  }

  return {
    start: () => scheduler.request({ full: true }),
    filesChanged: (paths) => scheduler.request({ files: new Set(paths) }),
    activity: () => {
      lastActivity = clock.now();
      if (confirmArmed) scheduler.after('confirm', options.confirmMs, { confirm: true });
    },
    idle: () => scheduler.idle(),
    stop: () => scheduler.stop(),
    health: () => health,
    metrics: () => metrics,
  };
}
