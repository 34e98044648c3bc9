import { describe, expect, it } from 'vitest';
import { buildPlan } from '../../../src/reconcile/plan.js';
import { DEFAULT_MAX_CHARS, MARKDOWN_MARKER, renderPlanMarkdown } from '../../../src/reconcile/render/markdown.js';
import { renderPlanText, renderReportText } from '../../../src/reconcile/render/text.js';
import { plural } from '../../../src/reconcile/render/common.js';
import type { Plan } from '../../../src/reconcile/types.js';
import { aCurrentKey, aKey, aKeyEnvironment, desiredState } from '../../support/builders.js';
import { createsOnly, mixed, noChanges, report, tooBig, validationErrors } from './scenarios.js';

const ESC = '\u001b[';

/** n updated keys whose descriptions are long, for size limits. */
function manyUpdates(n: number, descriptionLength = 200): Plan {
  const desired = [];
  const current = [];
  for (let i = 0; i < n; i++) {
    const name = `k-${String(i).padStart(5, '0')}`;
    desired.push(aKey({ name, description: `new ${'x'.repeat(descriptionLength)}` }));
    current.push(aCurrentKey({ name, description: 'old' }));
  }
  const state = desiredState(...desired);
  return buildPlan({
    desired: state,
    current,
    scopes: [{ project: 'Payments', kind: 'Key' }],
    prune: false,
    allowEmptyPrune: false,
    extraProjects: [],
    server: 'https://m.example',
    createdAt: '2024-01-01T00:00:00.000Z',
  });
}

describe('text', () => {
  it('uses ANSI codes only when asked', () => {
    for (const plan of [noChanges(), createsOnly(), mixed(), validationErrors()]) {
      expect(renderPlanText(plan, { color: false })).not.toContain(ESC);
      expect(renderPlanText(plan, { color: true })).toContain(ESC);
    }
    expect(renderReportText(report(), { color: false })).not.toContain(ESC);
    expect(renderReportText(report(), { color: true })).toContain(ESC);
  });

  it('ends with the Plan line, and says "No changes" only when nothing changes', () => {
    const none = renderPlanText(noChanges(), { color: false });
    expect(none).toMatch(
      /No changes\. Your gateway matches the manifests\.\nPlan: 0 to create, 0 to update, 0 to delete, 3 unchanged\.\n$/,
    );
    const some = renderPlanText(mixed(), { color: false });
    expect(some).not.toContain('No changes');
    expect(some.trimEnd().split('\n').at(-1)).toBe('Plan: 1 to create, 3 to update, 2 to delete, 1 unchanged.');
  });

  it('does not list noops', () => {
    expect(renderPlanText(mixed(), { color: false })).not.toContain('refunds-signing');
  });

  it('ends the report with the Apply line', () => {
    expect(renderReportText(report(), { color: false }).trimEnd().split('\n').at(-1)).toBe(
      'Apply: 2 created, 2 updated, 1 deleted, 1 unchanged, 1 failed.',
    );
  });
});

describe('markdown', () => {
  it('starts with the marker line and is deterministic', () => {
    for (const make of [noChanges, createsOnly, mixed, validationErrors, tooBig]) {
      const md = renderPlanMarkdown(make());
      expect(md.split('\n')[0]).toBe(MARKDOWN_MARKER);
      expect(renderPlanMarkdown(make())).toBe(md);
    }
  });

  it('has the summary line, the table, details blocks and the server and time', () => {
    const md = renderPlanMarkdown(mixed());
    expect(md).toContain('**Plan:** 1 to create, 3 to update, 2 to delete, 1 unchanged.');
    expect(md).toContain('| Kind | Project | Name | Action | Changed fields |');
    expect(md.match(/<details><summary>/g)).toHaveLength(6);
    expect(md).toContain('https://manager.example.com');
    expect(md).toContain('2024-05-01T10:00:00.000Z');
    expect(md).toContain('| `environments.production.privateKey` | (sensitive value) | (sensitive value) |');
  });

  it('keeps a large plan under 60,000 characters: details go first', () => {
    const md = renderPlanMarkdown(tooBig());
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(md).toMatch(
      /Details of (\d+) resources were left out of this comment \(\1 updates\); see the full plan in the job log\./,
    );
    expect(md.match(/^\| Key \| `Payments` \| `key-\d+` \|/gm)).toHaveLength(150);
  });

  it('drops table rows too when needed, and says how many resources were left out', () => {
    const plan = manyUpdates(3000);
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    const rows = md.match(/^\| Key \| `Payments` \| `k-\d+` \|/gm)?.length ?? 0;
    expect(rows).toBeGreaterThan(0);
    expect(rows).toBeLessThan(3000);
    expect(md).toContain(
      `**${3000 - rows} resources were left out of this comment (${3000 - rows} updates); see the full plan in the job log.**`,
    );
    expect(md.trimEnd().endsWith('</sub>')).toBe(true);
  });

  it('honours a smaller maxChars', () => {
    for (const maxChars of [2000, 5000, 20_000]) {
      expect(renderPlanMarkdown(manyUpdates(200), { maxChars }).length).toBeLessThanOrEqual(maxChars);
    }
  });

  it('shows user text only inside code spans, so it cannot break a table or open HTML, links or mentions', () => {
    const md = renderPlanMarkdown(mixed());
    expect(md).toContain('``"Signs payment callbacks \\| v2 <b>bold</b> `code` @octocat [link](http://x) *stars*"``');
  });
});

describe('terminal safety', () => {
  it('shows control characters from the server as escapes, keeping its own colours', () => {
    const evil = '\u001b[2J\u001b[31mgotcha';
    const plan = buildPlan({
      desired: desiredState(aKey({ description: evil })),
      current: [aCurrentKey({ description: 'old' }), aCurrentKey({ name: `x${evil}` })],
      scopes: [{ project: 'Payments', kind: 'Key' }],
      prune: true,
      allowEmptyPrune: false,
      extraProjects: [],
      server: 's',
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    for (const color of [false, true]) {
      const text = renderPlanText(plan, { color });
      expect(text).not.toContain('\u001b[2J');
      expect(text).toContain('\\u001b[2J');
    }
    const r = report();
    r.results[5]!.error!.message = `denied${evil}`;
    const text = renderReportText(r, { color: true });
    expect(text).not.toContain('\u001b[2J');
    expect(text).toContain('\u001b[31m! ');
  });
});

describe('one printable', () => {
  it('shows bidi overrides, zero-width characters and tag characters as escapes in text, markdown and reports', () => {
    const evil = 'safe\u202eexe.pdf\u200b\u200d\u2066x\u2069\ufeff\u{e0041}';
    const plan = buildPlan({
      desired: desiredState(aKey({ description: evil, environments: [aKeyEnvironment(`prod${evil}`)] })),
      current: [aCurrentKey({ description: 'old' }), aCurrentKey({ name: `gone${evil}` })],
      scopes: [{ project: 'Payments', kind: 'Key' }],
      prune: true,
      allowEmptyPrune: false,
      extraProjects: [],
      server: 's',
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    const r = report();
    r.results[5]!.error!.message = `denied ${evil}`;
    const outputs = [
      renderPlanText(plan, { color: false }),
      renderPlanText(plan, { color: true }),
      renderPlanMarkdown(plan),
      renderReportText(r, { color: false }),
    ];
    for (const out of outputs) {
      for (const c of ['\u202e', '\u200b', '\u200d', '\u2066', '\u2069', '\ufeff', '\u{e0041}'])
        expect(out).not.toContain(c);
      expect(out).toContain('\\u202e');
    }
    expect(outputs[0]).toContain('\\u200b\\u200d\\u2066x\\u2069\\ufeff\\u{e0041}');
  });
});

describe('a cut comment keeps the deletes', () => {
  it('with 2,000 creates and one prune delete, the delete row stays and the note counts each kind of action', () => {
    const desired = Array.from({ length: 2000 }, (_, i) =>
      aKey({ name: `new-${String(i).padStart(4, '0')}`, description: 'd'.repeat(40) }),
    );
    const plan = buildPlan({
      desired: desiredState(...desired),
      current: [aCurrentKey({ name: 'zz-removed-from-git' }), aCurrentKey({ name: 'new-0007', description: 'old' })],
      scopes: [{ project: 'Payments', kind: 'Key' }],
      prune: true,
      allowEmptyPrune: false,
      extraProjects: [],
      server: 's',
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    expect(plan.summary).toMatchObject({ create: 1999, update: 1, delete: 1 });
    const md = renderPlanMarkdown(plan);
    expect(md.length).toBeLessThanOrEqual(DEFAULT_MAX_CHARS);
    expect(md).toContain('| Key | `Payments` | `zz-removed-from-git` | 🗑️ delete |');
    expect(md).toContain('| Key | `Payments` | `new-0007` | ✏️ update |');
    expect(md).toContain('<details><summary>delete <code>Key Payments/zz-removed-from-git</code>');
    const rows = md.match(/^\| Key \| `Payments` \| `new-\d+` \| ➕ create/gm)?.length ?? 0;
    expect(rows).toBeGreaterThan(0);
    const left = 1999 - rows;
    expect(md).toContain(
      `**${left} resources were left out of this comment (${left} creates); see the full plan in the job log.**`,
    );
    // The rows kept stay in plan order: the delete is still the last row of the table.
    const table = md.split('\n').filter((l) => l.startsWith('| Key |'));
    expect(table.at(-1)).toContain('zz-removed-from-git');
  });

  it('when even the deletes do not fit, cuts them last and says how many of each were left out', () => {
    const current = Array.from({ length: 40 }, (_, i) => aCurrentKey({ name: `gone-${i}` }));
    const plan = buildPlan({
      desired: desiredState(aKey({ name: 'a-new' }), aKey({ name: 'b-new' })),
      current,
      scopes: [{ project: 'Payments', kind: 'Key' }],
      prune: true,
      allowEmptyPrune: false,
      extraProjects: [],
      server: 's',
      createdAt: '2024-01-01T00:00:00.000Z',
    });
    const md = renderPlanMarkdown(plan, { maxChars: 2500 });
    expect(md.length).toBeLessThanOrEqual(2500);
    expect(md).not.toContain('➕ create');
    const deletes = md.match(/🗑️ delete/g)?.length ?? 0;
    expect(deletes).toBeGreaterThan(0);
    expect(md).toContain(`(${plural(40 - deletes, 'delete')}, 2 creates)`);
  });
});
