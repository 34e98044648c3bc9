// Pure: time alone must not stop unrelated work (SPEC §2c). An expired (or not yet valid, outside a
// truststore) certificate is an error
// only for a write that sends it (a create, or an update that changes that environment's material,
// or cannot tell because the server hides it); where the server already holds the same material,
// so nothing new is sent, it is a warning that says so. `validate` never comes here: it cannot know
// what the server holds, and keeps expiry an error.
import type { Diagnostic } from '../diagnostics.js';
import type { ExpiredMaterial } from '../manifest/load.js';
import { resourceKey } from '../model.js';
import type { PlanAction } from './types.js';

/** What the plan makes of the expired certificates of a load. */
export interface ExpiryVerdict {
  /** Writes that would send expired material: each refuses its resource's write. */
  errors: Diagnostic[];
  /** Expired material the server already holds (or nothing writes): reported, never blocking. */
  warnings: Diagnostic[];
  /** Resource keys whose write is refused. */
  refused: Set<string>;
}

/** Whether `action` sends the material of `field` in `environment` that the server does not hold (or may not). */
function sendsMaterial(action: PlanAction, environment: string, field: string): boolean {
  if (action.action === 'create') return true;
  if (action.action !== 'update') return false;
  const env = `environments.${environment}`;
  const at = `${env}.${field}`;
  return (
    action.changes.some((c) => c.path === env || c.path === at) ||
    // Unknown (the server hides it, the export refused): it may not hold this material.
    action.unknownFields.includes(at)
  );
}

/** Judges each expired certificate against the actions that would write its resource. */
export function judgeExpiredMaterial(
  actions: readonly PlanAction[],
  expired: readonly ExpiredMaterial[],
): ExpiryVerdict {
  const byKey = new Map(actions.map((a) => [resourceKey(a), a]));
  const verdict: ExpiryVerdict = { errors: [], warnings: [], refused: new Set() };
  for (const e of expired) {
    const key = resourceKey(e.resource);
    const action = byKey.get(key);
    if (action && sendsMaterial(action, e.environment, e.field)) {
      verdict.refused.add(key);
      verdict.errors.push({
        ...e.diagnostic,
        severity: 'error',
        message: `${e.diagnostic.message}; this ${action.action} would send it to the server, so it is refused`,
      });
    } else {
      verdict.warnings.push({
        ...e.diagnostic,
        severity: 'warning',
        message: `${e.diagnostic.message} (the server already holds this material, so it is not sent again; only a write that sends it is refused)`,
      });
    }
  }
  return verdict;
}
