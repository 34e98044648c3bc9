import type { RunningEmulator } from '../../src/emulator/index.js';

/** An answer from the emulator: status, headers, parsed JSON body (or undefined) and raw text. */
export interface Reply {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read JSON answers freely
  body: any;
  text: string;
  /** The raw answer bytes (export-file downloads). */
  bytes: Buffer;
}

export interface CallOptions {
  /** Sent as JSON unless a string (sent as is). */
  body?: unknown;
  /** The bearer token; default the emulator's; null sends no Authorization header. */
  token?: string | null;
  headers?: Record<string, string>;
}

/** One HTTP call to the emulator over real HTTP; `path` starts with /apiops or /__emulator. */
export async function call(
  e: RunningEmulator,
  method: string,
  path: string,
  options: CallOptions = {},
): Promise<Reply> {
  const headers: Record<string, string> = {};
  const token = options.token === undefined ? e.token : options.token;
  if (token !== null) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(`${e.url}${path}`, { method, headers: { ...headers, ...options.headers }, body });
  const bytes = Buffer.from(await res.arrayBuffer());
  const text = bytes.toString('utf8');
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, headers: res.headers, body: parsed, text, bytes };
}

/** POST /apiops/auth/token with a form body, as the docs describe. */
export function requestToken(e: RunningEmulator, username: string, password: string): Promise<Reply> {
  const form = new URLSearchParams({
    grant_type: 'client_credentials',
    client_id: username,
    client_secret: password,
  }).toString();
  return call(e, 'POST', '/apiops/auth/token', {
    token: null,
    body: form,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  });
}

/** Polls until check() is true or the deadline passes (then throws). */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  timeoutMs = 5000,
  stepMs = 20,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
