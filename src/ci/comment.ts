/**
 * The plan comment itself, apart from any forge: its marker, its body (cut to the forge's limit),
 * its footer, and whether an earlier comment is updated or a new one created. Pure: no I/O.
 *
 * The comment updated is the tool's own (SPEC §4): it starts with the marker AND its author is the
 * identity the token acts as. Anyone on a pull request can post a comment that starts with the
 * marker (a fake "No changes"); matching the marker alone would write every later plan into the
 * attacker's comment, or fail on it and leave the fake standing.
 */

/** The first line of every plan comment: how the earlier comment is found again. */
export const PLAN_MARKER = '<!-- apinizer-gitops plan -->';

/** Longest body each forge accepts (GitHub: 65,536 characters; GitLab notes: 1,000,000). */
export const BODY_LIMIT = { github: 65_000, gitlab: 1_000_000 } as const;

/** The forges a plan comment can be posted on. */
export type Provider = keyof typeof BODY_LIMIT;

/** A comment already on the pull or merge request, as a forge adapter reads it. */
export interface ExistingComment {
  id: number;
  body: string | null;
  /** A note the forge wrote itself (GitLab system notes): never ours to update. */
  system: boolean;
  /** The login (GitHub) or username (GitLab) of whoever wrote it; null when the forge did not say. */
  author: string | null;
}

/** What to do with the plan comment: update the earlier one, or create the first. */
export type CommentAction = { action: 'update'; id: number } | { action: 'create' };

const TRUNCATED = '\n\n_(truncated: the plan is longer than a comment can hold; see the job log or the plan artifact)_';

/**
 * The comment body: the marker first (added if the file lacks it), the markdown, and an optional
 * footer line; cut to the forge's limit with a note when the markdown is larger.
 */
export function commentBody(markdown: string, options: { limit: number; footer?: string }): string {
  let text = markdown.replace(/\s+$/, '');
  if (!text.startsWith(PLAN_MARKER)) text = `${PLAN_MARKER}\n${text}`;
  const footer = options.footer ? `\n\n${options.footer}` : '';
  if (text.length + footer.length > options.limit) {
    // Cut at a line end: a line cut in the middle could leave a code span open, and the text after
    // its opening backticks (a name, a description) would be markdown again, live.
    const room = Math.max(0, options.limit - footer.length - TRUNCATED.length);
    const cut = text.lastIndexOf('\n', room);
    text = text.slice(0, cut > 0 ? cut : 0) + TRUNCATED;
  }
  return `${text}${footer}\n`;
}

/** The footer naming the run (linked when its URL is known) and the commit planned, or undefined if neither is. */
export function footerLine(runUrl: string | undefined, sha: string | undefined): string | undefined {
  if (!runUrl && !sha) return undefined;
  const commit = sha ? ` for ${sha.slice(0, 12)}` : '';
  return runUrl ? `<sub>Plan made by [this run](${runUrl})${commit}.</sub>` : `<sub>Plan made${commit}.</sub>`;
}

/** Whether `comment` is an earlier plan comment: written by a user (not the forge) and starting with the marker. */
export function isPlanComment(comment: ExistingComment): boolean {
  return !comment.system && typeof comment.body === 'string' && comment.body.trimStart().startsWith(PLAN_MARKER);
}

/** Whether `comment` was written by `me` (logins compare without case, as GitHub and GitLab treat them). */
export function isWrittenBy(comment: ExistingComment, me: string): boolean {
  return comment.author !== null && comment.author.toLowerCase() === me.toLowerCase();
}

/**
 * Update the first earlier plan comment written by `me` (oldest first, as the forges list them), or
 * create one when there is none. Another participant's comment with the marker is never chosen.
 */
export function chooseCommentAction(comments: readonly ExistingComment[], me: string): CommentAction {
  const earlier = comments.find((c) => isPlanComment(c) && isWrittenBy(c, me));
  return earlier ? { action: 'update', id: earlier.id } : { action: 'create' };
}

/** Comments that carry the marker but were written by someone else: left alone, and named in the log. */
export function foreignPlanComments(comments: readonly ExistingComment[], me: string): ExistingComment[] {
  return comments.filter((c) => isPlanComment(c) && !isWrittenBy(c, me));
}
