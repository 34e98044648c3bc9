// The plan comment's pure logic (ci/comment.ts) and the create-or-update step over the Forge
// interface, without any server: a forge kept in memory stands in for GitHub or GitLab.
import { describe, expect, it } from 'vitest';
import {
  BODY_LIMIT,
  chooseCommentAction,
  commentBody,
  type ExistingComment,
  footerLine,
  foreignPlanComments,
  isPlanComment,
  PLAN_MARKER,
} from '../../src/ci/comment.js';
import { describeFailure, type Forge, type ForgeFailure, type Reply } from '../../src/ci/forge/forge.js';
import { githubHint } from '../../src/ci/forge/github.js';
import { gitlabHint } from '../../src/ci/forge/gitlab.js';
import { upsertPlanComment } from '../../src/ci/pr-comment.js';

/** The login the token acts as in these tests. */
const ME = 'apinizer-bot';

const note = (id: number, body: string | null, system = false, author: string | null = ME): ExistingComment => ({
  id,
  body,
  system,
  author,
});

describe('commentBody', () => {
  it('puts the marker first once, whether or not the markdown starts with it, and drops trailing blanks', () => {
    expect(commentBody('hello\n\n  ', { limit: 100 })).toBe(`${PLAN_MARKER}\nhello\n`);
    expect(commentBody(`${PLAN_MARKER}\nhello`, { limit: 100 })).toBe(`${PLAN_MARKER}\nhello\n`);
  });

  it('adds the footer after a blank line', () => {
    expect(commentBody('hello', { limit: 100, footer: 'foot' })).toBe(`${PLAN_MARKER}\nhello\n\nfoot\n`);
  });

  it('leaves a body that fits exactly alone', () => {
    const markdown = `${PLAN_MARKER}\n${'x'.repeat(100 - PLAN_MARKER.length - 1)}`;
    expect(commentBody(markdown, { limit: 100 })).toBe(`${markdown}\n`);
  });

  it('cuts a longer body to the limit at a line end, keeping the marker, a truncation note and the footer', () => {
    const body = commentBody(`${'y'.repeat(99)}\n`.repeat(700), { limit: BODY_LIMIT.github, footer: 'foot' });
    expect(body.length).toBeLessThanOrEqual(BODY_LIMIT.github + 1); // the limit, plus the final newline
    expect(body.length).toBeGreaterThan(BODY_LIMIT.github - 200);
    expect(body.startsWith(`${PLAN_MARKER}\ny`)).toBe(true);
    expect(body).toMatch(/\ny{99}\n\n_\(truncated: [^\n]+\)_\n\nfoot\n$/);
  });

  it('never cuts inside a line, where a code span would be left open and its text live again', () => {
    const row = '| Key | `Payments` | `@my-org/security-team #1 https://evil.example` |\n';
    const body = commentBody(row.repeat(2000), { limit: 10_000 });
    for (const line of body.split('\n').filter((l) => l.startsWith('|'))) expect(line).toBe(row.trimEnd());
  });

  it('never cuts below nothing when the footer alone is over the limit', () => {
    const body = commentBody('hello', { limit: 10, footer: 'f'.repeat(50) });
    expect(body).toContain('(truncated');
    expect(body.endsWith(`${'f'.repeat(50)}\n`)).toBe(true);
  });
});

describe('footerLine', () => {
  it('links the run and names the commit in 12 characters', () => {
    expect(footerLine('https://ci/run/1', '0123456789abcdef')).toBe(
      '<sub>Plan made by [this run](https://ci/run/1) for 0123456789ab.</sub>',
    );
  });

  it('names what is known, and is absent when nothing is', () => {
    expect(footerLine('https://ci/run/1', undefined)).toBe('<sub>Plan made by [this run](https://ci/run/1).</sub>');
    expect(footerLine(undefined, 'abc')).toBe('<sub>Plan made for abc.</sub>');
    expect(footerLine(undefined, undefined)).toBeUndefined();
  });
});

describe('choosing create or update', () => {
  it('recognises a plan comment by its marker, even after leading blanks, but never a system note', () => {
    expect(isPlanComment(note(1, `  \n${PLAN_MARKER}\nplan`))).toBe(true);
    expect(isPlanComment(note(2, `text ${PLAN_MARKER}`))).toBe(false);
    expect(isPlanComment(note(3, null))).toBe(false);
    expect(isPlanComment(note(4, `${PLAN_MARKER} changed the description`, true))).toBe(false);
  });

  it('updates the first earlier plan comment', () => {
    const comments = [
      note(1, 'hi'),
      note(2, `${PLAN_MARKER}\na`, true),
      note(3, `${PLAN_MARKER}\nb`),
      note(4, PLAN_MARKER),
    ];
    expect(chooseCommentAction(comments, ME)).toEqual({ action: 'update', id: 3 });
  });

  it("never chooses another participant's comment that carries the marker, whatever its place", () => {
    const comments = [
      note(1, `${PLAN_MARKER}\nNo changes. Your gateway matches the manifests.`, false, 'mallory'),
      note(2, `${PLAN_MARKER}\nanonymous`, false, null),
      note(3, `${PLAN_MARKER}\nours`, false, 'Apinizer-Bot'),
    ];
    expect(chooseCommentAction(comments, ME)).toEqual({ action: 'update', id: 3 });
    expect(chooseCommentAction(comments.slice(0, 2), ME)).toEqual({ action: 'create' });
    expect(foreignPlanComments(comments, ME).map((c) => c.id)).toEqual([1, 2]);
  });

  it('creates one when there is none', () => {
    expect(chooseCommentAction([], ME)).toEqual({ action: 'create' });
    expect(chooseCommentAction([note(1, 'lgtm'), note(2, null)], ME)).toEqual({ action: 'create' });
  });
});

describe('failure messages', () => {
  const e: ForgeFailure = {
    request: 'GET /repos/o/r/issues/7/comments',
    status: 403,
    message: 'Resource not accessible',
  };

  it('say what failed, the status and the server message, then what to do on each forge', () => {
    expect(describeFailure('comment', e, githubHint(403))).toBe(
      'comment: GET /repos/o/r/issues/7/comments failed (HTTP 403: Resource not accessible). The workflow needs ' +
        '`permissions: pull-requests: write` (comments) and `actions: read` (finding the plan run); pull requests ' +
        'from forks get a read-only token.',
    );
    expect(gitlabHint(401)).toContain('api scope');
    expect(githubHint(401)).toContain('GITHUB_TOKEN');
  });

  it('add no hint where there is nothing to do, and say "no answer" when the server never replied', () => {
    expect(describeFailure('fetch-plan', { ...e, status: null, message: 'timeout' }, gitlabHint(null))).toBe(
      'fetch-plan: GET /repos/o/r/issues/7/comments failed (no answer: timeout).',
    );
    expect(githubHint(500)).toBe('');
  });
});

/** A forge kept in memory: comments in a list, calls recorded, optionally failing one operation. */
function memoryForge(comments: ExistingComment[], failOn?: 'list' | 'create' | 'update' | 'whoAmI') {
  const calls: string[] = [];
  const failure: Reply<never> = { ok: false, error: { request: 'X /c', status: 500, message: 'boom' } };
  const forge: Forge = {
    bodyLimit: 100,
    noun: 'comment',
    target: 'pull request #1',
    listComments() {
      calls.push('list');
      return Promise.resolve(failOn === 'list' ? failure : { ok: true, value: comments.map((c) => ({ ...c })) });
    },
    createComment(body) {
      calls.push('create');
      if (failOn === 'create') return Promise.resolve(failure);
      comments.push(note(100 + comments.length, body));
      return Promise.resolve({ ok: true, value: { id: comments.at(-1)!.id } });
    },
    whoAmI() {
      calls.push('whoAmI');
      return Promise.resolve(failOn === 'whoAmI' ? failure : { ok: true, value: ME });
    },
    updateComment(id, body) {
      calls.push(`update ${id}`);
      if (failOn === 'update') return Promise.resolve(failure);
      comments.find((c) => c.id === id)!.body = body;
      return Promise.resolve({ ok: true, value: { id } });
    },
  };
  return { forge, calls, comments };
}

describe('upsertPlanComment over the Forge interface', () => {
  it('creates its own comment beside a foreign one with the marker, names the foreign one, and updates only its own', async () => {
    const m = memoryForge([
      note(1, `${PLAN_MARKER}\nNo changes. Your gateway matches the manifests.`, false, 'mallory'),
    ]);
    expect(await upsertPlanComment(m.forge, `${PLAN_MARKER}\nreal`)).toEqual({
      ok: true,
      value: { action: 'created', id: 101, foreign: [{ id: 1, author: 'mallory' }] },
    });
    expect(await upsertPlanComment(m.forge, `${PLAN_MARKER}\nreal 2`)).toMatchObject({
      ok: true,
      value: { action: 'updated', id: 101 },
    });
    expect(m.comments.map((c) => c.body)).toEqual([
      `${PLAN_MARKER}\nNo changes. Your gateway matches the manifests.`,
      `${PLAN_MARKER}\nreal 2`,
    ]);
  });

  it('creates the comment once, then updates that same comment', async () => {
    const m = memoryForge([note(1, 'hello')]);
    expect(await upsertPlanComment(m.forge, `${PLAN_MARKER}\none`)).toEqual({
      ok: true,
      value: { action: 'created', id: 101, foreign: [] },
    });
    expect(await upsertPlanComment(m.forge, `${PLAN_MARKER}\ntwo`)).toEqual({
      ok: true,
      value: { action: 'updated', id: 101, foreign: [] },
    });
    expect(m.calls).toEqual(['list', 'create', 'list', 'whoAmI', 'update 101']);
    expect(m.comments.map((c) => c.body)).toEqual(['hello', `${PLAN_MARKER}\ntwo`]);
  });

  it('returns the failure of any step as a value, and writes nothing when listing fails', async () => {
    const list = memoryForge([], 'list');
    expect(await upsertPlanComment(list.forge, PLAN_MARKER)).toMatchObject({ ok: false, error: { status: 500 } });
    expect(list.calls).toEqual(['list']);
    const update = memoryForge([note(5, PLAN_MARKER)], 'update');
    expect(await upsertPlanComment(update.forge, PLAN_MARKER)).toMatchObject({ ok: false });
    expect(update.calls).toEqual(['list', 'whoAmI', 'update 5']);
    const who = memoryForge([note(5, PLAN_MARKER)], 'whoAmI');
    expect(await upsertPlanComment(who.forge, PLAN_MARKER)).toMatchObject({ ok: false });
    expect(who.calls).toEqual(['list', 'whoAmI']);
  });
});
