// Pure: Plan and Report as the JSON documents of SPEC §3 (schemas/plan.schema.json and
// schemas/report.schema.json). Built field by field from the values, never by serialising the
// internal objects, so nothing that holds a Secret can end up in them.
import { planToJson } from '../saved.js';
import type { ApplyResult, Plan, Report, ReportSummary } from '../types.js';

export const REPORT_FORMAT_VERSION = 1;

/** The `apply --format json` document. */
export interface ReportJson {
  formatVersion: 1;
  server: string;
  startedAt: string;
  finishedAt: string;
  interrupted: boolean;
  summary: ReportSummary;
  /** The same fields as ApplyResult, copied one by one (see reportToJson). */
  results: ApplyResult[];
}

/** The plan as one JSON document (pretty-printed, newline-terminated). */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(planToJson(plan), null, 2)}\n`;
}

/** The report as its JSON document, copied field by field. */
export function reportToJson(report: Report): ReportJson {
  return { ...reportHead(report), results: report.results.map(resultToJson) };
}

/** Every field of the report's document but its results, in the document's order. */
function reportHead(report: Report): Omit<ReportJson, 'results'> {
  const s = report.summary;
  return {
    formatVersion: 1,
    server: report.server,
    startedAt: report.startedAt,
    finishedAt: report.finishedAt,
    interrupted: report.interrupted,
    summary: {
      created: s.created,
      updated: s.updated,
      deleted: s.deleted,
      unchanged: s.unchanged,
      failed: s.failed,
      notDeployed: s.notDeployed,
      skipped: s.skipped,
    },
  };
}

/** One result of the report's document, copied field by field. */
function resultToJson(r: ApplyResult): ApplyResult {
  return {
    action: r.action,
    kind: r.kind,
    project: r.project,
    name: r.name,
    outcome: r.outcome,
    switchedTo: r.switchedTo,
    ...(r.alreadyGone ? { alreadyGone: true as const } : {}),
    deployment: r.deployment.map((d) => ({ environment: d.environment, success: d.success, message: d.message })),
    error: r.error
      ? { kind: r.error.kind, status: r.error.status, message: r.error.message, hint: r.error.hint }
      : null,
  };
}

/** The apply report as one JSON document (pretty-printed, newline-terminated). */
export function renderReportJson(report: Report): string {
  return [...reportJsonPieces(report)].join('');
}

/**
 * The text of `renderReportJson` in pieces of about `results` results each, for a writer that
 * sends them one after another: 10,000 results make a 14 MB document, which held at once (with
 * its copy for the write) was the peak of an apply's memory. The pieces joined are exactly
 * `JSON.stringify(reportToJson(report), null, 2)` and a newline: each result is stringified on
 * its own and indented two levels (JSON text holds no line break inside a string).
 */
export function* reportJsonPieces(report: Report, results = 256): Generator<string> {
  const head = JSON.stringify({ ...reportHead(report), results: [] }, null, 2);
  if (report.results.length === 0) {
    yield `${head}\n`;
    return;
  }
  // `"results": []` closes the head: open the list instead and close it after the last result.
  let piece = `${head.slice(0, head.length - '[]\n}'.length)}[\n`;
  for (const [i, r] of report.results.entries()) {
    piece += `${i > 0 ? ',\n' : ''}    ${JSON.stringify(resultToJson(r), null, 2).replace(/\n/g, '\n    ')}`;
    if ((i + 1) % results === 0) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}\n  ]\n}\n`;
}
