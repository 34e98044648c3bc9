/**
 * Reading Apinizer's answers, in both dialects seen in the wild (docs/apinizer-api.md):
 *
 *   documented:  {"success": true, "resultList": [...]}     {"error": CODE, "error_description": TEXT}
 *   second:      {"status": "SUCCESS", "resultList": [...]}  {"status": "FAILURE", "resultMessage": TEXT}
 *
 * Everything here is pure: an HTTP answer (status, headers, text) in, values out. The client does
 * the I/O and turns a `Failure` into an `ApiError` with a hint (errors.ts).
 */
import type { ApiErrorKind, EnvironmentDeployment } from './types.js';
import { maskUrlCredentials } from './redact.js';
import { parseRetryAfterBody, parseRetryAfterHeader } from './retry.js';
import { isRecord } from '../text.js';
import type { Result } from '../result.js';

/** What came back from one HTTP exchange, before interpretation. */
export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body's bytes, for answers that are files rather than JSON (export-file). */
  bytes?: Buffer;
  /**
   * Set when the body's list was read element by element as it arrived (list-stream.ts): `text`
   * is then the rest of the document, the list emptied; `chars` is the whole body's length and
   * `notJson` says the whole was not JSON.
   */
  streamed?: { chars: number; notJson: boolean };
}

/** A failed answer, classified: the fields of an ApiError except the hint and the request. */
export interface Failure {
  kind: ApiErrorKind;
  status: number | null;
  code: string | null;
  message: string;
  /** How long the server asked us to wait before trying again (Retry-After / retry_after). */
  retryAfterMs?: number;
  /** Where a redirect pointed (scrubbed, shortened), for the hint. */
  location?: string;
}

/** An answer read: the JSON body of a success, or a classified failure. */
export type Reading = Result<unknown, Failure>;

/** Longest server text we keep in a message: enough to act on, short enough for one log line. */
export const MAX_MESSAGE_CHARS = 400;

const ALREADY_EXISTS = /already exist/i;
const NOT_FOUND = /not found|does not exist|not exist/i;
const ALREADY_EXISTS_CODES = new Set(['duplicate_name', 'conflict', 'already_exists']);
const NOT_FOUND_CODES = new Set(['not_found', 'resource_not_found']);

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.trim() !== '' ? v : undefined;
}

/**
 * Shortens server text for a message: long base64-looking runs (key material a server might echo
 * back) are replaced, control characters flattened, and the whole capped.
 */
export function excerpt(text: string, max = MAX_MESSAGE_CHARS): string {
  if (text.length <= max && isPlainShort(text)) return text;
  const flat = text
    .replace(/[A-Za-z0-9+/]{40,}={0,2}/g, '(sensitive value)')
    .replace(/\s+/g, ' ')
    .trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/**
 * True when `excerpt` would return `text` as it is: shorter than a base64 run it replaces, no
 * whitespace but single spaces between words. Most server messages ("Deployed successfully") are.
 */
function isPlainShort(text: string): boolean {
  if (text.length >= 40 || text.length === 0) return false;
  let space = true; // a leading space is trimmed, so it is not plain
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c === 32) {
      if (space) return false;
      space = true;
    } else if (c < 32 || c > 126)
      return false; // other whitespace, control or non-ASCII: the full path
    else space = false;
  }
  return !space;
}

/** The body as JSON, `null` for an empty body, or undefined when it is not JSON at all. */
export function parseJson(text: string): unknown {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** True when a body says it failed although the HTTP status may be 200: `success:false`, `status:"FAILURE"`. */
export function bodySaysFailure(body: unknown): boolean {
  if (!isRecord(body)) return false;
  if (body.success === false || (typeof body.success === 'string' && /^false$/i.test(body.success.trim()))) return true;
  const status = body.status;
  return typeof status === 'string' && /^(FAIL|FAILURE|FAILED|ERROR)$/i.test(status.trim());
}

/** The server's error code (`bad_request`, `invalid_token`, ...), when it sent one. */
export function serverCode(body: unknown): string | null {
  if (!isRecord(body)) return null;
  return str(body.error) ?? str(body.code) ?? str(body.errorCode) ?? null;
}

/** The server's human message, from whichever field this installation uses; '' when none. */
export function serverMessage(body: unknown): string {
  if (!isRecord(body)) return '';
  let text =
    str(body.error_description) ??
    str(body.resultMessage) ??
    str(body.message) ??
    str(body.errorMessage) ??
    str(body.detail) ??
    (isRecord(body.error) ? (str(body.error.message) ?? str(body.error.description)) : undefined) ??
    '';
  const validation = body.validation_errors ?? body.validationErrors ?? body.errors;
  if (Array.isArray(validation)) {
    const parts = validation
      .map((v) => {
        if (typeof v === 'string') return v;
        if (!isRecord(v)) return '';
        const field = str(v.field);
        const message = str(v.message) ?? str(v.defaultMessage) ?? '';
        return field ? `${field}: ${message}` : message;
      })
      .filter((p) => p !== '');
    if (parts.length > 0) text = text ? `${text} (${parts.join('; ')})` : parts.join('; ');
  }
  // No message, but a code: the code is better than nothing ("bad_request").
  if (!text) text = str(body.error) ?? '';
  return text;
}

/**
 * The kind of a failed answer from its status, code and message. "Already exist" and "not found"
 * are recognised in both dialects: the second one reports a missing object as a 400 with a
 * message, and some servers answer a failure with HTTP 200 and `status: "FAILURE"`.
 */
export function classify(status: number, code: string | null, message: string): ApiErrorKind {
  const c = code?.toLowerCase() ?? '';
  const alreadyExists = ALREADY_EXISTS.test(message) || ALREADY_EXISTS_CODES.has(c);
  if (status === 401) return 'unauthorized';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate-limited';
  if (status >= 500) return 'server';
  if (status === 404) return alreadyExists ? 'already-exists' : 'not-found';
  if (status === 409) return alreadyExists || c === '' ? 'already-exists' : 'bad-request';
  // 400, other 4xx, and a 2xx whose body says it failed.
  if (alreadyExists) return 'already-exists';
  if (NOT_FOUND_CODES.has(c) || NOT_FOUND.test(message)) return 'not-found';
  if (status >= 200 && status < 300) {
    if (c === 'unauthorized_client' || c === 'invalid_token' || c === 'token_expired') return 'unauthorized';
    if (c === 'forbidden' || c === 'access_denied') return 'forbidden';
    if (c === 'rate_limit_exceeded') return 'rate-limited';
  }
  return 'bad-request';
}

function header(answer: HttpAnswer, name: string): string | undefined {
  const v = answer.headers[name] ?? answer.headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * Interprets one HTTP answer: a success's JSON body, or a classified failure. A body that is not
 * JSON is a `protocol` failure (a proxy's HTML page, a wrong --server path), except on 401, 403,
 * 429 and 5xx, whose meaning does not depend on the body, so that a gateway's HTML 502 is still
 * retried. Only error bodies are quoted, shortened; a success body may carry key material.
 * `scrub` removes known secrets (token, password) from server text before it is shortened, so a
 * cut can never leave half a secret behind.
 */
export function readAnswer(answer: HttpAnswer, nowMs: number, scrub: (text: string) => string = (t) => t): Reading {
  const { status } = answer;
  const body = answer.streamed?.notJson ? undefined : parseJson(answer.text);
  // Only a failure carries a wait; a success does not read the headers at all.
  const fail = (kind: ApiErrorKind, code: string | null, message: string): Reading => {
    const retryAfterMs = parseRetryAfterHeader(header(answer, 'retry-after'), nowMs) ?? parseRetryAfterBody(body);
    return {
      ok: false,
      error:
        retryAfterMs !== undefined ? { kind, status, code, message, retryAfterMs } : { kind, status, code, message },
    };
  };

  if (status >= 300 && status < 400) {
    const raw = header(answer, 'location');
    const location = raw ? excerpt(maskUrlCredentials(scrub(raw)), 200) : undefined;
    const failed = fail('protocol', null, `HTTP ${status} redirect${location ? ` to ${location}` : ''}`);
    if (!failed.ok && location) failed.error.location = location;
    return failed;
  }
  const ok = status >= 200 && status < 300;
  if (body === undefined) {
    const type = header(answer, 'content-type') ?? 'no content-type';
    if (ok)
      return fail(
        'protocol',
        null,
        `HTTP ${status} answer is not JSON (${excerpt(type, 80)}, ${answer.streamed?.chars ?? answer.text.length} characters)`,
      );
    const kind = classify(status, null, '');
    const quoted = excerpt(scrub(answer.text), 200);
    const message = `HTTP ${status} answer is not JSON${quoted ? `: ${quoted}` : ''}`;
    if (kind === 'unauthorized' || kind === 'forbidden' || kind === 'rate-limited' || kind === 'server')
      return fail(kind, null, message);
    return fail('protocol', null, message);
  }
  if (ok && !bodySaysFailure(body)) return { ok: true, value: body };
  if (ok && hasDeploymentDetail(body)) {
    // Saved but not deployed everywhere: the deployment entries say where; the caller reports it.
    return { ok: true, value: body };
  }
  const code = serverCode(body);
  const message = excerpt(scrub(serverMessage(body))) || `HTTP ${status}${ok ? ' answer says the call failed' : ''}`;
  return fail(classify(status, code, message), code, message);
}

/** The fields a list answer may carry its items in, in the order they are looked for. */
export const LIST_FIELDS = ['resultList', 'result', 'data', 'content', 'items'] as const;

/**
 * The items of a list answer: `resultList`, a `result` or `data` array, or a bare array. A success
 * without any list field (`{"success": true}`, `resultList: null`) is an empty list. Undefined when
 * the body has some other shape.
 */
export function readList(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body as unknown[];
  if (!isRecord(body)) return undefined;
  for (const field of LIST_FIELDS) {
    const v = body[field];
    if (Array.isArray(v)) return v as unknown[];
  }
  const anyListField = ['resultList', 'result', 'data'].some((f) => f in body && body[f] !== null);
  if (!anyListField && (body.success === true || (typeof body.status === 'string' && /^SUCCESS$/i.test(body.status))))
    return [];
  return undefined;
}

/**
 * The object of a single GET: the docs answer "in the list format, but with a single key"
 * (`resultList: [obj]`); `result: obj` and the bare object are accepted too. An empty list is
 * null (no such object). Undefined when the shape is unknown.
 */
export function readSingle(body: unknown, name: string): unknown {
  if (isRecord(body) && isRecord(body.result)) return body.result;
  if (isRecord(body) && isRecord(body.data)) return body.data;
  const list = readList(body);
  if (list !== undefined && (Array.isArray(body) || !('name' in (body as object)))) {
    if (list.length === 0) return null;
    const exact = list.find((item) => isRecord(item) && item.name === name);
    if (exact !== undefined) return exact;
    return list.length === 1 ? list[0] : null;
  }
  if (isRecord(body) && typeof body.name === 'string') return body;
  return undefined;
}

/** Names from a list of `{name}` objects (projects, environments) or plain strings; junk skipped. */
export function readNames(items: unknown[]): string[] {
  const names: string[] = [];
  for (const item of items) {
    if (typeof item === 'string' && item !== '') names.push(item);
    else if (isRecord(item)) {
      const name = str(item.name) ?? str(item.environmentName) ?? str(item.projectName);
      if (name !== undefined) names.push(name);
    }
  }
  return names;
}

/**
 * A yes/no field as servers write it: a boolean, the strings "true"/"false", or a status word
 * (`SUCCESS`, `FAILURE`, ...). Undefined when absent or unreadable, so the caller decides.
 */
function verdict(v: unknown): boolean | undefined {
  if (typeof v === 'boolean') return v;
  if (typeof v !== 'string') return undefined;
  const t = v.trim();
  if (/^(true|SUCCESS|SUCCEEDED|OK|DEPLOYED|PUBLISHED)$/i.test(t)) return true;
  if (/^(false|FAIL|FAILURE|FAILED|ERROR)$/i.test(t)) return false;
  return undefined;
}

/** What a record says about itself: `success`, else `status`; undefined when it says neither. */
function recordVerdict(r: Record<string, unknown>): boolean | undefined {
  return verdict(r.success) ?? verdict(r.status);
}

/** The lists of per-environment (or per-pod) entries the three deployment shapes use. */
const ENTRY_LISTS = ['environmentResults', 'environmentResultList', 'detailList'] as const;

/** The nested results of a result: its entry lists, and the OpenAPI `firstFromApiResultList`. */
function childEntries(r: Record<string, unknown>): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const field of ENTRY_LISTS) {
    const entries = r[field];
    if (Array.isArray(entries)) for (const e of entries) if (isRecord(e)) out.push(e);
  }
  if (isRecord(r.firstFromApiResultList)) out.push(r.firstFromApiResultList);
  return out;
}

/** True when a write's answer carries per-environment deployment facts in any documented shape. */
export function hasDeploymentDetail(body: unknown): boolean {
  if (!isRecord(body)) return false;
  const result = body.deploymentResult ?? body.deployResult;
  if (isRecord(result)) return true;
  // Non-empty lists only: a failure that carries an empty `detailList` says nothing about deploying.
  return str(body.envName) !== undefined || ENTRY_LISTS.some((f) => Array.isArray(body[f]) && body[f].length > 0);
}

/**
 * The per-environment results of a write, from every shape Apinizer documents (SPEC §5):
 *
 *   prose:    {deploymentResult: {success, message, environmentResults: [{environmentName, success, message}]}}
 *   OpenAPI:  {envName, podName, success, detail, detailList: [{envName, podName, success, detail}]},
 *             at the top level or under deploymentResult (an entry per pod: one failed pod fails its environment)
 *   summary:  {success: false, message} / {status: "FAILURE", resultMessage} with no entries at all
 *
 * `success` may be a boolean, a string, or a status word; an entry that says nothing takes the
 * verdict of the result holding it. An environment that failed anywhere is reported failed, once,
 * with every message about it. When something failed without naming an environment, the
 * environments of `written` that its message names are reported (whole words), or else one entry
 * named `*`, so a failure is never lost.
 */
export function readDeployment(
  body: unknown,
  scrub: (text: string) => string = (t) => t,
  written: readonly string[] = [],
): EnvironmentDeployment[] {
  if (!isRecord(body)) return [];
  const result = body.deploymentResult ?? body.deployResult;
  const holders = isRecord(result) ? [result, body] : [body];
  const byEnv = new Map<string, { success: boolean; messages: string[] }>();
  const note = (environment: string, success: boolean, message: string) => {
    const known = byEnv.get(environment);
    if (!known) {
      byEnv.set(environment, { success, messages: message ? [message] : [] });
      return;
    }
    if (!success && known.success) {
      // A failure outweighs earlier successes (another pod, another shape): keep only failure text.
      known.success = false;
      known.messages = [];
    }
    if (success === known.success && message && !known.messages.includes(message)) known.messages.push(message);
  };
  const entryMessage = (e: Record<string, unknown>): string => {
    const text = excerpt(scrub(serverMessage(e)));
    const pod = str(e.podName);
    return pod !== undefined && text !== '' ? `${excerpt(scrub(pod), 80)}: ${text}` : text;
  };
  let somethingFailed = false;
  let generalMessage = '';
  for (const holder of holders) {
    const holderVerdict = recordVerdict(holder);
    if (holderVerdict === false) {
      somethingFailed = true;
      if (!generalMessage) generalMessage = excerpt(scrub(serverMessage(holder)));
    }
    // The OpenAPI DeploymentResult nests itself (detailList items and firstFromApiResultList are
    // DeploymentResults: an environment's pods under it); an entry without a name takes its parent's.
    const walk = (e: Record<string, unknown>, parentEnv: string | undefined, parentVerdict: boolean, depth: number) => {
      const environment = str(e.environmentName) ?? str(e.envName) ?? str(e.environment) ?? str(e.name) ?? parentEnv;
      const success = recordVerdict(e) ?? parentVerdict;
      if (!success) somethingFailed = true;
      if (environment === undefined) {
        if (!success && !generalMessage) generalMessage = entryMessage(e);
      } else {
        note(environment, success, entryMessage(e));
      }
      if (depth >= 4) return; // deeper nesting is not a deployment answer any more
      for (const child of childEntries(e)) walk(child, environment, success, depth + 1);
    };
    for (const e of childEntries(holder)) walk(e, undefined, holderVerdict ?? true, 1);
    // The OpenAPI DeploymentResult names one environment itself (envName, success, detail).
    const own = str(holder.envName);
    if (own !== undefined && holderVerdict !== undefined) note(own, holderVerdict, entryMessage(holder));
  }
  const out: EnvironmentDeployment[] = [...byEnv].map(([environment, r]) => ({
    environment,
    success: r.success,
    message: r.messages.join('; '),
  }));
  if (somethingFailed && !out.some((d) => !d.success)) {
    const message = generalMessage || 'deployment failed';
    const named = environmentsNamedIn(message, written);
    if (named.length === 0) out.push({ environment: '*', success: false, message });
    for (const environment of named) {
      const i = out.findIndex((d) => d.environment === environment);
      if (i >= 0) out.splice(i, 1);
      out.push({ environment, success: false, message });
    }
  }
  return out;
}

/**
 * The environments of `candidates` that `message` names as whole words ("Deployment to environment
 * staging failed"), longest first so that `prod` is not found inside `prod-eu`'s mention twice.
 */
export function environmentsNamedIn(message: string, candidates: readonly string[]): string[] {
  const found: string[] = [];
  let rest = message;
  for (const name of [...new Set(candidates)].sort((a, b) => b.length - a.length)) {
    if (name === '') continue;
    const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    const word = new RegExp(`(^|[^A-Za-z0-9_.-])${escaped}(?=$|[^A-Za-z0-9_.-]|\\.(?:$|\\s))`);
    if (word.test(rest)) {
      found.push(name);
      rest = rest.replace(new RegExp(word.source, 'g'), '$1');
    }
  }
  return candidates.filter((c) => found.includes(c));
}

/**
 * A write answered 2xx whose body only says that the deployment failed (the third shape: a
 * top-level `success: false` / `status: FAILURE` with a message about deploying). The object was
 * saved; the deployment was not. Undefined when the message is not about a deployment, so that a
 * refused write (a validation message at HTTP 200) stays a failure.
 */
export function deploymentFromFailure(
  failure: Pick<Failure, 'kind' | 'status' | 'message'>,
  written: readonly string[],
): EnvironmentDeployment[] | undefined {
  if (failure.status === null || failure.status < 200 || failure.status >= 300) return undefined;
  // "not found" too: "Deployment failed: gateway pod not found" is about the gateway, not the object.
  if (failure.kind !== 'bad-request' && failure.kind !== 'not-found') return undefined;
  if (!/deploy|publish/i.test(failure.message)) return undefined;
  const named = environmentsNamedIn(failure.message, written);
  const environments = named.length > 0 ? named : ['*'];
  return environments.map((environment) => ({ environment, success: false, message: failure.message }));
}

/**
 * The project named by the second dialect's unknown-project answer,
 * `Project not found for name: (X) or user has not privilege to access it!`.
 */
export function projectFromMessage(message: string): string | undefined {
  const m =
    /project\s+(?:not found|does not exist)[^(]*\(([^)]*)\)/i.exec(message) ??
    // The current generation: `Project (X) is not found or user does not have privilege to access it!`
    /project\s*\(([^)]*)\)\s*(?:is\s+)?(?:not found|does not exist)/i.exec(message);
  return m?.[1];
}

/**
 * True when a not-found message is about the project rather than the object: "Project not found
 * for name: (X)", "Project X does not exist"; not "Key (name: k) was not found in project (P)!",
 * where the project is only the place, nor a name that happens to contain "project".
 */
export function isProjectNotFound(message: string): boolean {
  return (
    (/\bproject\b[^!.()]*?(?:not found|does not exist|not exist)/i.test(message) ||
      // The current generation: `Project (X) is not found or user does not have privilege to access it!`
      /^\W*project\s*\([^)]*\)\s*(?:is\s+)?(?:not found|does not exist)/i.test(message)) &&
    !ALREADY_EXISTS.test(message)
  );
}
