// One API call with everything around it: the headers and bearer token, the attempt loop with
// exponential backoff (retry.ts) and one token renewal on 401 for exchanged tokens, logging, the
// answer read in either dialect, and every message scrubbed of the secrets seen so far. The client
// (client.ts) builds its routes on `perform`; nothing here knows about resources.
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Pause } from './types.js';
import {
  type AuthSettings,
  type IssuedToken,
  type TokenSource,
  exchangedTokenSource,
  fixedTokenSource,
  readTokenAnswer,
  tokenRequestBody,
} from './auth.js';
import { type Failure, MAX_MESSAGE_CHARS, readAnswer, readList, readNames } from './dialect.js';
import { type CallContext, type CallName, networkFailure, toApiError } from './errors.js';
import {
  type Transport,
  type TransportRequest,
  TransportAborted,
  TransportTimeout,
  TransportTooLarge,
} from './http.js';
import { createRedactor } from './redact.js';
import { type Method, type RetryPolicy, backoffDelay, isRetryable } from './retry.js';
import { isHeaderSafe } from './url.js';
import { ApiError, type AnswerEvent, type Result, type RetryEvent } from './types.js';

/** What the call loop needs, fixed for a client's life. */
export interface CallSettings {
  transport: Transport;
  auth: AuthSettings;
  /** `/apiops` under the server's path. */
  basePath: string;
  /** The server as messages name it (no credentials). */
  server: string;
  timeoutMs: number;
  policy: RetryPolicy;
  clock: Clock;
  random: () => number;
  logger: Logger;
  signal: AbortSignal | undefined;
  onRetry: ((e: RetryEvent) => void) | undefined;
  onAnswer: ((e: AnswerEvent) => void) | undefined;
}

/** One request as the loop sends it. */
export interface Call {
  ctx: CallContext;
  /** Path with placeholders, for logs: `/apiops/projects/{project}/keys/`. */
  template: string;
  path: string;
  body?: string;
  contentType?: string;
  authenticated: boolean;
  /** The answer is a file (export-file), not JSON: a 2xx gives its bytes. */
  raw?: boolean;
  /** Takes a body as it arrives (per attempt, see TransportRequest.sink). */
  sink?: TransportRequest['sink'];
  /** Where a wait before a retry that the server did not ask for goes (ResourceActions.pausing). */
  pause?: Pause;
}

/** The call loop and the helpers every route shares. */
export interface Caller {
  /** One call with its retries, token renewal and logging; the JSON body (or bytes) of the success. */
  perform: (call: Call) => Promise<Result<unknown>>;
  /** The context a call's errors and logs carry. */
  context: (call: CallName, method: Method, path: string, extra?: Partial<CallContext>) => CallContext;
  /** An answer that is not the shape the API documents. */
  shapeError: (ctx: CallContext, expected: string) => ApiError;
  /** GET of a list of names (environments, projects). */
  readNameList: (call: CallName, path: string, template: string, project?: string) => Promise<Result<string[]>>;
  /** Adds a secret (a token, a revealed body value, material read back) to what messages never show. */
  remember: (value: string) => void;
  /** Text with every remembered secret removed. */
  scrub: (text: string) => string;
}

/** Longest text whose scrubbed form is kept for the next time it comes back. */
const SCRUB_MEMO_CHARS = 200;
/** Most scrubbed texts kept at once (a few distinct messages is the usual case). */
const SCRUB_MEMO_ENTRIES = 256;

/** Creates the call loop of one client. */
export function createCaller(settings: CallSettings): Caller {
  const { transport, basePath, server, timeoutMs, policy, clock, random, logger, signal } = settings;
  const authMode = 'token' in settings.auth ? 'token' : 'password';

  // Values that must never reach a message, in any form or fragment a server might echo back
  // (redact.ts); indexed so that scrubbing does not grow with the number of secrets.
  //
  // Indexing a new secret costs about 0.1 ms, and a write remembers its body's secrets just
  // before it is sent: in a round of writes that is on the path of every request behind it. So
  // new secrets wait in a queue that is indexed once the requests are on their way (setImmediate:
  // while the answers travel), and always before any text is scrubbed: nothing is printed that
  // was scrubbed against an incomplete index.
  //
  // The same short server messages come back with every write ("Deployed successfully"): their
  // scrubbed form is kept until the next secret is indexed, which may change it.
  const redactor = createRedactor();
  const waiting: string[] = [];
  const scrubbed = new Map<string, string>();
  const indexWaiting = () => {
    for (const value of waiting) redactor.remember(value);
    waiting.length = 0;
    scrubbed.clear();
  };
  const remember = (value: string) => {
    if (waiting.push(value) === 1) setImmediate(indexWaiting);
  };
  const scrub = (text: string) => {
    if (waiting.length > 0) indexWaiting();
    if (text.length > SCRUB_MEMO_CHARS) return redactor.scrub(text);
    let clean = scrubbed.get(text);
    if (clean === undefined) {
      clean = redactor.scrub(text);
      if (scrubbed.size >= SCRUB_MEMO_ENTRIES) scrubbed.clear();
      scrubbed.set(text, clean);
    }
    return clean;
  };

  let tokens: TokenSource;
  /** The token last sent, already remembered: not queued again with every request. */
  let rememberedToken: string | undefined;
  if ('token' in settings.auth) {
    remember(settings.auth.token);
    tokens = fixedTokenSource(settings.auth.token);
  } else {
    const { username, password } = settings.auth;
    remember(password);
    tokens = exchangedTokenSource(() => issueToken(username, password), clock);
  }

  function context(call: CallName, method: Method, path: string, extra: Partial<CallContext> = {}): CallContext {
    return {
      call,
      method,
      request: `${method} ${path}`,
      auth: authMode,
      server,
      timeoutMs,
      maxRetryAfterMs: policy.maxRetryAfterMs,
      ...extra,
    };
  }

  function abortedError(ctx: CallContext, attempts: number): ApiError {
    return toApiError(
      { kind: 'aborted', status: null, code: null, message: 'interrupted before the call finished' },
      ctx,
      attempts,
    );
  }

  /** One call with its retries, token renewal and logging; the JSON body of the success. */
  async function perform(call: Call): Promise<Result<unknown>> {
    const { ctx } = call;
    let attempt = 1; // attempt number for transient failures (renewal resends do not count)
    let sent = 0;
    let renewed = false;
    for (;;) {
      if (signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
      const headers: Record<string, string> = {
        accept: call.raw ? '*/*' : 'application/json',
        'user-agent': 'apinizer-gitops',
      };
      if (call.contentType !== undefined) headers['content-type'] = call.contentType;
      let used: string | undefined;
      if (call.authenticated) {
        const t = await tokens.token();
        if (!t.ok) return t;
        used = t.value;
        if (used !== rememberedToken) {
          remember(used);
          rememberedToken = used;
        }
        headers.authorization = `Bearer ${used}`;
      }
      sent++;
      const started = performance.now();
      let failure: Failure;
      try {
        const answer = await transport.send({
          method: ctx.method,
          path: call.path,
          headers,
          ...(call.body !== undefined ? { body: call.body } : {}),
          ...(call.raw ? { raw: true } : {}),
          ...(call.sink ? { sink: call.sink } : {}),
        });
        logger.debug(
          {
            method: ctx.method,
            path: call.template,
            status: answer.status,
            ms: Math.round(performance.now() - started),
            attempt: sent,
          },
          'api request',
        );
        settings.onAnswer?.({ request: ctx.request, status: answer.status });
        if (call.raw && answer.status >= 200 && answer.status < 300) {
          return { ok: true, value: answer.bytes ?? Buffer.from(answer.text, 'utf8') };
        }
        const reading = readAnswer(answer, clock.now(), scrub);
        if (reading.ok) return { ok: true, value: reading.value };
        failure = reading.error;
      } catch (err) {
        logger.debug(
          {
            method: ctx.method,
            path: call.template,
            status: null,
            ms: Math.round(performance.now() - started),
            attempt: sent,
          },
          'api request failed',
        );
        settings.onAnswer?.({ request: ctx.request, status: null });
        if (err instanceof TransportAborted || signal?.aborted) return { ok: false, error: abortedError(ctx, sent) };
        failure =
          err instanceof TransportTimeout
            ? { kind: 'timeout', status: null, code: null, message: err.message }
            : err instanceof TransportTooLarge
              ? { kind: 'protocol', status: null, code: err.code, message: err.message } // permanent: never retried
              : networkFailure(err);
      }
      // Network error texts come from Node, not the server; scrubbed all the same.
      failure = { ...failure, message: scrub(failure.message).slice(0, MAX_MESSAGE_CHARS) };

      if (failure.kind === 'unauthorized' && used !== undefined && tokens.renewable && !renewed) {
        // A token issued for username/password may have expired or been revoked: one fresh try.
        renewed = true;
        tokens.invalidate(used);
        logger.info({ request: ctx.request }, 'token refused; fetching a new one');
        continue;
      }
      if (attempt < policy.attempts && isRetryable(ctx.method, failure)) {
        if (failure.retryAfterMs !== undefined && failure.retryAfterMs > policy.maxRetryAfterMs) {
          return { ok: false, error: toApiError(failure, ctx, sent) }; // the hint says how long it asked for
        }
        const delayMs = backoffDelay(attempt, policy, random, failure.retryAfterMs);
        const event: RetryEvent = {
          request: ctx.request,
          attempt,
          status: failure.status,
          reason: failure.kind,
          delayMs,
        };
        logger.warn(event, 'retrying after a transient failure');
        settings.onRetry?.(event);
        try {
          const wait = () => clock.sleep(delayMs, signal);
          // A fault of this request lends the caller's slot while it waits; "slow down" (a 429, a
          // Retry-After) keeps it (ResourceActions.pausing).
          const slowDown = failure.kind === 'rate-limited' || failure.retryAfterMs !== undefined;
          await (call.pause !== undefined && !slowDown ? call.pause(wait) : wait());
        } catch {
          return { ok: false, error: abortedError(ctx, sent) };
        }
        attempt++;
        continue;
      }
      return { ok: false, error: toApiError(failure, ctx, sent) };
    }
  }

  async function issueToken(username: string, password: string): Promise<Result<IssuedToken>> {
    const path = `${basePath}/auth/token`;
    const ctx = context('token', 'POST', path);
    const result = await perform({
      ctx,
      template: path,
      path,
      body: tokenRequestBody(username, password),
      contentType: 'application/x-www-form-urlencoded',
      authenticated: false,
    });
    if (!result.ok) {
      // Whichever call needed the token reports this error: its message says it was the token request.
      const e = result.error;
      const message = `the token request (${ctx.request}) failed: ${e.message}`;
      return { ok: false, error: new ApiError(e.kind, e.status, e.code, message, e.hint, e.request, e.attempts) };
    }
    const issued = readTokenAnswer(result.value);
    // A 200 whose token cannot be used: a protocol error of the token request.
    const unusable = (why: string): Result<IssuedToken> => {
      const failure: Failure = {
        kind: 'protocol',
        status: 200,
        code: null,
        message: `the token request failed: ${why}`,
      };
      return { ok: false, error: toApiError(failure, ctx, 1) };
    };
    if (!issued) return unusable('its answer has no access_token');
    if (!isHeaderSafe(issued.token)) return unusable('its access_token has characters an HTTP header cannot carry');
    remember(issued.token);
    return { ok: true, value: issued };
  }

  function shapeError(ctx: CallContext, expected: string): ApiError {
    return toApiError(
      { kind: 'protocol', status: 200, code: null, message: `unexpected answer: expected ${expected}` },
      ctx,
      1,
    );
  }

  /** GET of a list of names (environments, projects). */
  async function readNameList(
    call: CallName,
    path: string,
    template: string,
    project?: string,
  ): Promise<Result<string[]>> {
    const ctx = context(call, 'GET', path, project !== undefined ? { project } : {});
    const r = await perform({ ctx, template, path, authenticated: true });
    if (!r.ok) return r;
    const items = readList(r.value);
    if (items === undefined) return { ok: false, error: shapeError(ctx, `a list of ${call}`) };
    return { ok: true, value: readNames(items) };
  }

  return { perform, context, shapeError, readNameList, remember, scrub };
}
