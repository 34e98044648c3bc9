// The Manager URL rules, apart from the HTTP client so that commands that only need them (validate
// resolving its defaults) do not load undici and the rest of the client at start-up.
import { UsageError } from '../cli/command.js';

/** True for hosts whose traffic never leaves the machine: plain http is fine there. */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1') return true;
  const v4 = h.startsWith('::ffff:') ? h.slice(7) : h;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(v4);
}

/** The Manager URL parsed, with the `/apiops` base path it serves the API under. */
export function apiBase(server: string): { url: URL; origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    throw new UsageError(`the server URL "${server}" is not a valid URL: give the Manager's address, e.g. https://apinizer.example.com`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the server URL "${server}" must start with https:// (or http:// for a local server)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError('the server URL must not carry a user name or password: use APINIZER_TOKEN or APINIZER_USERNAME/APINIZER_PASSWORD');
  }
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/apiops$/i, '');
  return { url, origin: url.origin, basePath: `${prefix}/apiops` };
}

