// Pure: the plan as a JSON document (SPEC §3, schemas/plan.schema.json) and the check that a plan
// saved by `plan --format json --out FILE` still holds before `apply --plan FILE` writes (SPEC §5).
// The JSON never carries a secret value or a secret's hash: only field paths, non-sensitive
// before/after text, and one fingerprint per whole object. Everything that decides what a write
// does is compared: the action, both fingerprints, the write options each write sends (e.g. what
// an update does to the JWKs made from a key), and the server and API generation the plan was
// made against.
import { diagnosticToJson, formatDiagnostic } from '../diagnostics.js';
import type { Diagnostic } from '../diagnostics.js';
import { isKind } from '../kinds/index.js';
import { resourceKey, resourceLabel } from '../model.js';
import type { Kind } from '../model.js';
import { compareText } from './diff.js';
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
  /** The query parameters the write sends, and whether they are the kind's default (absent: not known). */
  writeOptions?: { query: Record<string, string>; default: boolean };
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
      ...(a.writeOptions
        ? { writeOptions: { query: { ...a.writeOptions.query }, default: a.writeOptions.isDefault } }
        : {}),
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
  /** The write's query parameters; undefined when the plan does not record them. */
  writeOptions: Record<string, string> | undefined;
}

/** A saved plan as `apply --plan` reads it: what it was made against, and its actions. */
export interface SavedPlan {
  server: string;
  apiGeneration: Plan['apiGeneration'];
  actions: SavedAction[];
}

const REMAKE = 'make it again with `apinizer-gitops plan --format json --out FILE`';

/**
 * A saved plan document (parsed JSON of unknown shape) as a SavedPlan, or a sentence saying why it
 * is not a plan this version can read. `apply --plan` calls it before any API call.
 */
export function parseSavedPlan(saved: unknown): SavedPlan | string {
  if (!isRecord(saved)) return `the saved plan is not a JSON object; ${REMAKE}`;
  const actions = readSavedActions(saved);
  if (typeof actions === 'string') return actions;
  if (typeof saved.server !== 'string' || saved.server === '') return `the saved plan has no "server"; ${REMAKE}`;
  const g = saved.apiGeneration;
  if (g !== undefined && g !== 'legacy' && g !== 'current' && g !== 'mixed') {
    return `the saved plan has an unknown "apiGeneration" ${JSON.stringify(g)}; ${REMAKE}`;
  }
  return { server: saved.server, apiGeneration: g, actions };
}

/** `a=1&b=2`, or `(none)`: write options as a reviewer reads them. */
export function describeWriteQuery(query: Readonly<Record<string, string>>): string {
  const parts = Object.entries(query).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join('&') : '(none)';
}

/** The same Manager whatever the spelling: scheme and host case, a trailing slash. */
function sameServer(a: string, b: string): boolean {
  const norm = (s: string) => {
    try {
      const u = new URL(s);
      return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`;
    } catch {
      return s.replace(/\/+$/, '');
    }
  };
  return norm(a) === norm(b);
}

function sameQuery(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const canon = (q: Readonly<Record<string, string>>) =>
    JSON.stringify(Object.entries(q).sort(([x], [y]) => compareText(x, y)));
  return canon(a) === canon(b);
}

/**
 * Compares a saved plan (parsed JSON of unknown shape, or already a SavedPlan) with a fresh one.
 * Returns one sentence per difference in server, API generation, actions, fingerprints or write
 * options, or a single sentence when the saved document is not a plan this version can read; an
 * empty list means the saved plan still holds.
 */
export function compareWithSavedPlan(saved: unknown, fresh: Plan): string[] {
  const plan = isSavedPlan(saved) ? saved : parseSavedPlan(saved);
  if (typeof plan === 'string') return [plan];
  // Another server's plan says nothing about this one, however alike the fingerprints happen to be.
  if (!sameServer(plan.server, fresh.server)) {
    return [`the saved plan was made against ${plan.server}, but this run talks to ${fresh.server}`];
  }
  const differences: string[] = [];
  if (plan.apiGeneration !== fresh.apiGeneration) {
    differences.push(
      `the saved plan was made for API generation ${plan.apiGeneration ?? '(unknown)'}, ` +
        `but the server now speaks ${fresh.apiGeneration ?? '(unknown)'}: the same writes would send other bodies`,
    );
  }
  const parsed = plan.actions;
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
    // What a write does besides sending the object (SPEC §5): a manifest that now asks to detach
    // the JWKs made from a key changes no fingerprint, but it is not what was reviewed.
    const now = a.writeOptions?.query ?? {};
    if (s.writeOptions === undefined) {
      if (Object.keys(now).length > 0 && a.action !== 'create') {
        differences.push(
          `${label}: the saved plan does not record the write options this ${a.action} sends now ` +
            `(${describeWriteQuery(now)}); it was made by an earlier version`,
        );
      }
    } else if (!sameQuery(s.writeOptions, now)) {
      differences.push(
        `${label}: the write options changed since the plan was saved ` +
          `(saved: ${describeWriteQuery(s.writeOptions)}; now: ${describeWriteQuery(now)})`,
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

function isSavedPlan(v: unknown): v is SavedPlan {
  return isRecord(v) && !('formatVersion' in v) && Array.isArray(v.actions) && typeof v.server === 'string';
}

/** The saved document's actions, or a sentence saying why it is not a readable plan. */
function readSavedActions(saved: Record<string, unknown>): SavedAction[] | string {
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
    let writeOptions: Record<string, string> | undefined;
    if (raw.writeOptions !== undefined) {
      const w = raw.writeOptions;
      if (!isRecord(w) || !isRecord(w.query) || !Object.values(w.query).every((v) => typeof v === 'string')) {
        return bad('has malformed "writeOptions"');
      }
      writeOptions = { ...(w.query as Record<string, string>) };
    }
    out.push({ action, kind, project, name, desired, current, writeOptions });
  }
  return out;
}

function isFingerprint(v: unknown): v is string | null {
  return v === null || (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v));
}
