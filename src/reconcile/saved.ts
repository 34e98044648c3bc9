// Pure: the plan as a JSON document (SPEC §3, schemas/plan.schema.json) and the check that a plan
// saved by `plan --format json --out FILE` still holds before `apply --plan FILE` writes (SPEC §5).
// The JSON never carries a secret value or a secret's hash: only field paths, non-sensitive
// before/after text, and one fingerprint per whole object.
import { diagnosticToJson, formatDiagnostic } from '../diagnostics.js';
import type { Diagnostic } from '../diagnostics.js';
import { isKind } from '../kinds/index.js';
import { resourceKey, resourceLabel } from '../model.js';
import type { Kind } from '../model.js';
import type { ActionType, Plan, PlanCertificate, PlanSummary } from './types.js';
import { isRecord } from '../text.js';

export const PLAN_FORMAT_VERSION = 1;

export interface PlanJsonChange {
  path: string;
  before?: string;
  after?: string;
  sensitive: boolean;
}

export interface PlanJsonAction {
  action: ActionType;
  kind: Kind;
  project: string;
  name: string;
  source: { file: string; line: number } | null;
  changes: PlanJsonChange[];
  unknownFields: string[];
  fingerprints: { desired: string | null; current: string | null };
  certificates?: PlanCertificate[];
}

/** A diagnostic in the plan JSON: the Diagnostic fields (see diagnosticToJson). */
export type PlanJsonDiagnostic = Diagnostic;

/** The `plan --format json` document. */
export interface PlanJson {
  formatVersion: 1;
  server: string;
  createdAt: string;
  apiGeneration?: Plan['apiGeneration'];
  summary: PlanSummary;
  actions: PlanJsonAction[];
  /** Plan warnings, then warning diagnostics formatted as one line each. */
  warnings: string[];
  /** Error diagnostics (unknown environments, manifest errors ...). */
  errors: PlanJsonDiagnostic[];
}

/** The plan as its JSON document: every action (noops included), no secret value, no secret hash. */
export function planToJson(plan: Plan): PlanJson {
  return {
    formatVersion: 1,
    server: plan.server,
    createdAt: plan.createdAt,
    ...(plan.apiGeneration !== undefined ? { apiGeneration: plan.apiGeneration } : {}),
    summary: { ...plan.summary },
    // Fields are copied one by one: `desired`/`current` hold Secrets and must never be serialised.
    actions: plan.actions.map((a) => ({
      action: a.action,
      kind: a.kind,
      project: a.project,
      name: a.name,
      source: a.source ? { file: a.source.file, line: a.source.line } : null,
      changes: a.changes.map((c) => {
        const change: PlanJsonChange = { path: c.path, sensitive: c.sensitive };
        if (!c.sensitive && c.before !== undefined) change.before = c.before;
        if (!c.sensitive && c.after !== undefined) change.after = c.after;
        return change;
      }),
      unknownFields: [...a.unknownFields],
      fingerprints: { desired: a.fingerprints.desired, current: a.fingerprints.current },
      ...(a.certificates ? { certificates: a.certificates.map((c) => ({ ...c })) } : {}),
    })),
    warnings: [...plan.warnings, ...plan.diagnostics.filter((d) => d.severity !== 'error').map(formatDiagnostic)],
    errors: plan.diagnostics.filter((d) => d.severity === 'error').map(diagnosticToJson),
  };
}

interface SavedAction {
  action: string;
  kind: Kind;
  project: string;
  name: string;
  desired: string | null;
  current: string | null;
}

const REMAKE = 'make it again with `apinizer-gitops plan --format json --out FILE`';

/**
 * Compares a saved plan (parsed JSON of unknown shape) with a fresh one. Returns one sentence per
 * difference in actions or fingerprints, or a single sentence when the saved document is not a
 * plan this version can read; an empty list means the saved plan still holds.
 */
export function compareWithSavedPlan(saved: unknown, fresh: Plan): string[] {
  const parsed = readSavedActions(saved);
  if (typeof parsed === 'string') return [parsed];

  const differences: string[] = [];
  const freshByKey = new Map(fresh.actions.map((a) => [resourceKey(a), a]));
  const savedByKey = new Map<string, SavedAction>();
  for (const s of parsed) {
    const key = resourceKey(s);
    if (savedByKey.has(key)) return [`the saved plan lists ${resourceLabel(s)} twice; ${REMAKE}`];
    savedByKey.set(key, s);
  }

  for (const a of fresh.actions) {
    const label = resourceLabel(a);
    const s = savedByKey.get(resourceKey(a));
    if (s === undefined) {
      differences.push(`${label}: planned now (${a.action}) but not in the saved plan`);
      continue;
    }
    if (s.action !== a.action) {
      differences.push(`${label}: the saved plan says ${s.action}, the plan now says ${a.action}`);
    }
    if (s.desired !== a.fingerprints.desired) {
      differences.push(`${label}: the manifests changed since the plan was saved (desired fingerprint differs)`);
    }
    // Both fingerprints are keyed by the resource's desired secrets (src/reconcile/fingerprint.ts):
    // a secret changed in Git moves the current one too, and the manifests are the news then.
    else if (s.current !== a.fingerprints.current) {
      differences.push(
        `${label}: the object on the server changed since the plan was saved (current fingerprint differs)`,
      );
    }
  }
  for (const s of parsed) {
    if (!freshByKey.has(resourceKey(s))) {
      differences.push(`${resourceLabel(s)}: in the saved plan (${s.action}) but not planned now`);
    }
  }
  return differences;
}

/** The saved document's actions, or a sentence saying why it is not a readable plan. */
function readSavedActions(saved: unknown): SavedAction[] | string {
  if (!isRecord(saved)) return `the saved plan is not a JSON object; ${REMAKE}`;
  if (saved.formatVersion !== PLAN_FORMAT_VERSION) {
    const got =
      saved.formatVersion === undefined ? 'no formatVersion' : `formatVersion ${JSON.stringify(saved.formatVersion)}`;
    return `the saved plan has ${got}, but this version of apinizer-gitops reads formatVersion ${PLAN_FORMAT_VERSION}; ${REMAKE}`;
  }
  if (!Array.isArray(saved.actions)) return `the saved plan has no "actions" list; ${REMAKE}`;
  const out: SavedAction[] = [];
  for (const [i, raw] of (saved.actions as unknown[]).entries()) {
    const bad = (what: string) => `the saved plan's actions[${i}] ${what}; ${REMAKE}`;
    if (!isRecord(raw)) return bad('is not an object');
    const { action, kind, project, name, fingerprints } = raw;
    if (typeof action !== 'string' || !['create', 'update', 'delete', 'noop'].includes(action)) {
      return bad('has no valid "action"');
    }
    // Any registered kind: the saved plan is read by the same registry that made it.
    if (!isKind(kind)) return bad('has no valid "kind"');
    if (typeof project !== 'string' || typeof name !== 'string') return bad('has no "project" or "name"');
    if (!isRecord(fingerprints)) return bad('has no "fingerprints"');
    const { desired, current } = fingerprints;
    if (!isFingerprint(desired) || !isFingerprint(current)) return bad('has malformed "fingerprints"');
    out.push({ action, kind, project, name, desired, current });
  }
  return out;
}

function isFingerprint(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
}
