#!/usr/bin/env node
/**
 * Pull-request plumbing for CI, run as `node <package>/dist/ci/pr-comment.js COMMAND` by the GitHub
 * composite action (action.yml) and the GitLab example. Dependency-free (global fetch), so it runs
 * wherever the CLI runs:
 *
 *   comment --file plan.md [--provider github|gitlab] [--author LOGIN]
 *       creates or updates ONE pull-request comment / merge-request note: its own, found by its first
 *       line `<!-- apinizer-gitops plan -->` (the markdown plan's marker) AND its author, the identity
 *       the token acts as (GET /user; github-actions[bot] for the workflow's GITHUB_TOKEN; --author
 *       names it outright). Another participant's comment with the marker is left alone.
 *   find-plan-run --artifact NAME                        (GitHub)
 *       for the commit being built on the default branch: the merged pull request's latest run of
 *       this workflow that uploaded the plan artifact; its id goes to $GITHUB_OUTPUT as run-id.
 *   fetch-plan --job NAME --path plan.json --out FILE    (GitLab)
 *       downloads the plan file from the merged merge request's latest pipeline job NAME.
 *
 * This file is the entry point: argument parsing and the three commands. The comment itself is
 * comment.ts (pure); each forge's authentication, URLs and paging are forge/github.ts and forge/gitlab.ts.
 *
 * The token (GITHUB_TOKEN / GITLAB_TOKEN) is sent only in the Authorization / PRIVATE-TOKEN header
 * and is scrubbed from every message printed, including text a server echoes back.
 */
import { appendFile, readFile, writeFile } from 'node:fs/promises';
import { type Redactor, createRedactor } from '../api/redact.js';
import { realpathSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { chooseCommentAction, commentBody, footerLine, foreignPlanComments, isPlanComment } from './comment.js';
import { describeFailure, type Forge, type Reply } from './forge/forge.js';
import { findPlanRun, githubCommentTarget, githubHint, githubHttp } from './forge/github.js';
import { fetchGitlabPlan, gitlabCommentTarget, gitlabHint, gitlabHttp } from './forge/gitlab.js';

// The pure pieces, re-exported so the script's earlier importers (tests, CI fixtures) keep working.
export { BODY_LIMIT, commentBody, PLAN_MARKER, type Provider } from './comment.js';
export { nextLink } from './forge/http.js';

/** `text` with each secret replaced in every form a server might echo (api/redact.ts), for anything printed. */
export function redact(text: string, secrets: readonly string[]): string {
  return tokenRedactor(secrets).scrub(text);
}

/** The one scrubber of the CI helper: the forge tokens, in every encoding and fragment, shown as `(token)`. */
function tokenRedactor(secrets: readonly string[]): Redactor {
  const r = createRedactor('(token)');
  for (const s of secrets) r.remember(s);
  return r;
}

/** What happened to the plan comment. */
export interface Upserted {
  action: 'created' | 'updated';
  id: number;
  /** Comments that carry the marker but are someone else's: left alone. */
  foreign: { id: number; author: string | null }[];
}

/**
 * Updates the earlier plan comment that is ours (marker and author, SPEC §4), or creates it when
 * there is none. Who the token is gets asked only when some comment carries the marker.
 */
export async function upsertPlanComment(forge: Forge, body: string): Promise<Reply<Upserted>> {
  const list = await forge.listComments();
  if (!list.ok) return list;
  let choice: ReturnType<typeof chooseCommentAction> = { action: 'create' };
  let foreign: Upserted['foreign'] = [];
  if (list.value.some(isPlanComment)) {
    const me = await forge.whoAmI();
    if (!me.ok) return me;
    choice = chooseCommentAction(list.value, me.value);
    foreign = foreignPlanComments(list.value, me.value).map((c) => ({ id: c.id, author: c.author }));
  }
  if (choice.action === 'update') {
    const r = await forge.updateComment(choice.id, body);
    return r.ok ? { ok: true, value: { action: 'updated', id: r.value.id, foreign } } : r;
  }
  const r = await forge.createComment(body);
  return r.ok ? { ok: true, value: { action: 'created', id: r.value.id, foreign } } : r;
}

/** What the script may touch, passed in so tests can run it in-process too. */
export interface ScriptIo {
  env: NodeJS.ProcessEnv;
  stdout: (line: string) => void;
  stderr: (line: string) => void;
}

const USAGE = `Usage: pr-comment.js comment --file plan.md [--provider github|gitlab] [--author LOGIN]
       pr-comment.js find-plan-run --artifact NAME          (GitHub)
       pr-comment.js fetch-plan --job NAME --path plan.json --out FILE   (GitLab)`;

async function commentCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const provider = (values.provider as string | undefined) ?? (env.GITLAB_CI === 'true' ? 'gitlab' : 'github');
  if (provider !== 'github' && provider !== 'gitlab') {
    io.stderr(`--provider must be github or gitlab, got "${provider}"`);
    return 2;
  }
  const file = values.file as string | undefined;
  if (!file) {
    io.stderr('comment: give the markdown plan with --file plan.md');
    return 2;
  }
  let markdown: string;
  try {
    markdown = await readFile(file, 'utf8');
  } catch (err) {
    io.stderr(
      `comment: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? 'error'}); did the plan step write it?`,
    );
    return 1;
  }
  const author = values.author as string | undefined;
  const target = provider === 'github' ? await githubCommentTarget(env, author) : gitlabCommentTarget(env, author);
  if ('error' in target) return fail(io, target.error);
  if ('skip' in target) {
    io.stdout(target.skip);
    return 0;
  }
  const { forge } = target;
  const footer = footerLine(target.runUrl, target.sha);
  const r = await upsertPlanComment(
    forge,
    commentBody(markdown, { limit: forge.bodyLimit, ...(footer ? { footer } : {}) }),
  );
  const hint = provider === 'github' ? githubHint : gitlabHint;
  if (!r.ok) return fail(io, describeFailure('comment', r.error, hint(r.error.status)));
  for (const f of r.value.foreign) {
    // Named, not touched: a reviewer who sees two plan comments should know which one is real.
    io.stdout(
      `comment: ${forge.noun} ${f.id} by ${f.author ?? 'an unknown author'} starts with the plan marker but is not ` +
        `this token's; left alone.`,
    );
  }
  io.stdout(`comment: ${r.value.action} the plan ${forge.noun} ${r.value.id} on ${forge.target}.`);
  return 0;
}

async function findPlanRunCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const http = githubHttp(env);
  if (typeof http === 'string') return fail(io, http);
  const artifact = (values.artifact as string | undefined) ?? 'apinizer-gitops-plan';
  const repository = env.GITHUB_REPOSITORY;
  const sha = env.GITHUB_SHA;
  // GITHUB_WORKFLOW_REF: owner/repo/.github/workflows/file.yml@refs/heads/main -> file.yml
  const workflow = (values.workflow as string | undefined) ?? env.GITHUB_WORKFLOW_REF?.split('@')[0]?.split('/').pop();
  if (!repository || !sha || !workflow)
    return fail(
      io,
      'GITHUB_REPOSITORY, GITHUB_SHA and GITHUB_WORKFLOW_REF must be set: run this inside GitHub Actions',
    );
  const r = await findPlanRun(http, repository, sha, workflow, artifact);
  if (!r.ok) return fail(io, describeFailure('find-plan-run', r.error, githubHint(r.error.status)));
  if (r.value === null) {
    io.stdout(
      `find-plan-run: no run of ${workflow} for a merged pull request of ${sha.slice(0, 12)} ` +
        `holds the artifact "${artifact}".`,
    );
    return 0;
  }
  if (env.GITHUB_OUTPUT) await appendFile(env.GITHUB_OUTPUT, `run-id=${r.value.runId}\npull-request=${r.value.pr}\n`);
  io.stdout(`find-plan-run: the plan of pull request #${r.value.pr} is in run ${r.value.runId}.`);
  return 0;
}

async function fetchPlanCommand(values: Record<string, string | boolean | undefined>, io: ScriptIo): Promise<number> {
  const { env } = io;
  const http = gitlabHttp(env);
  if (typeof http === 'string') return fail(io, http);
  const out = values.out as string | undefined;
  if (!out) return fail(io, 'fetch-plan: give the file to write with --out FILE');
  const job = (values.job as string | undefined) ?? 'apinizer-plan';
  const path = (values.path as string | undefined) ?? 'plan.json';
  if (!env.CI_PROJECT_ID || !env.CI_COMMIT_SHA)
    return fail(io, 'CI_PROJECT_ID and CI_COMMIT_SHA must be set: run this inside a GitLab CI job');
  const r = await fetchGitlabPlan(http, env.CI_PROJECT_ID, env.CI_COMMIT_SHA, job, path);
  if (!r.ok) return fail(io, describeFailure('fetch-plan', r.error, gitlabHint(r.error.status)));
  if (r.value === null) {
    io.stdout(
      `fetch-plan: no successful job "${job}" of a merged merge request of ` +
        `${env.CI_COMMIT_SHA.slice(0, 12)} holds ${path}.`,
    );
    return 0;
  }
  await writeFile(out, r.value);
  io.stdout(`fetch-plan: wrote the merge request's plan to ${out}.`);
  return 0;
}

function fail(io: ScriptIo, message: string): number {
  io.stderr(message);
  return 1;
}

/** Runs one command; returns the exit code. Everything printed passes through `redact`. */
export async function main(argv: string[], io: ScriptIo): Promise<number> {
  const tokens = [io.env.GITHUB_TOKEN, io.env.GITLAB_TOKEN].filter(
    (t): t is string => typeof t === 'string' && t !== '',
  );
  const redactor = tokenRedactor(tokens);
  const safe: ScriptIo = {
    env: io.env,
    stdout: (line) => io.stdout(redactor.scrub(line)),
    stderr: (line) => io.stderr(redactor.scrub(line)),
  };
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        file: { type: 'string' },
        provider: { type: 'string' },
        author: { type: 'string' },
        artifact: { type: 'string' },
        workflow: { type: 'string' },
        job: { type: 'string' },
        path: { type: 'string' },
        out: { type: 'string' },
      },
    });
  } catch (err) {
    safe.stderr(`${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const [command] = parsed.positionals;
  try {
    if (command === 'comment') return await commentCommand(parsed.values, safe);
    if (command === 'find-plan-run') return await findPlanRunCommand(parsed.values, safe);
    if (command === 'fetch-plan') return await fetchPlanCommand(parsed.values, safe);
  } catch (err) {
    safe.stderr(`${command ?? ''}: ${(err as Error).message}`);
    return 1;
  }
  safe.stderr(USAGE);
  return 2;
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  const code = await main(process.argv.slice(2), {
    env: process.env,
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
  });
  process.exitCode = code;
}
