import { describe, expect, it } from 'vitest';
import { expiryText, generationLine, withCertificates } from '../../src/reconcile/certificates.js';
import { buildPlan } from '../../src/reconcile/plan.js';
import { renderPlanMarkdown } from '../../src/reconcile/render/markdown.js';
import { renderPlanText } from '../../src/reconcile/render/text.js';
import { planToJson } from '../../src/reconcile/saved.js';
import { aKey, aKeystore, currentOf, desiredState } from '../support/builders.js';

const key = aKey({ description: 'new' });
const store = aKeystore();

function plan() {
  return buildPlan({
    desired: desiredState(key, store),
    current: [currentOf(aKey()), currentOf(store)],
    scopes: [],
    prune: false,
    allowEmptyPrune: false,
    extraProjects: [],
    server: 'https://apinizer.example',
    createdAt: '2026-11-28T00:00:00.000Z',
    generations: new Map([['Payments', 'current']]),
  });
}

const cert = (environment: string, notAfter: string, name = key.name, kind = 'Key') => ({
  subject: `CN=${name}.example`,
  notAfter: new Date(notAfter),
  context: { kind, project: 'Payments', name, environment },
});

describe('certificates in the plan', () => {
  it('attaches certificates to the changed resource only, soonest first, with days from the plan time', () => {
    const p = withCertificates(plan(), [
      cert('production', '2027-03-01T00:00:00Z'),
      cert('test', '2026-12-01T12:00:00Z'),
      cert('production', '2020-01-01T00:00:00Z', store.name, 'Keystore'), // a noop: not shown
    ]);
    const update = p.actions.find((a) => a.name === key.name);
    expect(update?.action).toBe('update');
    expect(update?.certificates).toEqual([
      { environment: 'test', subject: 'CN=payments-signing.example', notAfter: '2026-12-01', daysLeft: 3 },
      { environment: 'production', subject: 'CN=payments-signing.example', notAfter: '2027-03-01', daysLeft: 93 },
    ]);
    expect(p.actions.find((a) => a.name === store.name)?.certificates).toBeUndefined();
  });

  it('says when a certificate expires or expired', () => {
    expect(expiryText({ environment: 'p', subject: 's', notAfter: '2027-03-01', daysLeft: 93 })).toBe(
      'expires 2027-03-01, in 93 days',
    );
    expect(expiryText({ environment: 'p', subject: 's', notAfter: '2026-11-27', daysLeft: -1 })).toBe(
      'expired 2026-11-27, 1 day ago',
    );
  });

  it('shows expiry and the API generation in text, markdown and JSON', () => {
    const p = withCertificates(plan(), [cert('production', '2027-03-01T00:00:00Z')]);
    const text = renderPlanText(p, { color: false });
    expect(text).toContain('certificate in production: CN=payments-signing.example, expires 2027-03-01, in 93 days');
    expect(text).toContain('API generation: current');
    const md = renderPlanMarkdown(p);
    expect(md).toContain('Certificate in `production`: `CN=payments-signing.example`, expires 2027-03-01, in 93 days.');
    expect(md).toContain('API generation: current');
    const json = planToJson(p);
    expect(json.apiGeneration).toBe('current');
    expect(json.actions.find((a) => a.name === key.name)?.certificates?.[0]?.daysLeft).toBe(93);
  });

  it('names no generation when the server was not asked', () => {
    expect(generationLine({ ...plan(), apiGeneration: undefined })).toBeUndefined();
  });
});
