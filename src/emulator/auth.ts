// The emulator's bearer tokens: the static token of the options and the ones POST
// /apiops/auth/token issues, each with its expiry.
import { randomBytes } from 'node:crypto';

/** The outcome of checking a bearer token. */
export type TokenCheck = 'ok' | 'missing' | 'invalid' | 'expired';

/**
 * Tokens issued by POST /apiops/auth/token, with their expiry. The static token from the options is
 * checked by the caller; this book only knows issued ones.
 */
export class TokenBook {
  readonly #expiry = new Map<string, number>();
  readonly #now: () => number;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Issues a new token valid for ttlSeconds. */
  issue(ttlSeconds: number): string {
    const now = this.#now();
    // Forget long-expired tokens now and then so a long run does not grow without bound.
    if (this.#expiry.size > 1000) {
      for (const [token, expires] of this.#expiry) if (expires < now - 86_400_000) this.#expiry.delete(token);
    }
    const token = `emu_${randomBytes(24).toString('base64url')}`;
    this.#expiry.set(token, now + ttlSeconds * 1000);
    return token;
  }

  /** Whether an issued token is known and still valid. */
  check(token: string): 'ok' | 'invalid' | 'expired' {
    const expires = this.#expiry.get(token);
    if (expires === undefined) return 'invalid';
    return this.#now() < expires ? 'ok' : 'expired';
  }

  /** Forgets every issued token: their next use answers 401 invalid_token. */
  revokeAll(): void {
    this.#expiry.clear();
  }
}

/** The token of an `Authorization: Bearer X` header, '' when absent or another scheme. */
export function bearerToken(header: string | undefined): string {
  if (!header) return '';
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  return match?.[1] ?? '';
}
