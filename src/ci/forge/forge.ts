/**
 * What the plan comment needs from a forge (GitHub, GitLab): list the comments of one pull or merge
 * request, create one, update one. Each adapter (github.ts, gitlab.ts) owns its authentication,
 * URLs and pagination; failures come back as values, never thrown.
 */
import type { ExistingComment } from '../comment.js';
import type { Result } from '../../result.js';

/** A failed call, as a value: what was asked, what came back. */
export interface ForgeFailure {
  request: string;
  status: number | null;
  message: string;
}

/** The outcome of a forge call. */
export type Reply<T> = Result<T, ForgeFailure>;

/** One pull request (GitHub) or merge request (GitLab) whose comments the plan script reads and writes. */
export interface Forge {
  /** Longest comment body this forge accepts. */
  bodyLimit: number;
  /** What the forge calls a comment: `comment` (GitHub) or `note` (GitLab). */
  noun: string;
  /** The request as people write it: `pull request #7`, `merge request !5`. */
  target: string;
  /** Every comment of the request, oldest first, all pages read. */
  listComments(): Promise<Reply<ExistingComment[]>>;
  /** Posts a new comment; its id. */
  createComment(body: string): Promise<Reply<{ id: number }>>;
  /** Replaces the body of comment `id`. */
  updateComment(id: number, body: string): Promise<Reply<{ id: number }>>;
  /** The login the token acts as: the author the plan comment must have to be ours. */
  whoAmI(): Promise<Reply<string>>;
}

/** One line for a failed call: what failed, the status and the server's message, and `hint` (what to do). */
export function describeFailure(what: string, e: ForgeFailure, hint: string): string {
  const status = e.status === null ? 'no answer' : `HTTP ${e.status}`;
  return `${what}: ${e.request} failed (${status}: ${e.message}).${hint ? ` ${hint}` : ''}`;
}

/**
 * Where the plan comment of this CI job goes, read from the job's environment: the forge and what the
 * footer names (the run and the commit), or why there is no comment to write (`skip`: not a pull or
 * merge request, not an error) or why it cannot be written (`error`: what to set).
 */
export type CommentTarget =
  { forge: Forge; runUrl: string | undefined; sha: string | undefined } | { skip: string } | { error: string };
