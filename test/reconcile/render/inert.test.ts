// The one way outside text enters the pull-request markdown (SPEC §4: a pull request is untrusted
// input). Property tests over generated hostile strings, rendered with a real CommonMark + GFM
// renderer (marked): the structure around the text never changes (one paragraph, one row of two
// cells, one summary), the reader sees exactly the printable form of the text, and nothing outside
// code can mention, reference, link or open HTML.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { printable } from '../../../src/diagnostics.js';
import { buildPlan } from '../../../src/reconcile/plan.js';
import { inertMarkdown } from '../../../src/reconcile/render/inert.js';
import { renderPlanMarkdown } from '../../../src/reconcile/render/markdown.js';
import { aCurrentKey, aKey, aKeyEnvironment, desiredState } from '../../support/builders.js';
import { LIVE_TEXT, codeContents, outsideCode, renderGfm, tagNames, textOf } from '../../support/markdown.js';

/** Pieces an attacker would put in a description, a name, a path or a server message. */
const HOSTILE = [
  '\r',
  '\n',
  '\r\n',
  '\u2028',
  '\u2029',
  '\u0085',
  '\u000b',
  '\u000c',
  '|',
  '\\|',
  '\\',
  '`',
  '``',
  '```',
  '~~~',
  '<',
  '>',
  '<b>',
  '</td>',
  '<img src=x onerror=alert(1)>',
  '<!--',
  '-->',
  '<details>',
  '</summary>',
  '@user',
  '@my-org/security-team',
  '&#64;user',
  '&commat;user',
  '&#x40;user',
  '#1',
  'owner/repo#1',
  '!1',
  '%milestone',
  'https://evil.example/login',
  'http://evil.example',
  'www.evil.example',
  '[click](https://evil.example)',
  '![x](https://evil.example/x.png)',
  '<https://evil.example>',
  '&lt;b&gt;',
  '&amp;',
  '\u202e',
  '\u2066',
  '\u200b',
  '\u200d',
  '\u2060',
  '\ufeff',
  '\u{e0041}',
  '# No changes. Your gateway matches the manifests.',
  '---',
  '- ',
  '> ',
  '*',
  '_',
  '~',
  ':x:',
  ' ',
  '\t',
  'text',
];

const hostile = fc
  .array(fc.oneof(fc.constantFrom(...HOSTILE), fc.string({ unit: 'grapheme', maxLength: 6 })), { maxLength: 12 })
  .map((parts) => parts.join(''));

/** What a reader must see of `text` in a cell: printable, with a backslash before `|` spelled out. */
function shownInCell(text: string): string {
  return printable(text).replace(/\\+(?=\|)/g, (run) => '\\u005c'.repeat(run.length));
}

describe('inertMarkdown', () => {
  it('in running text: one paragraph, the text shown exactly as printable() writes it, nothing live', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const html = renderGfm(`before ${inertMarkdown(text)} after\n`);
        const outside = outsideCode(html);
        expect(outside).toBe(printable(text) === '' ? '<p>before  after</p>\n' : '<p>before <code></code> after</p>\n');
        expect(codeContents(html)).toEqual(printable(text) === '' ? [] : [printable(text)]);
      }),
      { numRuns: 400 },
    );
  });

  it('in a table cell: one row of exactly two cells, whatever the text holds', () => {
    fc.assert(
      fc.property(hostile, hostile, (a, b) => {
        const md = `| A | B |\n|---|---|\n| ${inertMarkdown(a, 'cell') || ' '} | ${inertMarkdown(b, 'cell') || ' '} |\n\nend\n`;
        const html = renderGfm(md);
        const tags = tagNames(outsideCode(html)).filter((t) => !t.startsWith('/'));
        expect(tags.filter((t) => t === 'tr')).toHaveLength(2);
        expect(tags.filter((t) => t === 'td')).toHaveLength(2);
        expect(tags.every((t) => ['table', 'thead', 'tbody', 'tr', 'th', 'td', 'code', 'p'].includes(t))).toBe(true);
        expect(codeContents(html)).toEqual([a, b].filter((t) => printable(t) !== '').map(shownInCell));
        expect(textOf(outsideCode(html))).not.toMatch(LIVE_TEXT);
      }),
      { numRuns: 400 },
    );
  });

  it('in raw HTML (a <summary>): one details block, the text inside <code>, nothing live', () => {
    fc.assert(
      fc.property(hostile, (text) => {
        const md = `<details><summary>update ${inertMarkdown(text, 'html')} (1 change)</summary>\n\n| F |\n|---|\n| x |\n\n</details>\n`;
        const html = renderGfm(md);
        const tags = tagNames(outsideCode(html)).filter((t) => !t.startsWith('/'));
        expect(tags.filter((t) => t === 'summary')).toHaveLength(1);
        expect(tags.filter((t) => t === 'details')).toHaveLength(1);
        expect(tags.filter((t) => t === 'tr')).toHaveLength(2);
        expect(codeContents(html)).toEqual(printable(text) === '' ? [] : [printable(text)]);
        expect(textOf(outsideCode(html))).not.toMatch(LIVE_TEXT);
      }),
      { numRuns: 400 },
    );
  });

  it('shows bidi overrides, zero-width characters and line breaks as escapes, as the text output does', () => {
    expect(inertMarkdown('a\u202eb\u200bc\u200dd\u2028e\r\nf')).toBe('`a\\u202eb\\u200bc\\u200dd\\u2028e\\r\\nf`');
    expect(inertMarkdown('``x`')).toBe('``` ``x` ```');
    expect(inertMarkdown('a|b', 'cell')).toBe('`a\\|b`');
    expect(inertMarkdown('', 'cell')).toBe('');
  });
});

describe('the plan comment with hostile text everywhere', () => {
  it('keeps its rows and blocks, shows no line the tool did not write, and nothing live', () => {
    fc.assert(
      fc.property(hostile, hostile, hostile, hostile, (description, project, environment, file) => {
        const env = environment.trim() === '' ? 'production' : environment;
        const proj = project.trim() === '' ? 'Payments' : project;
        const desired = [
          aKey({
            name: 'a',
            project: proj,
            description,
            environments: [aKeyEnvironment(env)],
            source: { file, line: 3, column: 1 },
          }),
          aKey({ name: 'b', project: proj, description: 'plain' }),
        ];
        const plan = buildPlan({
          desired: desiredState(...desired),
          current: [aCurrentKey({ name: 'b', project: proj, description: 'old' })],
          scopes: [{ project: proj, kind: 'Key' }],
          prune: false,
          allowEmptyPrune: false,
          extraProjects: [],
          server: `https://m.example/${description}`,
          createdAt: '2024-01-01T00:00:00.000Z',
          diagnostics: [
            { code: 'schema', severity: 'warning', message: description, file, line: 1, column: 1, path: 'spec' },
          ],
        });
        const html = renderGfm(renderPlanMarkdown(plan));
        const outside = outsideCode(html);
        const tags = tagNames(outside).filter((t) => !t.startsWith('/'));
        // The action table (header + 2 rows) and one change table per resource (header + rows).
        expect(tags.filter((t) => t === 'table')).toHaveLength(3);
        expect(tags.filter((t) => t === 'details')).toHaveLength(2);
        expect(tags.filter((t) => t === 'li')).toHaveLength(1);
        expect(tags.filter((t) => /^h[1-6]$/.test(t))).toEqual(['h4']);
        const allowed = [
          'p',
          'strong',
          'em',
          'table',
          'thead',
          'tbody',
          'tr',
          'th',
          'td',
          'code',
          'details',
          'summary',
        ];
        expect(tags.filter((t) => !allowed.includes(t) && !['h4', 'ul', 'li', 'sub'].includes(t))).toEqual([]);
        const text = textOf(outside);
        expect(text).not.toMatch(LIVE_TEXT);
        expect(text).not.toContain('No changes');
      }),
      { numRuns: 150 },
    );
  });
});
