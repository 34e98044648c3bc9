// No output of the plan or report renderers may contain a secret: not the base64 the API gets, not
// the decoded bytes, not a SHA-256 of either (SPEC §4: "not its hash either").
import { createHash } from 'node:crypto';
import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { renderPlanJson, renderReportJson } from '../../../src/reconcile/render/json.js';
import { renderPlanMarkdown } from '../../../src/reconcile/render/markdown.js';
import { renderPlanText, renderReportText } from '../../../src/reconcile/render/text.js';
import { planToJson } from '../../../src/reconcile/saved.js';
import { secretNeedles } from '../../support/builders.js';
import { createsOnly, mixed, noChanges, report, tooBig, validationErrors } from './scenarios.js';

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

describe('no secret in any rendering', () => {
  const plans = { noChanges, createsOnly, mixed, validationErrors, tooBig };
  const outputs: [string, string][] = [];
  for (const [name, make] of Object.entries(plans)) {
    const plan = make();
    outputs.push(
      [`${name} text`, renderPlanText(plan, { color: false })],
      [`${name} colour`, renderPlanText(plan, { color: true })],
      [`${name} json`, renderPlanJson(plan)],
      [`${name} markdown`, renderPlanMarkdown(plan)],
      [`${name} planToJson`, JSON.stringify(planToJson(plan))],
      // The Plan value itself, as a careless log line would print it.
      [`${name} JSON.stringify(plan)`, JSON.stringify(plan)],
      [`${name} inspect(plan)`, inspect(plan, { depth: 10 })],
    );
  }
  outputs.push(
    ['report text', renderReportText(report(), { color: false })],
    ['report json', renderReportJson(report())],
  );

  it('has secrets to look for', () => {
    expect(secretNeedles().length).toBeGreaterThan(10);
  });

  it.each(outputs)('%s', (_name, output) => {
    for (const needle of secretNeedles()) {
      expect(output).not.toContain(needle);
      // A line of the key material, as it would appear decoded.
      for (const line of needle.split('\n').filter((l) => l.startsWith('TEST-'))) expect(output).not.toContain(line);
      expect(output).not.toContain(sha256(needle));
    }
  });
});
