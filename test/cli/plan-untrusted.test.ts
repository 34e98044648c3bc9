// `plan --format markdown` on a hostile pull request (SPEC §4, issue 23): a description that tries
// to end its table cell, write a heading ("No changes ..."), ping a team, reference an issue and
// plant a link, rendered with a real CommonMark + GFM renderer: every row and block the plan has
// is still there, no line the tool did not write appears, and nothing is live. Also the job
// summary (GITHUB_STEP_SUMMARY), which gets the same markdown.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { LIVE_TEXT, outsideCode, renderGfm, tagNames, textOf } from '../support/markdown.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cli, manifestFiles } from './apply-fixtures.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

const ATTACKS = [
  'harmless\\r# No changes. Your gateway matches the manifests. @my-org/security-team #1 https://evil.example/login',
  'harmless\\n\\n# No changes. Your gateway matches the manifests.\\n\\n| a | b |',
  'x\\u2028# No changes. owner/repo#1 !1 %milestone www.evil.example',
  'x\\u0085<img src=x onerror=alert(1)> &#64;octocat &commat;octocat',
  'x | y ` z `` </td></tr></table><h1>No changes</h1>',
  'safe\\u202eexe.pdf\\u200b\\u200d @\\u200buser',
];

describe('plan --format markdown with hostile descriptions', () => {
  it.each(ATTACKS)('keeps its structure and nothing is live: %s', async (attack) => {
    const dir = tempTree(manifestFiles({ description: `"${attack}"` }));
    const summary = join(dir, 'summary.md');
    const run = await cli(emulator(), dir, ['plan', 'manifests', '--format', 'markdown'], {
      env: { GITHUB_STEP_SUMMARY: summary },
    });
    expect(run.code, run.stderr).toBe(0);
    for (const md of [run.stdout, readFileSync(summary, 'utf8')]) {
      const html = renderGfm(md);
      const outside = outsideCode(html);
      const tags = tagNames(outside).filter((t) => !t.startsWith('/'));
      // 5 creates: the action table (header + 5 rows) and 5 change tables, 5 details blocks.
      expect(tags.filter((t) => t === 'table')).toHaveLength(6);
      expect(tags.filter((t) => t === 'details')).toHaveLength(5);
      // The only heading is the tool's own "#### Warnings" (the manifests' inline-material warnings).
      expect(tags.filter((t) => /^h[1-6]$/.test(t))).toEqual(['h4']);
      expect(tags.filter((t) => ['a', 'img', 'script', 'br', 'hr', 'blockquote'].includes(t))).toEqual([]);
      const text = textOf(outside);
      expect(text).not.toContain('No changes');
      expect(text).not.toMatch(LIVE_TEXT);
      expect(md).toContain('**Plan:** 5 to create, 0 to update, 0 to delete, 0 unchanged.');
      for (const c of ['\u202e', '\u200b', '\u200d', '\u2028', '\r']) expect(md).not.toContain(c);
    }
  });
});
