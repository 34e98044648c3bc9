// Golden tests: the exact text, JSON and markdown of representative plans and of a report.
// To accept an intended change: UPDATE_GOLDEN=1 npx vitest run test/reconcile/render, then review
// the diff of test/reconcile/render/golden/ like any other code change.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { renderPlanJson, renderReportJson } from '../../../src/reconcile/render/json.js';
import { renderPlanMarkdown } from '../../../src/reconcile/render/markdown.js';
import { renderPlanText, renderReportText } from '../../../src/reconcile/render/text.js';
import type { Plan } from '../../../src/reconcile/types.js';
import { createsOnly, mixed, noChanges, report, tooBig, validationErrors } from './scenarios.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden');
const update = process.env.UPDATE_GOLDEN === '1';

function matchGolden(file: string, actual: string): void {
  const path = join(GOLDEN, file);
  if (update || !existsSync(path)) {
    if (!update) throw new Error(`golden file ${file} is missing; run with UPDATE_GOLDEN=1 to create it`);
    mkdirSync(GOLDEN, { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  expect(actual, `output differs from golden/${file}`).toBe(readFileSync(path, 'utf8'));
}

const plans: [string, () => Plan][] = [
  ['no-changes', noChanges],
  ['creates-only', createsOnly],
  ['mixed', mixed],
  ['validation-errors', validationErrors],
  ['too-big', tooBig],
];

describe.each(plans)('plan %s', (name, make) => {
  it('text without colour', () => matchGolden(`${name}.txt`, renderPlanText(make(), { color: false })));
  it('text with colour', () => matchGolden(`${name}.color.txt`, renderPlanText(make(), { color: true })));
  it('json', () => matchGolden(`${name}.json`, renderPlanJson(make())));
  it('markdown', () => matchGolden(`${name}.md`, renderPlanMarkdown(make())));
});

describe('report', () => {
  it('text without colour', () => matchGolden('report.txt', renderReportText(report(), { color: false })));
  it('text with colour', () => matchGolden('report.color.txt', renderReportText(report(), { color: true })));
  it('json', () => matchGolden('report.json', renderReportJson(report())));
});
