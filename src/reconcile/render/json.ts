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
    results: report.results.map((r) => ({
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
    })),
  };
}

/** The apply report as one JSON document (pretty-printed, newline-terminated). */
export function renderReportJson(report: Report): string {
  return `${JSON.stringify(reportToJson(report), null, 2)}\n`;
}
