/**
 * The HTTP both forge adapters share (global fetch, so the script stays dependency-free): one JSON
 * call with a timeout, failures as values with the server's own message, and Link rel="next" paging.
 */
import type { ForgeFailure, Reply } from './forge.js';

/** Where a forge's REST API is and the headers (authentication included) every call sends. */
export interface ForgeHttp {
  /** Base URL of the REST API, without a trailing slash. */
  api: string;
  headers: Record<string, string>;
}

type Page<T> = { ok: true; value: T; next: string | null } | { ok: false; error: ForgeFailure };

/** The URL of the `rel="next"` page in a Link header (GitHub and GitLab both send one), or null. */
export function nextLink(header: string | null): string | null {
  if (!header) return null;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(part);
    if (m?.[1]) return m[1];
  }
  return null;
}

/** One call; the parsed JSON (or the text when it is not JSON) and the next page's URL. */
export async function call<T>(http: ForgeHttp, method: string, url: string, body?: unknown): Promise<Page<T>> {
  const path = url.startsWith(http.api) ? url.slice(http.api.length) : url;
  const request = `${method} ${path.split('?')[0] ?? path}`;
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { ...http.headers, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    return { ok: false, error: { request, status: null, message: (err as Error).message } };
  }
  const text = await res.text();
  if (!res.ok) {
    let message = text.slice(0, 300);
    try {
      const data = JSON.parse(text) as { message?: unknown; error?: unknown };
      if (typeof data.message === 'string') message = data.message;
      else if (typeof data.error === 'string') message = data.error;
    } catch {
      // not JSON: keep the start of the text
    }
    return { ok: false, error: { request, status: res.status, message } };
  }
  let value: T;
  try {
    value = (text === '' ? null : JSON.parse(text)) as T;
  } catch {
    value = text as T;
  }
  return { ok: true, value, next: nextLink(res.headers.get('link')) };
}

/**
 * Every item of a paginated list, following Link rel="next" to the last page: no page limit, since
 * a comment missed on page 51 would be a comment not found. A server whose next link comes back
 * to a page already read is an error, not an endless loop.
 */
export async function listAll<T>(http: ForgeHttp, url: string): Promise<Reply<T[]>> {
  const items: T[] = [];
  const seen = new Set<string>();
  let next: string | null = url;
  while (next !== null) {
    if (seen.has(next)) {
      return {
        ok: false,
        error: { request: `GET ${url}`, status: 200, message: 'the pages link back to a page already read' },
      };
    }
    seen.add(next);
    const reply: Page<T[]> = await call<T[]>(http, 'GET', next);
    if (!reply.ok) return reply;
    if (!Array.isArray(reply.value))
      return { ok: false, error: { request: `GET ${url}`, status: 200, message: 'expected a list' } };
    items.push(...reply.value);
    next = reply.next;
  }
  return { ok: true, value: items };
}
