// Pure: the plan as a pull-request comment (SPEC §4, issue 6). GitHub-flavoured markdown: a marker
// line a workflow finds to update its earlier comment, a summary, a table of actions, one
// collapsible block per changed resource, problems with file:line, and who/when. A pull request is
// untrusted input: every piece of text from a manifest, a file name or the server goes through
// `inertMarkdown` (inert.ts), so none can end a line or a cell, open HTML or a link, or mention
// anyone. GitHub refuses comments over 65,536 characters, so the output is cut to `maxChars`, from
// the safe end: creates go first, then updates; deletes are the last thing cut (a reviewer must
// see every delete), and a note says how many of each were left out.
import { expiryText, generationLine } from '../certificates.js';
import { formatDiagnosticBody } from '../../diagnostics.js';
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
  writeOptionsNote,
} from './common.js';
import { inertMarkdown } from './inert.js';

export const MARKDOWN_MARKER = '<!-- apinizer-gitops plan -->';
export const DEFAULT_MAX_CHARS = 60_000;

/** The longest before/after value shown in a cell; the job log has the full text. */
const MAX_VALUE_CHARS = 300;

export interface MarkdownOptions {
  maxChars?: number;
}

function clip(text: string): string {
  const chars = [...text];
  return chars.length > MAX_VALUE_CHARS ? `${chars.slice(0, MAX_VALUE_CHARS).join('')}…` : text;
}

/** Which changed actions are kept first when the comment must be cut: deletes, then updates, then creates. */
const KEEP_ORDER = { delete: 0, update: 1, create: 2, noop: 3 } as const;

/** How many of each action a cut left out, as the note says it: `2 creates and 1 update`. */
function leftOutCounts(left: readonly PlanAction[]): string {
  const n = (type: PlanAction['action']) => left.filter((a) => a.action === type).length;
  const parts = [
    [n('delete'), 'delete'],
    [n('update'), 'update'],
    [n('create'), 'create'],
  ] as const;
  return parts
    .filter(([count]) => count > 0)
    .map(([count, word]) => plural(count, word))
    .join(', ');
}

/** The plan as a pull-request comment of at most `maxChars` characters (default 60,000). */
export function renderPlanMarkdown(plan: Plan, options: MarkdownOptions = {}): string {
  const maxChars = options.maxChars ?? DEFAULT_MAX_CHARS;
  const changed = plan.actions.filter((a) => a.action !== 'noop');
  const errors = plan.diagnostics.filter((d) => d.severity === 'error');
  const warningDiagnostics = plan.diagnostics.filter((d) => d.severity !== 'error');

  // The marker, then the one-line summary right under it: what a reviewer (and a workflow) reads first.
  const head = [MARKDOWN_MARKER, `**Plan:** ${planSummaryLine(plan.summary).slice('Plan: '.length)}`, ''];
  if (errors.length > 0) {
    head.push(`**${plural(errors.length, 'error')} must be fixed before this plan can be applied.**`, '');
  } else if (!hasChanges(plan.summary)) {
    head.push('No changes. Your gateway matches the manifests.', '');
  }
  const generation = generationLine(plan);
  if (generation !== undefined) head.push(generation, '');

  // A diagnostic's place and words come from files and the server: both inert.
  // A problem of no file (the server could not be read) has no place to show.
  const place = (d: { file: string; line: number; column: number }) =>
    d.file === '' ? '' : `${inertMarkdown(`${d.file}:${d.line}:${d.column}`)} `;
  const problemLines = [
    ...errors.map((d) => `- :x: ${place(d)}${inertMarkdown(formatDiagnosticBody(d))}`),
    ...plan.warnings.map((w) => `- :warning: ${inertMarkdown(w)}`),
    ...warningDiagnostics.map((d) => `- :warning: ${place(d)}${inertMarkdown(formatDiagnosticBody(d))}`),
  ];

  const tail: string[] = [];
  const unchanged = `${plural(plan.summary.noop, 'resource')} unchanged.`;
  const unknownNoops = unknownNoopCount(plan.actions);
  tail.push(unknownNoops > 0 ? `${unchanged} ${unknownNoopNote(unknownNoops)}` : unchanged, '');
  tail.push(`<sub>apinizer-gitops plan against ${inertMarkdown(plan.server)} at ${plan.createdAt}.</sub>`);

  // Priority: the rank of each changed action in the order it is kept (deletes first), stable.
  const priority = changed
    .map((a, i) => ({ a, i }))
    .sort((x, y) => KEEP_ORDER[x.a.action] - KEEP_ORDER[y.a.action] || x.i - y.i)
    .map((x) => x.i);
  const rows = changed.map(tableRow);
  const details = changed.map(detailsBlock);
  /** The first n actions by priority, back in plan order. */
  const kept = (n: number): number[] => priority.slice(0, n).sort((x, y) => x - y);

  const assemble = (nRows: number, nDetails: number, nProblems: number): string => {
    const out = [...head];
    if (nRows > 0) {
      out.push(
        '| Kind | Project | Name | Action | Changed fields |',
        '|---|---|---|---|---|',
        ...kept(nRows).map((i) => rows[i]!),
        '',
      );
    }
    for (const i of kept(nDetails)) out.push(details[i]!, '');
    if (nRows < changed.length) {
      const left = priority.slice(nRows).map((i) => changed[i]!);
      out.push(
        `**${plural(left.length, 'resource was', 'resources were')} left out of this comment ` +
          `(${leftOutCounts(left)}); see the full plan in the job log.**`,
        '',
      );
    }
    if (nRows - nDetails > 0) {
      const left = priority.slice(nDetails, nRows).map((i) => changed[i]!);
      out.push(
        `Details of ${plural(left.length, 'resource were', 'resources were')} left out of this comment ` +
          `(${leftOutCounts(left)}); see the full plan in the job log.`,
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

  // Too long: keep the problems (they say why the PR cannot merge); then the deletes, each with its
  // row and its details (what a reviewer must never miss); then the rows of the rest; then their
  // details. Always by priority (deletes, updates, creates), as many as fit.
  const fits = (nRows: number, nDetails: number, nProblems: number) =>
    assemble(nRows, nDetails, nProblems).length <= maxChars;
  let nProblems = problemLines.length;
  while (nProblems > 0 && !fits(0, 0, nProblems)) nProblems = Math.floor(nProblems / 2);
  const deletes = changed.filter((a) => a.action === 'delete').length;
  const nFull = largestFitting(deletes, (n) => fits(n, n, nProblems));
  const nRows = nFull + largestFitting(rows.length - nFull, (n) => fits(nFull + n, nFull, nProblems));
  const nDetails = nFull + largestFitting(nRows - nFull, (n) => fits(nRows, nFull + n, nProblems));
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
  const fields = changedFieldNames(a)
    .map((f) => inertMarkdown(f, 'cell'))
    .join(', ');
  // The kind is a registered descriptor's name (code, not input); the rest comes from outside.
  const cells = [
    a.kind,
    inertMarkdown(a.project, 'cell'),
    inertMarkdown(a.name, 'cell'),
    actionLabel(a),
    fields || ' ',
  ];
  return `| ${cells.join(' | ')} |`;
}

function actionLabel(a: PlanAction): string {
  return a.action === 'create' ? '➕ create' : a.action === 'update' ? '✏️ update' : '🗑️ delete';
}

function detailsBlock(a: PlanAction): string {
  const count = plural(a.changes.length, 'change');
  const summary = `${a.action} ${inertMarkdown(resourceLabel(a), 'html')} (${count})`;
  const lines = [`<details><summary>${summary}</summary>`, ''];
  if (a.source) lines.push(`Declared in ${inertMarkdown(`${a.source.file}:${a.source.line}`)}.`, '');
  const options = writeOptionsNote(a);
  if (options !== undefined) lines.push(`:warning: Write options: ${inertMarkdown(options)}.`, '');
  if (a.changes.length > 0) {
    lines.push('| Field | Before | After |', '|---|---|---|');
    for (const c of a.changes) lines.push(changeRow(a, c));
    lines.push('');
  }
  if (a.unknownFields.length > 0) {
    lines.push(`Not shown by the server (unknown): ${a.unknownFields.map((f) => inertMarkdown(f)).join(', ')}`, '');
  }
  for (const c of a.certificates ?? []) {
    const mark = c.daysLeft < 0 ? ':x: ' : '';
    lines.push(
      `${mark}Certificate in ${inertMarkdown(c.environment)}: ${inertMarkdown(c.subject)}, ${expiryText(c)}.`,
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
    // Values are quoted (JSON) so that leading or trailing spaces and quotes show; environment
    // summaries such as `{ type: PKCS12 }` are ours and shown as they are.
    const show = (v: string | undefined) =>
      v === undefined
        ? none
        : isEnvironmentChange(c)
          ? inertMarkdown(v, 'cell')
          : v === ''
            ? '*(empty)*'
            : inertMarkdown(JSON.stringify(clip(v)), 'cell');
    before = show(c.before);
    after = show(c.after);
  }
  return `| ${inertMarkdown(c.path, 'cell')} | ${before} | ${after} |`;
}
