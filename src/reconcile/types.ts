// The values the reconcile stages pass on: field changes, plan actions, the Plan, results and the
// Report, from which the exit code is decided.
import type { EnvironmentDeployment } from '../api/types.js';
import type { Diagnostic } from '../diagnostics.js';
import type { WriteOptions } from '../kinds/types.js';
import type { CurrentResource, DesiredResource, Kind, SourceLocation } from '../model.js';

export type ActionType = 'create' | 'update' | 'delete' | 'noop';

/**
 * One field-level difference. Paths: `description`, `keyType`, `environments.<env>` (an
 * environment added or removed), `environments.<env>.type`, `environments.<env>.publicKey`,
 * `environments.<env>.privateKey`, `environments.<env>.file`. For a sensitive field `before` and
 * `after` are never set: the value is not shown, nor its hash.
 */
export interface FieldChange {
  path: string;
  before?: string;
  after?: string;
  sensitive: boolean;
}

/** What one resource needs. `desired`/`current` are kept for apply; renderers must not print them. */
export interface PlanAction {
  action: ActionType;
  kind: Kind;
  project: string;
  name: string;
  /** Where the manifest declares it; absent for deletes. */
  source?: SourceLocation;
  /** Field-level changes (update), or every field (create/delete), sensitive ones marked. */
  changes: FieldChange[];
  /**
   * Secret fields the server masked or left out, so the plan cannot tell whether they differ
   * (SPEC §4). Never a reason to update; shown so the user knows (`apply --redeploy` forces).
   */
  unknownFields: string[];
  /**
   * The query parameters this action's write sends besides the object (SPEC §5), as the kind's
   * descriptor chose them: an update's (also a create's, should it be switched to an update, and a
   * noop's when redeployed) or a delete's. Part of what a saved plan fixes. Absent when the plan was
   * made without knowing the server's generation (watch's incremental plans): apply asks the kind
   * at write time then.
   */
  writeOptions?: WriteOptions;
  /** SHA-256 (hex) of the canonical desired / current object; null when there is none. */
  fingerprints: { desired: string | null; current: string | null };
  desired?: DesiredResource;
  current?: CurrentResource;
  /** Certificates in the resource's material (creates and updates), for the reviewer (SPEC §2c). */
  certificates?: PlanCertificate[];
}

/** A certificate of a changed resource, as the plan shows it: all public facts, never the material. */
export interface PlanCertificate {
  environment: string;
  subject: string;
  /** `YYYY-MM-DD` (UTC). */
  notAfter: string;
  /** Whole days from the plan's creation to notAfter; negative once expired. */
  daysLeft: number;
}

export interface PlanSummary {
  create: number;
  update: number;
  delete: number;
  noop: number;
}

/** The whole plan as a value: rendered, saved, compared, applied. */
export interface Plan {
  /** Every managed resource (noops included), in kind order, then project, then name; deletes last. */
  actions: PlanAction[];
  summary: PlanSummary;
  /** Plan-level warnings, e.g. a kind left out of prune scope, or deletes refused by a guard. */
  warnings: string[];
  /** Errors found while planning (unknown environment/project, manifest diagnostics). */
  diagnostics: Diagnostic[];
  /** The Manager URL the plan was made against (no credentials), and when (ISO 8601). */
  server: string;
  createdAt: string;
  /**
   * The API generation the server speaks for the plan's projects (SPEC §2b), `mixed` when they
   * differ; absent when the server was not asked (a plan of invalid manifests).
   */
  apiGeneration?: 'legacy' | 'current' | 'mixed';
}

/** A resource's outcome after apply (SPEC §5). */
export type Outcome = 'ok' | 'failed' | 'not-deployed' | 'skipped';

export interface ApplyResult {
  action: Exclude<ActionType, 'noop'> | 'noop';
  kind: Kind;
  project: string;
  name: string;
  outcome: Outcome;
  /** Set when a create became an update ("already exist") or an update became a create (404). */
  switchedTo: 'create' | 'update' | null;
  /**
   * A delete the server answered 404 at the first attempt: the object was gone before this run
   * asked (another apply deleted it). Counted as unchanged, not deleted, so that two concurrent
   * applies do not both report the same delete.
   */
  alreadyGone?: true;
  deployment: EnvironmentDeployment[];
  /** A sentence for the user; null on success. Never contains a secret or token. */
  error: { kind: string; status: number | null; message: string; hint: string } | null;
}

export interface ReportSummary {
  created: number;
  updated: number;
  deleted: number;
  unchanged: number;
  failed: number;
  notDeployed: number;
  skipped: number;
}

/** What apply did, every outcome listed; the exit code is decided from it alone. */
export interface Report {
  results: ApplyResult[];
  summary: ReportSummary;
  /** True when SIGINT/SIGTERM stopped the run before everything was attempted. */
  interrupted: boolean;
  server: string;
  startedAt: string;
  finishedAt: string;
}
