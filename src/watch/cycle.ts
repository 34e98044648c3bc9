// Pure: what one watch cycle has to do, decided from values. Given the desired state the watcher
// last knew to be valid, what it last knew to be on the server (by fingerprint), and a freshly
// loaded state, which resources need a GET and maybe a write, which are gone from Git, and, for a
// full resync, which differences are drift made outside Git rather than Git changes not yet applied.
import {
  resourceKey,
  type CurrentResource,
  type DesiredResource,
  type DesiredState,
  type ResourceId,
} from '../model.js';
import { diffResource, sameDesired } from '../reconcile/diff.js';
export { sameDesired } from '../reconcile/diff.js';
import { fingerprintDesired } from '../reconcile/fingerprint.js';
import { buildPlan, listScopes, summarise } from '../reconcile/plan.js';
import type { Plan, PlanAction } from '../reconcile/types.js';

/** The version of a resource last known to be on the server, by its desired fingerprint. */
export interface SyncedEntry {
  fingerprint: string;
  resource: DesiredResource;
}

// The loader makes new objects on every load, but a cycle fingerprints the same objects more than
// once (diff against the last good state, then pending selection): remember per object.
const fingerprints = new WeakMap<DesiredResource, string>();

/** fingerprintDesired, memoised per object. */
export function fingerprintOf(r: DesiredResource): string {
  let fp = fingerprints.get(r);
  if (fp === undefined) {
    fp = fingerprintDesired(r);
    fingerprints.set(r, fp);
  }
  return fp;
}

/** How a valid desired state differs from the previous valid one. */
export interface DesiredChanges {
  /** In `next` only. */
  added: DesiredResource[];
  /** In both, with a different fingerprint. */
  changed: DesiredResource[];
  /** In `previous` only: dropped from management (deleted only with prune). */
  removed: ResourceId[];
  unchanged: number;
}

/**
 * Compares two valid desired states resource by resource (by fingerprintDesired). A resource
 * that is field for field the same as before takes over the old object's fingerprint instead of
 * hashing its canonical form again: a change cycle over 10,000 resources where one changed would
 * otherwise spend more time hashing than loading.
 */
export function desiredChanges(previous: DesiredState | null, next: DesiredState): DesiredChanges {
  const before = new Map<string, DesiredResource>();
  for (const r of previous?.resources ?? []) before.set(resourceKey(r), r);
  const out: DesiredChanges = { added: [], changed: [], removed: [], unchanged: 0 };
  const seen = new Set<string>();
  for (const r of next.resources) {
    const key = resourceKey(r);
    seen.add(key);
    const old = before.get(key);
    if (old === undefined) {
      out.added.push(r);
      continue;
    }
    const known = fingerprints.get(old);
    if (known !== undefined && !fingerprints.has(r) && sameDesired(old, r)) fingerprints.set(r, known);
    if (fingerprintOf(old) !== fingerprintOf(r)) out.changed.push(r);
    else out.unchanged += 1;
  }
  for (const [key, r] of before) {
    if (!seen.has(key)) out.removed.push({ kind: r.kind, project: r.project, name: r.name });
  }
  return out;
}

/**
 * The resources of `desired` not known to be on the server as they are now: new or changed
 * since they were last synced (a failed write leaves them here, so they are retried), or marked
 * for a redeploy because a deployment failed.
 */
export function pendingResources(
  desired: DesiredState,
  synced: ReadonlyMap<string, SyncedEntry>,
  redeploy: ReadonlySet<string>,
): DesiredResource[] {
  return desired.resources.filter((r) => {
    const key = resourceKey(r);
    return redeploy.has(key) || synced.get(key)?.fingerprint !== fingerprintOf(r);
  });
}

/** A resource seen gone and not yet confirmed gone (see confirmRemovals). */
export interface Suspect {
  id: ResourceId;
  /** When it was first seen gone (clock ms). */
  since: number;
  /** Found by a resync as an object no manifest declares (drift), rather than removed from Git. */
  drift: boolean;
}

/** What confirmRemovals decided. */
export interface RemovalDecision {
  /** Still gone on a fresh read at least one quiet period after they were first missed: act on them. */
  confirmed: Suspect[];
  /** Gone, not yet confirmed: kept as they were (managed, nothing deleted) until the confirming read. */
  waiting: Map<string, Suspect>;
  /** Suspects that were first seen gone in this read (logged once). */
  fresh: Suspect[];
  /** Suspects that are back in the manifests: nothing is done about them. */
  back: ResourceId[];
}

/**
 * The confirmation rule of SPEC §6: a resource that disappears is acted on only if it is still
 * absent when the tree is read again, afresh, after another quiet period. A file emptied by an
 * editor's save, a multi-document file cut at a `---`, a file moved between folders while the tree
 * was walked: each is back by the confirming read, and nothing was deleted.
 *
 * `gone` are the resources missing from this read (removed since the last good state, or, at a
 * resync, planned for a delete); suspects missing from `present` stay gone as well. `confirming`
 * says this read re-read every file after a quiet period.
 */
export function confirmRemovals(
  suspects: ReadonlyMap<string, Suspect>,
  gone: readonly ResourceId[],
  present: ReadonlySet<string>,
  now: number,
  options: { confirming: boolean; quietMs: number; drift?: ReadonlySet<string> },
): RemovalDecision {
  const out: RemovalDecision = { confirmed: [], waiting: new Map(), fresh: [], back: [] };
  const consider = (id: ResourceId) => {
    const key = resourceKey(id);
    if (out.waiting.has(key) || out.confirmed.some((s) => resourceKey(s.id) === key)) return;
    const known = suspects.get(key);
    if (known && options.confirming && now - known.since >= options.quietMs) {
      out.confirmed.push(known);
      return;
    }
    const suspect = known ?? { id, since: now, drift: options.drift?.has(key) ?? false };
    if (!known) out.fresh.push(suspect);
    out.waiting.set(key, suspect);
  };
  for (const id of gone) consider(id);
  for (const [key, s] of suspects) {
    if (present.has(key)) out.back.push(s.id);
    else consider(s.id);
  }
  return out;
}

export interface PruneOptions {
  prune: boolean;
  allowEmptyPrune: boolean;
  extraProjects: string[];
}

/**
 * Which removed resources may be deleted: none without prune; with prune, those whose (project,
 * kind) is still in prune scope for the new state (SPEC §4: a kind with no manifest left in a
 * project is left alone, exactly as a full plan would).
 */
export function removalsToDelete(
  removed: readonly ResourceId[],
  next: DesiredState,
  options: PruneOptions,
): { delete: ResourceId[]; keep: ResourceId[] } {
  if (!options.prune) return { delete: [], keep: [...removed] };
  const scopes = new Set(listScopes(next, options).map((s) => `${s.kind}\u0000${s.project}`));
  const out = { delete: [] as ResourceId[], keep: [] as ResourceId[] };
  for (const id of removed) (scopes.has(`${id.kind}\u0000${id.project}`) ? out.delete : out.keep).push(id);
  return out;
}

/**
 * A plan action with the two cases watch must write although a plain plan says noop:
 * - `redeploy`: the last write saved the object but a deployment failed; only an update retries it;
 * - the server masks secrets, and Git changed exactly such a secret since the version last synced:
 *   the plan cannot see the difference (the field is unknown), but watch knows it changed.
 */
export function forceWhereNeeded(
  action: PlanAction,
  previous: DesiredResource | undefined,
  redeploy: boolean,
): PlanAction {
  if (action.action !== 'noop' || action.desired === undefined) return action;
  if (redeploy) return { ...action, action: 'update' };
  if (previous === undefined || action.unknownFields.length === 0) return action;
  // A desired resource has the shape of a current one with every secret known.
  const gitChanges = diffResource(action.desired, previous).changes;
  const unknown = new Set(action.unknownFields);
  const hidden = gitChanges.filter((c) => unknown.has(c.path));
  return hidden.length > 0 ? { ...action, action: 'update', changes: hidden } : action;
}

/** What one resource's GET found, for the incremental plan. */
export interface Fetched {
  desired: DesiredResource;
  /** null: the server has no such object (a create). */
  current: CurrentResource | null;
  /** The version last synced, if any (to see a change to a masked secret). */
  previous?: DesiredResource;
  redeploy: boolean;
}

/**
 * The plan of an incremental cycle: buildPlan over exactly the fetched resources (so the diff and
 * fingerprints are the ones `plan` uses), the watch-only forced updates, and deletes of removed
 * resources (no GET needed: a delete answered 404 is done).
 */
export function incrementalPlan(
  fetched: readonly Fetched[],
  deletes: readonly ResourceId[],
  meta: { server: string; createdAt: string },
): Plan {
  const base = buildPlan({
    desired: { resources: fetched.map((f) => f.desired), projects: [] },
    current: fetched.flatMap((f) => (f.current ? [f.current] : [])),
    scopes: [],
    prune: false,
    allowEmptyPrune: false,
    extraProjects: [],
    server: meta.server,
    createdAt: meta.createdAt,
  });
  const byKey = new Map(fetched.map((f) => [resourceKey(f.desired), f]));
  const actions = base.actions.map((a) => {
    const f = byKey.get(resourceKey(a));
    return f ? forceWhereNeeded(a, f.previous, f.redeploy) : a;
  });
  actions.push(...deletes.map(deleteAction));
  return { ...base, actions, summary: summarise(actions) };
}

/** A delete of a resource by identity alone (what the server holds is not needed to delete it). */
export function deleteAction(id: ResourceId): PlanAction {
  return {
    action: 'delete',
    kind: id.kind,
    project: id.project,
    name: id.name,
    changes: [],
    unknownFields: [],
    fingerprints: { desired: null, current: null },
  };
}

/** A full plan's actions split by where each difference came from. */
export interface ResyncSplit {
  /** The server differs from a version watch had synced: changed outside Git. */
  drift: PlanAction[];
  /** Git changes not yet on the server (new, changed, failed earlier, removed with prune). */
  fromGit: PlanAction[];
  /** Nothing to do. */
  noop: PlanAction[];
}

/**
 * Splits a full plan (actions already passed through forceWhereNeeded). A create or update is
 * drift when watch had synced exactly this desired version; a delete is drift (an object no
 * manifest declares). Keys in `owed` are never drift: resources Git removed (a delete still owed)
 * and redeploys still owed after a failed deployment. At start nothing was synced: no drift.
 */
export function splitResync(
  actions: readonly PlanAction[],
  synced: ReadonlyMap<string, SyncedEntry>,
  owed: ReadonlySet<string>,
): ResyncSplit {
  const out: ResyncSplit = { drift: [], fromGit: [], noop: [] };
  for (const a of actions) {
    const key = resourceKey(a);
    if (a.action === 'noop') out.noop.push(a);
    else if (owed.has(key)) out.fromGit.push(a);
    else if (a.action === 'delete') out.drift.push(a);
    // Watch's own fingerprints are unkeyed (in memory only); a plan's are keyed for saving.
    else if (a.desired && synced.get(key)?.fingerprint === fingerprintOf(a.desired)) out.drift.push(a);
    else out.fromGit.push(a);
  }
  return out;
}

/** A plan holding only `actions` (e.g. the ones a cycle writes). */
export function subPlan(plan: Plan, actions: PlanAction[]): Plan {
  return { ...plan, actions, summary: summarise(actions) };
}

/** One line naming what drifted, without values: `Key Payments/a: description, environments.test.privateKey`. */
export function describeDrift(a: PlanAction): string {
  const what =
    a.action === 'create'
      ? 'missing on the server'
      : a.action === 'delete'
        ? 'on the server but in no manifest'
        : a.changes.map((c) => c.path).join(', ');
  return `${a.kind} ${a.project}/${a.name}: ${what}`;
}
