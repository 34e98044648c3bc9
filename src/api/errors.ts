/**
 * Turning a classified failure into an ApiError with a hint: the one sentence that tells the user
 * what to do. Pure; the hints depend on which call failed and how the client authenticates.
 */
import type { Kind } from '../model.js';
import { ApiError } from './types.js';
import { type Failure, isProjectNotFound, projectFromMessage } from './dialect.js';
import type { Method } from './retry.js';

/** Which call failed, for the hint. */
export type CallName = 'list' | 'get' | 'create' | 'update' | 'delete' | 'environments' | 'projects' | 'token' | 'export';

/** What the hint needs to know about the call that failed. */
export interface CallContext {
  call: CallName;
  method: Method;
  /** `METHOD /apiops/path/` as sent. */
  request: string;
  kind?: Kind;
  project?: string;
  name?: string;
  /** How the client authenticates: a fixed token cannot be renewed, a username/password can. */
  auth: 'token' | 'password';
  /** The Manager URL, for network hints. */
  server: string;
  timeoutMs: number;
}

/** What a refused export-file call needs (current generation). */
export const EXPORT_PERMISSION = 'reading key material back needs the SECRETS and EXPORT_IMPORT permissions for the token';

const TLS_CODES = /CERT|SELF_SIGNED|UNABLE_TO_(VERIFY|GET)|ERR_TLS|ERR_SSL|EPROTO/;

function label(ctx: CallContext): string {
  if (ctx.kind && ctx.project !== undefined && ctx.name !== undefined) return `${ctx.kind} ${ctx.project}/${ctx.name}`;
  return ctx.request;
}

function forbiddenHint(failure: Failure, ctx: CallContext): string {
  if (/deploy/i.test(failure.message)) {
    return 'the user needs the role ROLE_DEPLOY_UNDEPLOY_PROXIES: every create, update and delete of a key or keystore deploys it';
  }
  if (ctx.call === 'environments' || ctx.call === 'projects') {
    return `the user may not read ${ctx.project !== undefined ? `project "${ctx.project}"` : 'the projects'}: grant it access to the project`;
  }
  if (ctx.call === 'token') return 'the server refused to issue a token for APINIZER_USERNAME: check that user\'s access to the Management API';
  if (ctx.call === 'export') return EXPORT_PERMISSION;
  return 'the user needs the role ROLE_API_SECURITY for keys and keystores';
}

function notFoundHint(failure: Failure, ctx: CallContext): string {
  const projectLevel = ctx.call === 'list' || ctx.call === 'environments' || isProjectNotFound(failure.message);
  if (ctx.call === 'projects' || ctx.call === 'token') {
    return `the server has no ${ctx.request.replace(/^\w+ /, '')}: is --server (${ctx.server}) the Apinizer Manager URL, without /apiops?`;
  }
  if (projectLevel) {
    const project = projectFromMessage(failure.message) ?? ctx.project ?? '';
    return `project "${project}" does not exist or the user cannot access it: check metadata.project / --project (names are case-sensitive)`;
  }
  return `${label(ctx)} does not exist on the server`;
}

/** The one sentence telling the user what to do about a failure of this call. */
export function hintFor(failure: Failure, ctx: CallContext): string {
  const seconds = Math.round(ctx.timeoutMs / 100) / 10;
  switch (failure.kind) {
    case 'unauthorized':
      if (ctx.call === 'export') return EXPORT_PERMISSION;
      if (ctx.call === 'token') return 'the username or password was refused at /apiops/auth/token: check APINIZER_USERNAME and APINIZER_PASSWORD';
      if (ctx.auth === 'token') return 'the token is invalid, expired or revoked: set a valid APINIZER_TOKEN';
      return 'a token freshly issued for APINIZER_USERNAME was refused: check that user\'s access to the Management API';
    case 'forbidden':
      return forbiddenHint(failure, ctx);
    case 'not-found':
    case 'project-not-found':
      return notFoundHint(failure, ctx);
    case 'already-exists':
      return `${label(ctx)} already exists on the server: update it instead of creating it`;
    case 'bad-request':
      return ctx.call === 'create' || ctx.call === 'update'
        ? `the server refused ${label(ctx)}: fix the manifest as the message says`
        : 'the server refused the request: see the message';
    case 'rate-limited':
      return 'the server kept rate limiting: lower --concurrency or try again later';
    case 'server':
      return `the server failed (HTTP ${failure.status ?? '?'}): try again later, or check the Apinizer Manager's logs`;
    case 'network':
      if (failure.code !== null && TLS_CODES.test(failure.code)) {
        return `the TLS connection to ${ctx.server} failed: for a private CA pass --ca-file with its PEM bundle; check --server`;
      }
      if (failure.code === 'ENOTFOUND') return `the host of ${ctx.server} does not resolve: check --server / network`;
      return `could not reach ${ctx.server}: check --server / network`;
    case 'timeout':
      return `no answer from ${ctx.server} within ${seconds} s: raise --timeout (seconds) or check the server`;
    case 'protocol':
      if (failure.status !== null && failure.status >= 300 && failure.status < 400) {
        return `the server redirected the call: set --server to the address it redirects to (is it https://?)`;
      }
      return `is --server (${ctx.server}) the Apinizer Manager URL, without /apiops?`;
    case 'aborted':
      return 'the run was interrupted';
  }
}

/** The ApiError value of a failure of this call after `attempts` attempts. */
export function toApiError(failure: Failure, ctx: CallContext, attempts: number): ApiError {
  // A missing project is its own kind, so callers never match server text to tell it from a missing object.
  const kind = failure.kind === 'not-found' && isProjectNotFound(failure.message) ? 'project-not-found' : failure.kind;
  return new ApiError(kind, failure.status, failure.code, failure.message, hintFor(failure, ctx), ctx.request, attempts);
}

/** A failure from an exception thrown by the HTTP layer (no answer arrived). */
export function networkFailure(err: unknown): Failure {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown; message?: unknown } };
  const code = typeof e.code === 'string' ? e.code : typeof e.cause?.code === 'string' ? e.cause.code : null;
  const raw = typeof e.message === 'string' && e.message !== '' ? e.message : 'connection failed';
  const cause = typeof e.cause?.message === 'string' && e.cause.message !== raw ? `: ${e.cause.message}` : '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
    return { kind: 'timeout', status: null, code, message: `${raw}${cause}`.slice(0, 300) };
  }
  return { kind: 'network', status: null, code, message: `${code ? `${code}: ` : ''}${raw}${cause}`.slice(0, 300) };
}
