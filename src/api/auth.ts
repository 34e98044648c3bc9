/**
 * Where the bearer token comes from: a fixed token (APINIZER_TOKEN / APINIZER_TOKEN_FILE), or a
 * username and password exchanged at `POST /apiops/auth/token`. The exchange is lazy (first call)
 * and single-flight (16 calls starting at once make one token request), and a token the server
 * refuses is forgotten so the next call fetches a fresh one.
 */
import type { Clock } from '../clock.js';
import type { ApiError, Result } from './types.js';
import { isRecord } from '../text.js';

/** How the client authenticates (SPEC §3): never from a flag or a config file. */
export type AuthSettings = { token: string } | { username: string; password: string };

/** A token as issued by the exchange. */
export interface IssuedToken {
  token: string;
  /** Lifetime the server announced (`expires_in`), when it did. */
  expiresInMs?: number;
}

export interface TokenSource {
  /** True when a refused token can be replaced by a new one (username/password). */
  readonly renewable: boolean;
  /** The token to send, fetching one first when needed. */
  token(): Promise<Result<string>>;
  /** Forgets `stale` (the token the server just refused) so the next `token()` fetches anew. */
  invalidate(stale: string): void;
}

/** A fixed token: nothing to fetch, nothing to renew. */
export function fixedTokenSource(token: string): TokenSource {
  const result: Result<string> = { ok: true, value: token };
  return { renewable: false, token: () => Promise.resolve(result), invalidate: () => undefined };
}

/**
 * Tokens from an exchange function, cached until refused or (when the server said how long they
 * live) until shortly before they expire. Refused credentials are remembered, so a hundred calls
 * do not try a wrong password a hundred times.
 */
export function exchangedTokenSource(exchange: () => Promise<Result<IssuedToken>>, clock: Clock): TokenSource {
  let current: { value: string; staleAt: number } | undefined;
  let pending: Promise<Result<string>> | undefined;
  let refused: ApiError | undefined;

  function fetchToken(): Promise<Result<string>> {
    pending ??= exchange()
      .then((result): Result<string> => {
        if (!result.ok) {
          if (result.error.kind === 'unauthorized' || result.error.kind === 'forbidden') refused = result.error;
          return result;
        }
        const ttl = result.value.expiresInMs;
        // Renew a little early so a call does not set out with a token about to lapse.
        const margin = ttl !== undefined ? Math.min(30_000, ttl / 10) : 0;
        current = { value: result.value.token, staleAt: ttl !== undefined ? clock.now() + ttl - margin : Infinity };
        return { ok: true, value: current.value };
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  }

  return {
    renewable: true,
    token() {
      if (refused) return Promise.resolve({ ok: false, error: refused });
      if (current && clock.now() < current.staleAt) return Promise.resolve({ ok: true, value: current.value });
      return fetchToken();
    },
    invalidate(stale) {
      if (current?.value === stale) current = undefined;
    },
  };
}

/**
 * The token of a `/apiops/auth/token` answer: `access_token` as documented (`accessToken`,
 * `token`, or the same inside `result`/`data` accepted), with `expires_in` seconds when given.
 */
export function readTokenAnswer(body: unknown): IssuedToken | undefined {
  if (!isRecord(body)) return undefined;
  for (const holder of [body, body.result, body.data]) {
    if (!isRecord(holder)) continue;
    const token = holder.access_token ?? holder.accessToken ?? holder.token;
    if (typeof token !== 'string' || token.trim() === '') continue;
    const raw = holder.expires_in ?? holder.expiresIn;
    const seconds = typeof raw === 'number' ? raw : typeof raw === 'string' ? Number(raw) : NaN;
    return Number.isFinite(seconds) && seconds > 0
      ? { token: token.trim(), expiresInMs: seconds * 1000 }
      : { token: token.trim() };
  }
  return undefined;
}

/** The form body of the token exchange (docs/apinizer-api.md: client credentials grant). */
export function tokenRequestBody(username: string, password: string): string {
  return new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: username,
    client_secret: password,
  }).toString();
}
