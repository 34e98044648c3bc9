// Pure: Plan and Report as terminal text (SPEC §4). Colour is decided by the command (TTY and
// NO_COLOR) and passed in; without it the output is plain ASCII lines that scripts can grep.
import { formatDiagnosticLines, printable } from '../../diagnostics.js';
import { resourceLabel } from '../../model.js';
import { SENSITIVE } from '../../secret.js';
import { expiryText, generationLine } from '../certificates.js';
import type { ApplyResult, FieldChange, Plan, PlanAction, Report } from '../types.js';
import {
  actionMark,
  changeMark,
  groupChangedActions,
  hasChanges,
  isEnvironmentChange,
  planSummaryLine,
  plural,
  reportSummaryLine,
  unknownNoopCount,
  unknownNoopNote,
  writeOptionsNote,
} from './common.js';
import { asSentence, type Mark } from './common.js';

export interface TextOptions {
  color: boolean;
}

const ANSI = { bold: 1, dim: 2, red: 31, green: 32, yellow: 33, cyan: 36 } as const;
type Style = keyof typeof ANSI;

function painter(color: boolean) {
  return (style: Style, text: string): string => (color ? `\u001b[${ANSI[style]}m${text}\u001b[0m` : text);
}

const MARK_STYLE: Record<Mark, Style> = { '+': 'green', '~': 'yellow', '-': 'red' };

/** The plan for a terminal: changes grouped by project and kind, warnings, errors, summary line. */
export function renderPlanText(plan: Plan, options: TextOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [];

  for (const group of groupChangedActions(plan.actions)) {
    lines.push(paint('bold', printable(`Project ${group.project}, ${group.kind}:`)));
    for (const a of group.actions) lines.push(...actionLines(a, paint));
    lines.push('');
  }

  const unknownNoops = unknownNoopCount(plan.actions);
  if (unknownNoops > 0) lines.push(paint('cyan', `Note: ${unknownNoopNote(unknownNoops)}`), '');

  const warnings = [...plan.warnings, ...formatDiagnosticLines(plan.diagnostics.filter((d) => d.severity !== 'error'))];
  if (warnings.length > 0) {
    lines.push(paint('yellow', 'Warnings:'));
    for (const w of warnings) lines.push(`  ${printable(w)}`);
    lines.push('');
  }

  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  if (errors.length > 0) {
    lines.push(paint('red', 'Errors:'));
    for (const line of formatDiagnosticLines(errors)) lines.push(`  ${printable(line)}`);
    lines.push('', paint('red', `${plural(errors.length, 'error')} must be fixed before this plan can be applied.`));
  } else if (!hasChanges(plan.summary)) {
    lines.push('No changes. Your gateway matches the manifests.');
  }
  const generation = generationLine(plan);
  if (generation !== undefined) lines.push(generation);
  lines.push(paint('bold', planSummaryLine(plan.summary)));
  return `${lines.join('\n')}\n`;
}

function actionLines(a: PlanAction, paint: ReturnType<typeof painter>): string[] {
  const mark = actionMark(a.action) as Mark;
  const where = a.source ? `  (${printable(a.source.file)}:${a.source.line})` : '';
  const out = [`  ${paint(MARK_STYLE[mark], `${mark} ${printable(a.name)}`)}${paint('dim', where)}`];
  for (const c of a.changes) {
    const m = changeMark(a, c);
    out.push(`      ${paint(MARK_STYLE[m], `${m} ${printable(c.path)}:`)} ${changeValue(c, m)}`);
  }
  for (const field of a.unknownFields) {
    out.push(`      ${paint('cyan', `? ${printable(field)}:`)} not shown by the server (unknown)`);
  }
  const options = writeOptionsNote(a);
  if (options !== undefined) out.push(`      ${paint('yellow', `! ${printable(options)}`)}`);
  for (const c of a.certificates ?? []) {
    const style = c.daysLeft < 0 ? 'red' : 'dim';
    out.push(`      ${paint(style, printable(`certificate in ${c.environment}: ${c.subject}, ${expiryText(c)}`))}`);
  }
  return out;
}

/** `"old" -> "new"`, `"new"`, `(sensitive value)`; environment summaries unquoted. */
function changeValue(c: FieldChange, mark: Mark): string {
  if (c.sensitive) return SENSITIVE;
  // JSON quoting also escapes control characters in free text such as descriptions.
  const show = (v: string) => printable(isEnvironmentChange(c) ? v : JSON.stringify(v));
  if (mark === '+') return show(c.after ?? '');
  if (mark === '-') return show(c.before ?? '');
  return `${show(c.before ?? '')} -> ${show(c.after ?? '')}`;
}

const OUTCOME_VERB = { create: 'created', update: 'updated', delete: 'deleted', noop: 'unchanged' } as const;

/** The apply report for a terminal: one line per resource that was written or not, then the totals. */
export function renderReportText(report: Report, options: TextOptions): string {
  const paint = painter(options.color);
  const lines: string[] = [];
  for (const r of report.results) {
    if (r.action === 'noop' && r.outcome === 'ok') continue;
    lines.push(resultLine(r, paint));
  }
  if (lines.length > 0) lines.push('');
  const s = report.summary;
  const extra: string[] = [];
  if (s.notDeployed > 0) extra.push(`${s.notDeployed} not deployed`);
  if (s.skipped > 0) extra.push(`${s.skipped} skipped`);
  if (extra.length > 0) lines.push(`Also: ${extra.join(', ')}.`);
  if (report.interrupted) {
    lines.push(paint('yellow', 'Interrupted: not every resource was attempted. Run apply again to converge.'));
  }
  const failedRun = s.failed > 0 || s.notDeployed > 0;
  lines.push(paint(failedRun ? 'red' : 'bold', reportSummaryLine(s)));
  return `${lines.join('\n')}\n`;
}

function resultLine(r: ApplyResult, paint: ReturnType<typeof painter>): string {
  const effective = r.switchedTo ?? r.action;
  const label = printable(resourceLabel(r));
  const switched =
    r.switchedTo === 'update'
      ? ' (planned as a create; it already existed)'
      : r.switchedTo === 'create'
        ? ' (planned as an update; the server did not have it)'
        : '';
  switch (r.outcome) {
    case 'ok': {
      const mark = actionMark(effective) as Mark;
      if (r.alreadyGone) return `${paint('dim', `${mark} ${label}`)}: already gone (deleted by someone else meanwhile)`;
      return `${paint(MARK_STYLE[mark], `${mark} ${label}`)}: ${OUTCOME_VERB[effective]}${switched}`;
    }
    case 'not-deployed': {
      const failures = r.deployment
        .filter((d) => !d.success)
        .map((d) => printable(`not deployed to ${d.environment}: ${d.message}`));
      const detail = failures.length > 0 ? failures.join('; ') : 'not deployed';
      return `${paint('red', `! ${label}`)}: applied, ${detail}${switched}`;
    }
    case 'failed':
      return `${paint('red', `! ${label}`)}: ${effective} failed${errorText(r)}`;
    case 'skipped':
      return `${paint('dim', `* ${label}`)}: ${r.action} skipped${errorText(r) || ' (not attempted)'}`;
  }
}

function errorText(r: ApplyResult): string {
  if (!r.error) return '';
  const status = r.error.status !== null ? ` (HTTP ${r.error.status})` : '';
  const hint = r.error.hint ? `. ${asSentence(r.error.hint)}` : '';
  // The server's message may end in a full stop already; do not print two.
  return printable(`: ${r.error.message.replace(/\.+$/, '')}${status}${hint}`);
}
