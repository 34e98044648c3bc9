// Pure: the plan as a pull-request comment (SPEC §4, issue 6). GitHub-flavoured markdown: a marker
// line a workflow finds to update its earlier comment, a summary, a table of actions, one
// collapsible block per changed resource, problems with file:line, and who/when. GitHub refuses
// comments over 65,536 characters, so the output is cut to `maxChars`: detail blocks go first,
// then table rows, and a note says how many resources were left out.
import { expiryText, generationLine } from '../certificates.js';
import { formatDiagnostic, formatDiagnosticBody, printable } from '../../diagnostics.js';
import { resourceLabel } from '../../model.js';
import { SENSITIVE } from '../../secret.js';
import type { FieldChange, Plan, PlanAction } from '../types.js';
import {
  changeMark,
  changedFieldNames,
  hasChanges,
  isEnvironmentChange,
  planSummaryLine,
  plural,
  unknownNoopCount,
  unknownNoopNote,
} from './common.js';

export const MARKDOWN_MARKER = '<!-- apinizer-gitops plan -->';
export const DEFAULT_MAX_CHARS = 60_000;

/** The longest before/after value shown in a cell; the job log has the full text. */
const MAX_VALUE_CHARS = 300;

export interface MarkdownOptions {
  maxChars?: number;
}

/**
 * Text from users or the server, made inert in markdown: HTML-significant characters become
 * entities and markdown punctuation is backslash-escaped, so a description cannot open a tag,
 * a link, a code span or a table cell, or mention someone. Newlines become `<br>`.
 */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/@/g, '&#64;')
    .replace(/([\\`*_[\]|~])/g, '\\$1')
    .replace(/\r?\n/g, '<br>');
}

/** Text inside raw HTML (a `<summary>`), where markdown escapes are not interpreted. */
function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/@/g, '&#64;');
}

function clip(text: string): string {
  return text.length > MAX_VALUE_CHARS ? `${text.slice(0, MAX_VALUE_CHARS)}…` : text;
}

/** The plan as a pull-request comment of at most `maxChars` characters (default 60,000). */
export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const changed = plan.actions.filter((a) => a.action !== 'noop');
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warnings = [...plan.warnings, ...plan.diagnostics.filter((d) => d.severity !== 'error').map(formatDiagnostic)];

  // The marker, then the one-line summary right under it: what a reviewer (and a workflow) reads first.
  const head = [MARKDOWN_MARKER, `**Plan:** ${planSummaryLine(plan.summary).slice('Plan: '.length)}`, ''];
  if (errors.length > 0) {
    head.push(`**${plural(errors.length, 'error')} must be fixed before this plan can be applied.**`, '');
  } else if (!hasChanges(plan.summary)) {
    head.push('No changes. Your gateway matches the manifests.', '');
  }
  const generation = generationLine(plan);
  if (generation !== undefined) head.push(escapeMarkdown(generation), '');

  const problemLines = [
    ...errors.map(
      (d) =>
        `- :x: ${escapeMarkdown(`${printable(d.file)}:${d.line}:${d.column}`)} ${escapeMarkdown(formatDiagnosticBody(d))}`,
    ),
    ...warnings.map((w) => `- :warning: ${escapeMarkdown(w)}`),
  ];

  const tail: string[] = [];
  const unchanged = `${plural(plan.summary.noop, 'resource')} unchanged.`;
  const unknownNoops = unknownNoopCount(plan.actions);
  tail.push(unknownNoops > 0 ? `${unchanged} ${unknownNoopNote(unknownNoops)}` : unchanged, '');
  tail.push(
    `<sub>apinizer-gitops plan against ${escapeMarkdown(plan.server)} at ${escapeMarkdown(plan.createdAt)}.</sub>`,
  );

  const rows = changed.map(tableRow);
  const details = changed.map(detailsBlock);

  const assemble = (nRows: number, nDetails: number, nProblems: number): string => {
    const out = [...head];
    if (nRows > 0) {
      out.push(
        '| Kind | Project | Name | Action | Changed fields |',
        '|---|---|---|---|---|',
        ...rows.slice(0, nRows),
        '',
      );
    }
    for (const block of details.slice(0, nDetails)) out.push(block, '');
    const missing = changed.length - nRows;
    if (missing > 0) {
      out.push(
        `**${plural(missing, 'resource was', 'resources were')} left out of this comment; see the full plan in the job log.**`,
        '',
      );
    }
    const undetailed = nRows - nDetails;
    if (undetailed > 0) {
      out.push(
        `Details of ${plural(undetailed, 'resource were', 'resources were')} left out of this comment; see the full plan in the job log.`,
        '',
      );
    }
    if (problemLines.length > 0) {
      out.push(
        errors.length > 0 ? '#### Errors and warnings' : '#### Warnings',
        '',
        ...problemLines.slice(0, nProblems),
      );
      if (nProblems < problemLines.length) {
        out.push(`- … and ${problemLines.length - nProblems} more; see the job log.`);
      }
      out.push('');
    }
    out.push(...tail);
    return `${out.join('\n')}\n`;
  };

  const full = assemble(rows.length, details.length, problemLines.length);
  if (full.length <= maxChars) return full;

  // Too long: keep the problems (they say why the PR cannot merge), then table rows, then detail
  // blocks, each in plan order, as many as fit.
  const fits = (nRows: number, nDetails: number, nProblems: number) =>
    assemble(nRows, nDetails, nProblems).length <= maxChars;
  let nProblems = problemLines.length;
  while (nProblems > 0 && !fits(0, 0, nProblems)) nProblems = Math.floor(nProblems / 2);
  const nRows = largestFitting(rows.length, (n) => fits(n, 0, nProblems));
  const nDetails = largestFitting(nRows, (n) => fits(nRows, n, nProblems));
  return assemble(nRows, nDetails, nProblems);
}

/**
 * The largest n in [0, max] with fits(n), by binary search (the length grows with n; the notes'
 * digits shrinking can make it not quite monotone, but every n returned does fit).
 */
function largestFitting(max: number, fits: (n: number) => boolean): number {
  let lo = 0;
  let hi = max;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

function tableRow(a: PlanAction): string {
  const fields = changedFieldNames(a).map(escapeMarkdown).join(', ');
  const cells = [a.kind, escapeMarkdown(a.project), escapeMarkdown(a.name), actionLabel(a), fields || ' '];
  return `| ${cells.join(' | ')} |`;
}

function actionLabel(a: PlanAction): string {
  return a.action === 'create' ? '➕ create' : a.action === 'update' ? '✏️ update' : '🗑️ delete';
}

function detailsBlock(a: PlanAction): string {
  const count = plural(a.changes.length, 'change');
  const summary = `${a.action} ${escapeHtml(resourceLabel(a))} (${count})`;
  const lines = [`<details><summary>${summary}</summary>`, ''];
  if (a.source) lines.push(`Declared in ${escapeMarkdown(`${a.source.file}:${a.source.line}`)}.`, '');
  if (a.changes.length > 0) {
    lines.push('| Field | Before | After |', '|---|---|---|');
    for (const c of a.changes) lines.push(changeRow(a, c));
    lines.push('');
  }
  if (a.unknownFields.length > 0) {
    lines.push(`Not shown by the server (unknown): ${a.unknownFields.map(escapeMarkdown).join(', ')}`, '');
  }
  for (const c of a.certificates ?? []) {
    const mark = c.daysLeft < 0 ? ':x: ' : '';
    lines.push(
      `${mark}Certificate in ${escapeMarkdown(c.environment)}: ${escapeMarkdown(c.subject)}, ${expiryText(c)}.`,
      '',
    );
  }
  lines.push('</details>');
  return lines.join('\n');
}

function changeRow(a: PlanAction, c: FieldChange): string {
  const none = '*(none)*';
  let before: string;
  let after: string;
  if (c.sensitive) {
    const mark = changeMark(a, c);
    before = mark === '+' ? none : SENSITIVE;
    after = mark === '-' ? none : SENSITIVE;
  } else {
    const show = (v: string | undefined) =>
      v === undefined
        ? none
        : isEnvironmentChange(c)
          ? escapeMarkdown(v)
          : v === ''
            ? '*(empty)*'
            : `"${escapeMarkdown(clip(v))}"`;
    before = show(c.before);
    after = show(c.after);
  }
  return `| ${escapeMarkdown(c.path)} | ${before} | ${after} |`;
}
