import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { renderPlanJson, renderReportJson } from '../../../src/reconcile/render/json.js';
import { createsOnly, mixed, noChanges, report, tooBig, validationErrors } from './scenarios.js';

// ajv-formats is CommonJS: under NodeNext its default import is the module, the plugin is `.default`.
const addFormats = addFormatsModule.default;

const load = (name: string): object =>
  JSON.parse(readFileSync(fileURLToPath(new URL(`../../../schemas/${name}`, import.meta.url)), 'utf8')) as object;

const ajv = new Ajv2020({ strict: true, allErrors: true });
addFormats(ajv);
const validatePlan = ajv.compile(load('plan.schema.json'));
const validateReport = ajv.compile(load('report.schema.json'));

describe('plan.schema.json', () => {
  it.each([
    ['no changes', noChanges],
    ['creates only', createsOnly],
    ['mixed', mixed],
    ['validation errors', validationErrors],
    ['too big', tooBig],
  ])('accepts the JSON plan: %s', (_name, make) => {
    const doc = JSON.parse(renderPlanJson(make()));
    expect(validatePlan(doc), JSON.stringify(validatePlan.errors)).toBe(true);
  });

  it('rejects unknown fields, a sensitive change with a value, and another formatVersion', () => {
    const doc = JSON.parse(renderPlanJson(mixed()));
    expect(validatePlan({ ...doc, extra: 1 })).toBe(false);
    expect(validatePlan({ ...doc, formatVersion: 2 })).toBe(false);
    const leaky = structuredClone(doc);
    leaky.actions[0].changes.push({ path: 'environments.production.privateKey', sensitive: true, after: 'LS0t' });
    expect(validatePlan(leaky)).toBe(false);
    const badFingerprint = structuredClone(doc);
    badFingerprint.actions[0].fingerprints.desired = 'abc';
    expect(validatePlan(badFingerprint)).toBe(false);
  });
});

describe('report.schema.json', () => {
  it('accepts the JSON report', () => {
    const doc = JSON.parse(renderReportJson(report()));
    expect(validateReport(doc), JSON.stringify(validateReport.errors)).toBe(true);
  });

  it('rejects an unknown outcome and unknown fields', () => {
    const doc = JSON.parse(renderReportJson(report()));
    const bad = structuredClone(doc);
    bad.results[0].outcome = 'maybe';
    expect(validateReport(bad)).toBe(false);
    expect(validateReport({ ...doc, extra: true })).toBe(false);
  });
});
