// Pure helpers shared by the plan and report renderers: grouping, marks and summary sentences.
// Renderers read the plan's changes and summaries only; they look at `desired`/`current` solely to
// tell whether a secret was added or removed, and never print anything from them.
import { kindRank } from '../../kinds/index.js';
import type { Kind } from '../../model.js';
import { compareText } from '../diff.js';
import type { FieldChange, PlanAction, PlanSummary, ReportSummary } from '../types.js';
import { plural } from '../../text.js';
// Re-exported for the renderers, which take their helpers from here; the one copy is src/text.ts.
export { plural };

/** `+` create, `~` update, `-` delete: the marks of SPEC §4. */
export type Mark = '+' | '~' | '-';

/** The mark of a whole action (noop has none and is never listed). */
export function actionMark(action: PlanAction['action']): Mark | '' {
  return action === 'create' ? '+' : action === 'update' ? '~' : action === 'delete' ? '-' : '';
}

/** `Plan: X to create, Y to update, Z to delete, N unchanged.` */
export function planSummaryLine(s: PlanSummary): string {
  return `Plan: ${s.create} to create, ${s.update} to update, ${s.delete} to delete, ${s.noop} unchanged.`;
}

/** `Apply: X created, Y updated, Z deleted, N unchanged, F failed.` */
export function reportSummaryLine(s: ReportSummary): string {
  return `Apply: ${s.created} created, ${s.updated} updated, ${s.deleted} deleted, ${s.unchanged} unchanged, ${s.failed} failed.`;
}

/** True when the plan would write nothing. */
export function hasChanges(s: PlanSummary): boolean {
  return s.create + s.update + s.delete > 0;
}

export interface ActionGroup {
  project: string;
  kind: Kind;
  actions: PlanAction[];
}

/**
 * Non-noop actions grouped by project (sorted), then kind (kind order); within a group the plan's
 * own order is kept (creates/updates by name, then deletes).
 */
export function groupChangedActions(actions: readonly PlanAction[]): ActionGroup[] {
  const groups = new Map<string, ActionGroup>();
  for (const a of actions) {
    if (a.action === 'noop') continue;
    const key = `${a.project}\u0000${a.kind}`;
    let g = groups.get(key);
    if (!g) {
      g = { project: a.project, kind: a.kind, actions: [] };
      groups.set(key, g);
    }
    g.actions.push(a);
  }
  return [...groups.values()].sort((a, b) => compareText(a.project, b.project) || kindRank(a.kind) - kindRank(b.kind));
}

/**
 * The mark of one field change. A non-sensitive change knows from its before/after; a sensitive one
 * has neither, so the presence of the secret on each side (never its value) decides.
 */
export function changeMark(action: PlanAction, change: FieldChange): Mark {
  if (!change.sensitive) {
    if (change.before === undefined) return '+';
    if (change.after === undefined) return '-';
    return '~';
  }
  if (action.action === 'create') return '+';
  if (action.action === 'delete') return '-';
  const inDesired = secretPresence(action.desired, change.path);
  const inCurrent = secretPresence(action.current, change.path);
  if (inDesired === false && inCurrent !== false) return '-';
  if (inCurrent === false && inDesired !== false) return '+';
  return '~';
}

/** Whether `environments.<env>.<field>` holds something on that side; undefined when unknown. */
function secretPresence(resource: PlanAction['desired'] | PlanAction['current'], path: string): boolean | undefined {
  if (!resource) return undefined;
  const dot = path.lastIndexOf('.');
  const prefix = 'environments.';
  if (!path.startsWith(prefix) || dot <= prefix.length) return undefined;
  const env = path.slice(prefix.length, dot);
  const field = path.slice(dot + 1);
  const entry = (resource.environments as readonly { name: string }[]).find((e) => e.name === env);
  if (!entry) return undefined;
  return (entry as unknown as Record<string, unknown>)[field] !== undefined;
}

/**
 * True for the change of a whole environment (added or removed), whose before/after is a summary
 * such as `{ type: PKCS12, file: (sensitive value) }` rather than a field value to quote.
 */
export function isEnvironmentChange(change: FieldChange): boolean {
  const value = change.before ?? change.after ?? '';
  return !change.sensitive && change.path.startsWith('environments.') && value.startsWith('{');
}

/** The name of each changed field, for a table column: `description, environments.production.privateKey`. */
export function changedFieldNames(action: PlanAction): string[] {
  return action.changes.map((c) => c.path);
}

/**
 * The sentence about an action's write options (SPEC §5) when a manifest chose other ones than its
 * kind sends by default (e.g. an update that detaches the JWKs made from a key), else undefined.
 */
export function writeOptionsNote(action: PlanAction): string | undefined {
  const w = action.writeOptions;
  if (w === undefined || w.isDefault || action.action === 'noop') return undefined;
  const parts = Object.entries(w.query).map(([k, v]) => `${k}=${v}`);
  const query = parts.length > 0 ? parts.join('&') : 'no write options';
  const how = action.action === 'create' ? 'if it already exists, updated with' : 'sent with';
  return `${how} ${query} (not the default write options)`;
}

/** The count of noops that have fields the server did not show. */
export function unknownNoopCount(actions: readonly PlanAction[]): number {
  return actions.filter((a) => a.action === 'noop' && a.unknownFields.length > 0).length;
}

/** The sentence about unchanged resources whose secrets the server hides (the same in text and markdown). */
export function unknownNoopNote(n: number): string {
  return (
    `${plural(n, 'unchanged resource has', 'unchanged resources have')} secret fields the server does not show; ` +
    'they are assumed unchanged (`apply --redeploy` sends them anyway).'
  );
}

/**
 * A clause as a sentence of its own: first letter upper-case, a full stop at the end. API hints
 * are written as clauses ("check the token ...") so they can follow a colon; after a full stop
 * they need this.
 */
export function asSentence(text: string): string {
  const t = text.trim();
  if (t === '') return '';
  const capital = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(capital) ? capital : `${capital}.`;
}
