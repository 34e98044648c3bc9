// What watch knows between cycles: the last good desired state, the version of each resource known
// to be on the server (by fingerprint), what is owed (redeploys after a failed deployment, deletes
// after a removal under --prune), removals not yet confirmed, the per-resource retry backoff and the
// environments cache.
// No I/O and no logging: the cycles read and update it, the reconciler reports from it.
import { resourceKey, type DesiredResource, type DesiredState, type ResourceId } from '../model.js';
import type { ExpiredMaterial } from '../manifest/load.js';
import type { ApplyResult, PlanAction } from '../reconcile/types.js';
import { Backoff } from './backoff.js';
import { fingerprintOf, pendingResources, type Suspect, type SyncedEntry } from './cycle.js';

/** The backoff key of a full cycle that could not read the server. */
export const FULL_KEY = '\u0000full-cycle';

/** The watch loop's memory between cycles. */
export class WatchState {
  /** The last desired state that loaded and passed preflight. */
  lastGood: DesiredState | null = null;
  /** The manifests as last read were valid (retries may write). */
  lastLoadValid = false;
  /** An invalid state was logged and not yet declared fixed. */
  reportedInvalid = false;
  /** The full apply of the start has run (drift exists only after it). */
  startApplied = false;
  /** The next cycle must be a full one (the start, or the server could not be read). */
  needsFull = true;
  /** The desired version known to be on the server, by resource key. */
  readonly synced = new Map<string, SyncedEntry>();
  /** Saved, but a deployment failed: an update is owed. */
  readonly redeploy = new Set<string>();
  /** Removed from Git with --prune: a delete is owed. */
  readonly pendingDeletes = new Map<string, ResourceId>();
  /**
   * Resources that disappeared (from the manifests, or, at a resync, objects to prune) and are not
   * yet confirmed gone: nothing is deleted or forgotten until a read after another quiet period
   * still misses them (SPEC §6), so a file caught half-written never costs a delete.
   */
  readonly suspects = new Map<string, Suspect>();
  /** Expired certificates of the last valid load: judged per write (SPEC §2c, refuseExpired). */
  expired: ExpiredMaterial[] = [];
  /** Environment names per project, refreshed by every environments answer. */
  readonly environments = new Map<string, string[]>();

  constructor(readonly backoff: Backoff) {}

  /** Records a valid load that the cycle acted on. */
  accept(state: DesiredState): void {
    this.lastGood = state;
    this.lastLoadValid = true;
  }

  /** The server holds exactly this version: nothing is owed for it. */
  markSynced(r: DesiredResource): void {
    const key = resourceKey(r);
    this.synced.set(key, { fingerprint: fingerprintOf(r), resource: r });
    this.redeploy.delete(key);
    this.backoff.clear(key);
  }

  /** Drops resources from management: no version known, nothing owed, no retry. */
  forget(ids: readonly ResourceId[]): void {
    for (const id of ids) {
      const key = resourceKey(id);
      this.synced.delete(key);
      this.redeploy.delete(key);
      this.backoff.clear(key);
    }
  }

  /**
   * Records the outcome of one write. Returns the retry delay for a failure, null for a success.
   * A failed delete stays owed; a write saved but not deployed is synced with a redeploy owed; after
   * any other failure what the server holds is unknown, so the resource is planned again next time.
   */
  recordWrite(a: PlanAction, outcome: ApplyResult['outcome'], now: number): number | null {
    const key = resourceKey(a);
    if (outcome === 'ok') {
      if (a.action === 'delete') {
        this.pendingDeletes.delete(key);
        this.backoff.clear(key);
      } else if (a.desired) {
        this.markSynced(a.desired);
      }
      return null;
    }
    const delay = this.backoff.fail(key, now);
    if (a.action === 'delete') {
      this.pendingDeletes.set(key, { kind: a.kind, project: a.project, name: a.name });
    } else if (outcome === 'not-deployed' && a.desired) {
      this.synced.set(key, { fingerprint: fingerprintOf(a.desired), resource: a.desired });
      this.redeploy.add(key);
    } else {
      this.synced.delete(key);
    }
    return delay;
  }

  /** Resources of the last good state not known to be on the server as they are. */
  pending(state: DesiredState | null = this.lastGood): DesiredResource[] {
    return state ? pendingResources(state, this.synced, this.redeploy) : [];
  }

  /** Forgets backoff of anything no longer owed (fixed by hand, removed from Git, refused), so no retry fires for nothing. */
  tidyBackoff(): void {
    const owed = new Set<string>(this.pendingDeletes.keys());
    for (const r of this.pending()) owed.add(resourceKey(r));
    if (this.needsFull) owed.add(FULL_KEY);
    for (const key of this.backoff.keys()) if (!owed.has(key)) this.backoff.clear(key);
  }

  /** Resources waiting for a retry after a failure (the full-cycle retry not counted). */
  retriesWaiting(): number {
    return this.backoff.keys().filter((k) => k !== FULL_KEY).length;
  }
}
