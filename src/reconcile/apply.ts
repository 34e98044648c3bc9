// Executes a Plan through ResourceActions (SPEC §5): creates and updates under an adaptive
// concurrency limit, each kind as soon as the kinds it depends on are written (no barrier between
// independent kinds), then deletes in reverse dependency order; the "already exist" switch and
// its reverse; outcomes as values, one failure never stopping the others; SIGINT/SIGTERM stops
// starting new work and gives the calls in flight a grace period.
import type { Logger } from 'pino';
import { isTransientFailure } from '../api/retry.js';
import type { Result, WriteQuery, WriteResult } from '../api/types.js';
import { systemClock, type Clock } from '../clock.js';
import { descriptorOf, kindNames } from '../kinds/index.js';
import { resourceLabel, type DesiredResource, type Kind } from '../model.js';
import { createAdaptiveLimiter, type AdaptiveLimiter } from './concurrency.js';
import { diffResource } from './diff.js';
import type { ApplyResult, FieldChange, Plan, PlanAction, Report, ReportSummary } from './types.js';
import type { Pause, ResourceActions } from './actions.js';

/** How long calls in flight may run on after SIGINT/SIGTERM before they are aborted (SPEC §5). */
export const DEFAULT_GRACE_MS = 10_000;

/** After the grace period and the abort, how long to wait for calls to notice before reporting anyway. */
const SETTLE_MS = 1_000;
/**
 * Workers per concurrency slot: a write waiting to retry lends its slot, and another worker's
 * write takes it, so scattered faults leave no slot idle while their writes wait (figure 7).
 */
const WORKERS_PER_SLOT = 3;

export interface ApplyProgress {
  done: number;
  total: number;
  failed: number;
}

export interface ApplyOptions {
  /** Writes in flight at most (the adaptive limiter may lower it on repeated 429s). */
  concurrency: number;
  /**
   * Give writes that failed transiently after all their attempts one more round at the end (default
   * true). Watch says false: its own backoff retries them in a later cycle.
   */
  finalRound?: boolean;
  /** Aborted on SIGINT/SIGTERM: nothing new starts; calls in flight get `graceMs`. */
  signal?: AbortSignal;
  /** One info line per resource written; silent when absent. */
  logger?: Logger;
  /** Send an update for every managed resource, noops included (SPEC §5 `--redeploy`). */
  redeploy?: boolean;
  onProgress?: (p: ApplyProgress) => void;
  clock?: Clock;
  /** The Manager URL, recorded in the report. */
  server: string;
  /** The limiter whose `onRetry` the API client was given; made from `concurrency` when absent. */
  limiter?: AdaptiveLimiter;
  /** Grace for calls in flight after the signal; default 10 s. */
  graceMs?: number;
  /** Called when the grace period ends with calls still in flight: abort them (the client's signal). */
  abortInFlight?: () => void;
}

/** The write an action makes (a noop sent with --redeploy is an update). */
export type WriteOp = 'create' | 'update' | 'delete';

interface WorkItem {
  index: number;
  action: PlanAction;
  op: WriteOp;
}

/** Why the run stopped starting new writes. */
type Stop = { reason: 'interrupted' } | { reason: 'unauthorized'; status: number | null; hint: string };

/**
 * Applies the plan and reports every resource's outcome. Never rejects: a failed call is an
 * outcome. Noops are reported as unchanged without a call unless `redeploy`.
 */
export async function applyPlan(plan: Plan, actions: ResourceActions, options: ApplyOptions): Promise<Report> {
  const clock = options.clock ?? systemClock;
  const startedAt = new Date(clock.now()).toISOString();
  const limiter = options.limiter ?? createAdaptiveLimiter(options.concurrency, { clock });
  const results: (ApplyResult | undefined)[] = plan.actions.map(() => undefined);
  const started = new Set<number>();
  const work: WorkItem[] = [];
  plan.actions.forEach((action, index) => {
    if (action.action === 'noop' && !options.redeploy) {
      results[index] = resultOf(action, 'noop', 'ok');
    } else {
      work.push({ index, action, op: action.action === 'noop' ? 'update' : action.action });
    }
  });

  let stop: Stop | null = options.signal?.aborted ? { reason: 'interrupted' } : null;
  const progress: ApplyProgress = { done: 0, total: work.length, failed: 0 };

  const runOne = async (item: WorkItem, pause?: Pause): Promise<void> => {
    const { action, op } = item;
    let result: ApplyResult;
    const t0 = clock.now();
    if (stop) {
      result = skippedResult(action, op, stop, options.signal);
    } else {
      started.add(item.index);
      try {
        // A write waiting to retry after a fault of its own lends its slot (ResourceActions.pausing).
        result = await write(action, op, pause !== undefined && actions.pausing ? actions.pausing(pause) : actions);
      } catch (err) {
        // ResourceActions promise never to reject; if one does, it is still one resource's failure.
        result = {
          ...resultOf(action, op, 'failed'),
          error: {
            kind: 'internal',
            status: null,
            message: (err as Error).message,
            hint: 'This is a bug in apinizer-gitops; please report it.',
          },
        };
      }
      if (result.error?.kind === 'unauthorized' && !stop) {
        // A rejected token stays rejected: do not hammer the API with the rest of the plan.
        stop = { reason: 'unauthorized', status: result.error.status, hint: result.error.hint };
      }
      logResult(options.logger, result, clock.now() - t0);
    }
    results[item.index] = result;
    progress.done += 1;
    if (result.outcome === 'failed' || result.outcome === 'not-deployed') progress.failed += 1;
    options.onProgress?.({ ...progress });
  };

  // The grace period: on the signal, stop starting work; after graceMs abort what is in flight,
  // and after a further moment stop waiting for it.
  const graceTimer = new AbortController();
  let giveUp: () => void = () => undefined;
  const gaveUpPromise = new Promise<void>((resolve) => (giveUp = resolve));
  const onSignal = () => {
    if (!stop) stop = { reason: 'interrupted' };
    void clock
      .sleep(options.graceMs ?? DEFAULT_GRACE_MS, graceTimer.signal)
      .then(async () => {
        options.abortInFlight?.();
        await clock.sleep(SETTLE_MS, graceTimer.signal);
        giveUp();
      })
      .catch(() => undefined);
  };
  if (options.signal?.aborted) onSignal();
  else options.signal?.addEventListener('abort', onSignal, { once: true });

  try {
    // A group's items are handed to the limiter by a few workers per slot, each taking the next
    // item when its last one is done: the limiter's queue holds a few waiting calls, not a
    // promise and closures for every write of the plan (10,000 of them, all kept until their
    // turn, were a large part of what apply's heap grew by). More workers than slots, so that a
    // slot lent by a write waiting to retry is taken by the next write.
    const runGroup = async (items: WorkItem[]): Promise<void> => {
      let next = 0;
      const worker = async (): Promise<void> => {
        while (next < items.length) {
          const item = items[next++] as WorkItem;
          await limiter.run((pause) => runOne(item, pause));
        }
      };
      await Promise.all(Array.from({ length: Math.min(WORKERS_PER_SLOT * limiter.max, items.length) }, worker));
    };
    const all = schedule(work, runGroup).then(async () => {
      // A write whose every attempt met a transient fault gets one more round at the end, when a
      // burst of faults has had time to pass: scattered faults then fail almost nothing, which is
      // what lets one apply converge (SPEC §5). Safe for the same reasons its retries are.
      if (options.finalRound === false) return;
      const again = work.filter((w) => {
        const e = results[w.index]?.error;
        return !stop && results[w.index]?.outcome === 'failed' && e != null && isTransientFailure(e);
      });
      if (again.length === 0) return;
      progress.done -= again.length;
      progress.failed -= again.length;
      await schedule(again, runGroup);
    });
    await Promise.race([all, gaveUpPromise]);
  } finally {
    graceTimer.abort();
    options.signal?.removeEventListener('abort', onSignal);
  }

  // Snapshot: a call that answers after we gave up must not change a report already made.
  const final: ApplyResult[] = plan.actions.map((action, index) => {
    const r = results[index];
    if (r) return r;
    const op: WriteOp = action.action === 'noop' ? 'update' : action.action;
    if (!started.has(index)) return skippedResult(action, op, stop ?? { reason: 'interrupted' }, options.signal);
    return {
      ...resultOf(action, op, 'failed'),
      error: {
        kind: 'aborted',
        status: null,
        message: `interrupted: no answer within the ${Math.round((options.graceMs ?? DEFAULT_GRACE_MS) / 1000)} s grace period; the write may or may not have been saved`,
        hint: 'Run apply again; it converges.',
      },
    };
  });
  return {
    results: final,
    summary: summarise(final),
    interrupted: options.signal?.aborted === true,
    server: options.server,
    startedAt,
    finishedAt: new Date(clock.now()).toISOString(),
  };
}

/**
 * The report of a run refused before any write (e.g. `--max-deletes`): every change skipped with
 * the reason, noops unchanged.
 */
export function refusedReport(
  plan: Plan,
  reason: { kind: string; message: string; hint: string },
  server: string,
  clock: Clock = systemClock,
): Report {
  const now = new Date(clock.now()).toISOString();
  const results = plan.actions.map((action): ApplyResult => {
    if (action.action === 'noop') return resultOf(action, 'noop', 'ok');
    return {
      ...resultOf(action, action.action, 'skipped'),
      error: { kind: reason.kind, status: null, message: reason.message, hint: reason.hint },
    };
  });
  return { results, summary: summarise(results), interrupted: false, server, startedAt: now, finishedAt: now };
}

/**
 * Counts outcomes; each result is counted once. created/updated/deleted count writes that were
 * saved and deployed, by what was actually done (a create switched to an update counts as updated).
 */
export function summarise(results: readonly ApplyResult[]): ReportSummary {
  const s: ReportSummary = { created: 0, updated: 0, deleted: 0, unchanged: 0, failed: 0, notDeployed: 0, skipped: 0 };
  for (const r of results) {
    if (r.outcome === 'failed') s.failed += 1;
    else if (r.outcome === 'not-deployed') s.notDeployed += 1;
    else if (r.outcome === 'skipped') s.skipped += 1;
    else {
      const done = r.switchedTo ?? r.action;
      if (done === 'create') s.created += 1;
      else if (done === 'update') s.updated += 1;
      else if (done === 'delete' && r.alreadyGone !== true) s.deleted += 1;
      else s.unchanged += 1;
    }
  }
  return s;
}

/** True when every resource's outcome is `ok` (the apply exit code is 0 only then). */
export function reportSucceeded(report: Report): boolean {
  return !report.interrupted && report.results.every((r) => r.outcome === 'ok');
}

/**
 * Runs the work by dependency (each kind descriptor's dependsOn), not by phase: the creates and updates of a kind
 * start once those of the kinds it depends on are done, so independent kinds share the limiter
 * with no barrier between them; the deletes of a kind start once every create and update is done
 * (SPEC §5: creates, then deletes) and the deletes of the kinds that depend on it are done.
 * Resolves when all of it has run.
 */
export function schedule<T extends { action: { kind: Kind }; op: WriteOp }>(
  work: readonly T[],
  runGroup: (items: T[]) => Promise<void>,
  dependsOn: (kind: Kind) => readonly Kind[] = (kind) => descriptorOf(kind).dependsOn,
): Promise<void> {
  const byGroup = new Map<string, T[]>();
  for (const w of work) {
    const key = `${w.op === 'delete' ? 'delete' : 'write'}:${w.action.kind}`;
    const list = byGroup.get(key);
    if (list) list.push(w);
    else byGroup.set(key, [w]);
  }
  const done = new Map<string, Promise<void>>();
  const visiting = new Set<string>();
  const group = (del: boolean, kind: Kind): Promise<void> => {
    const key = `${del ? 'delete' : 'write'}:${kind}`;
    const known = done.get(key);
    if (known) return known;
    if (visiting.has(key)) throw new Error(`kind dependencies form a cycle through ${kind}`);
    visiting.add(key);
    const order = kindNames();
    const before = del
      ? [
          ...order.map((k) => group(false, k)),
          ...order.filter((k) => dependsOn(k).includes(kind)).map((k) => group(true, k)),
        ]
      : dependsOn(kind).map((k) => group(false, k));
    const items = byGroup.get(key) ?? [];
    const p = Promise.all(before).then(() => (items.length > 0 ? runGroup(items) : undefined));
    visiting.delete(key);
    done.set(key, p);
    return p;
  };
  return Promise.all(kindNames().flatMap((k) => [group(false, k), group(true, k)])).then(() => undefined);
}

/** One resource's write, with the switches of SPEC §5. */
async function write(action: PlanAction, op: WriteOp, actions: ResourceActions): Promise<ApplyResult> {
  const options = await writeQuery(action, op === 'delete' ? 'delete' : 'update', actions);
  if (!options.ok) return fromWrite(action, op, options, null);
  if (op === 'delete') {
    const r = await actions.delete({ kind: action.kind, project: action.project, name: action.name }, options.value);
    // Already gone is what a delete wants. Answered so at the first attempt, someone else deleted it
    // (another apply running at the same time): this run did not, and its report does not claim it.
    // After a retry, the 404 may answer this run's own earlier attempt: then it counts as deleted.
    if (!r.ok && r.error.kind === 'not-found') {
      return { ...resultOf(action, 'delete', 'ok'), ...(r.error.attempts <= 1 ? { alreadyGone: true } : {}) };
    }
    return fromWrite(action, 'delete', r, null);
  }
  const desired = action.desired;
  if (!desired) {
    return {
      ...resultOf(action, op, 'failed'),
      error: {
        kind: 'internal',
        status: null,
        message: 'the plan holds no desired object for this resource',
        hint: 'This is a bug in apinizer-gitops; please report it.',
      },
    };
  }
  if (op === 'create') {
    const r = await actions.create(desired);
    if (!r.ok && r.error.kind === 'already-exists') {
      return fromWrite(action, 'create', await actions.update(desired, options.value), 'update');
    }
    return fromWrite(action, 'create', r, null);
  }
  const r = await actions.update(desired, options.value);
  // A missing object is created; a missing project is not (the create would fail the same way).
  if (!r.ok && r.error.kind === 'not-found') {
    return fromWrite(action, 'update', await actions.create(desired), 'create');
  }
  const result = fromWrite(action, 'update', r, null);
  return r.ok ? confirmRemovals(action, desired, actions, result) : result;
}

/**
 * The non-secret things an update removes (an environment, an alias): the plan's changes with a
 * value before and none after. Apinizer does not say whether an update replaces or merges them.
 */
export function removalsOf(action: PlanAction): FieldChange[] {
  return action.changes.filter((c) => !c.sensitive && c.before !== undefined && c.after === undefined);
}

/**
 * After an update that removes something, reads the resource back once (SPEC §5): a server that
 * merged instead of replacing still holds it, and saying "ok" would leave a plan that shows the
 * same change forever without saying why. A failed read-back leaves the write's own outcome: the
 * write did succeed, and the next plan shows whatever is left.
 */
async function confirmRemovals(
  action: PlanAction,
  desired: DesiredResource,
  actions: ResourceActions,
  result: ApplyResult,
): Promise<ApplyResult> {
  const removals = removalsOf(action);
  if (removals.length === 0) return result;
  const back = await actions.get({ kind: action.kind, project: action.project, name: action.name });
  if (!back.ok || back.value === null) return result;
  const still = new Set(diffResource(desired, back.value).changes.map((c) => c.path));
  const kept = removals.filter((c) => still.has(c.path));
  if (kept.length === 0) return result;
  const label = resourceLabel(action);
  const held = back.value.environments.map((e) => e.name);
  const what = kept.map((c) => keptLabel(c.path, held)).join(', ');
  const message =
    `the server kept ${what} after an update that left ${kept.length === 1 ? 'it' : 'them'} out ` +
    `(it merges instead of replacing); ${label} is otherwise updated` +
    (result.outcome === 'not-deployed' && result.error ? `; also ${result.error.message}` : '');
  const hint =
    `Remove ${what} by hand in the Apinizer Manager (open ${label}, remove it, save), ` +
    `or delete ${label} there and run apply again to re-create it as the manifest says.`;
  return { ...result, outcome: 'failed', error: { kind: 'kept-by-server', status: null, message, hint } };
}

/** `environment staging` / `alias of environment staging` for a change path of the diff. */
function keptLabel(path: string, environments: readonly string[]): string {
  // Environment names may contain dots: match the names the server holds, longest first.
  for (const name of [...environments].sort((a, b) => b.length - a.length)) {
    const at = `environments.${name}`;
    if (path === at) return `environment ${name}`;
    if (path.startsWith(`${at}.`)) return `${path.slice(at.length + 1)} of environment ${name}`;
  }
  return path;
}

/**
 * The write options of an action: the plan's (what the reviewer saw), or, for an action made
 * without knowing the server's generation (watch's incremental plans), the kind's choice for the
 * generation the server speaks, asked now.
 */
async function writeQuery(
  action: PlanAction,
  op: 'update' | 'delete',
  actions: ResourceActions,
): Promise<Result<WriteQuery>> {
  if (action.writeOptions) return { ok: true, value: action.writeOptions.query };
  const hook = descriptorOf(action.kind).writeOptions;
  if (!hook) return { ok: true, value: {} };
  const g = await actions.generation(action.project);
  if (!g.ok) return g;
  return { ok: true, value: hook.options(action.desired, op, g.value).query };
}

function fromWrite(
  action: PlanAction,
  op: WriteOp,
  r: Result<WriteResult>,
  switchedTo: 'create' | 'update' | null,
): ApplyResult {
  const base = { ...resultOf(action, op, 'ok'), switchedTo };
  if (!r.ok) {
    const e = r.error;
    return { ...base, outcome: 'failed', error: { kind: e.kind, status: e.status, message: e.message, hint: e.hint } };
  }
  const deployment = r.value.deployment;
  const failedEnvs = deployment.filter((d) => !d.success);
  if (failedEnvs.length === 0) return { ...base, deployment };
  const message = failedEnvs.map((d) => `applied, not deployed to ${d.environment}: ${d.message}`).join('; ');
  return {
    ...base,
    deployment,
    outcome: 'not-deployed',
    error: {
      kind: 'not-deployed',
      status: null,
      message,
      hint: 'Fix the environment, then run apply --redeploy to deploy again (a plan does not see a failed deployment).',
    },
  };
}

function resultOf(action: PlanAction, op: WriteOp | 'noop', outcome: ApplyResult['outcome']): ApplyResult {
  return {
    action: op,
    kind: action.kind,
    project: action.project,
    name: action.name,
    outcome,
    switchedTo: null,
    deployment: [],
    error: null,
  };
}

function skippedResult(action: PlanAction, op: WriteOp, stop: Stop, signal: AbortSignal | undefined): ApplyResult {
  if (stop.reason === 'unauthorized') {
    return {
      ...resultOf(action, op, 'skipped'),
      error: {
        kind: 'unauthorized',
        status: stop.status,
        message: 'not attempted: the API rejected the credentials on an earlier call, so the run stopped',
        hint: stop.hint,
      },
    };
  }
  const which =
    signal?.reason instanceof Error && /^SIG/.test(signal.reason.message) ? ` (${signal.reason.message})` : '';
  return {
    ...resultOf(action, op, 'skipped'),
    error: {
      kind: 'interrupted',
      status: null,
      message: `not attempted: apply was interrupted${which}`,
      hint: 'Run apply again; it converges.',
    },
  };
}

function logResult(logger: Logger | undefined, r: ApplyResult, ms: number): void {
  if (!logger) return;
  const fields = {
    action: r.action,
    kind: r.kind,
    project: r.project,
    name: r.name,
    outcome: r.outcome,
    ms,
    switchedTo: r.switchedTo,
  };
  const label = resourceLabel(r);
  if (r.outcome === 'ok') {
    logger.info(fields, `${label}: ${pastTense(r.switchedTo ?? r.action)}`);
  } else {
    logger.error(
      { ...fields, error: r.error ? { kind: r.error.kind, status: r.error.status } : null },
      `${label}: ${r.outcome}: ${r.error?.message ?? ''}`,
    );
  }
}

function pastTense(op: ApplyResult['action']): string {
  return op === 'create' ? 'created' : op === 'update' ? 'updated' : op === 'delete' ? 'deleted' : 'unchanged';
}
