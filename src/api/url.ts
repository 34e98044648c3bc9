// The Manager URL rules, apart from the HTTP client so that commands that only need them (validate
// resolving its defaults) do not load the HTTP client at start-up.
import { UsageError } from '../errors.js';
import { printable, quoteValue } from '../diagnostics.js';
import { maskUrlCredentials } from './redact.js';

/**
 * True when `value` can travel in an HTTP header as a token: printable ASCII only. A line break
 * inside it would be refused by the HTTP client as a malformed request, which looked like a
 * network problem; a non-ASCII character would be mangled on the way.
 */
export function isHeaderSafe(value: string): boolean {
  return /^[\x20-\x7e]+$/.test(value);
}

/** Where the first character a header cannot carry is, as "a line break at character 41", for messages. */
export function describeUnsafeCharacter(value: string): string {
  const i = value.search(/[^\x20-\x7e]/);
  if (i < 0) return 'none';
  const c = value.charCodeAt(i);
  const what =
    c === 10 || c === 13
      ? 'a line break'
      : c < 32 || c === 127
        ? `a control character (U+${c.toString(16).padStart(4, '0').toUpperCase()})`
        : 'a non-ASCII character';
  return `${what} at character ${i + 1} of ${value.length}`;
}

/** The server URL as messages may quote it: user name and password masked, control characters escaped, long values cut. */
function shownUrl(server: string): string {
  return printable(quoteValue(maskUrlCredentials(server), 120));
}

/**
 * True for hosts whose traffic never leaves the machine: plain http is fine there. Every spelling
 * counts: `localhost` and its subdomains with or without the root's trailing dot (`localhost.`),
 * 127.0.0.0/8, `::1`, and IPv4-mapped loopback (`::ffff:127.0.0.1`, which URL parsing writes as
 * `::ffff:7f00:1`).
 */
export function isLoopbackHost(hostname: string): boolean {
  const h = hostname
    .replace(/^\[|\]$/g, '')
    .toLowerCase()
    .replace(/\.$/, '');
  if (h === 'localhost' || h.endsWith('.localhost') || h === '::1' || h === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0{1,4}:){0,5}:?ffff:(.+)$/.exec(h.startsWith('::') ? h.slice(1) : h)?.[1];
  if (mapped !== undefined) {
    // The hex form: the first 16 bits of the IPv4 address are 0x7fXX for 127.X.
    if (/^7f[0-9a-f]{2}:[0-9a-f]{1,4}$/.test(mapped)) return true;
    return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(mapped);
  }
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The Manager URL parsed, with the `/apiops` base path it serves the API under. */
export function apiBase(server: string): { url: URL; origin: string; basePath: string } {
  let url: URL;
  try {
    url = new URL(server);
  } catch {
    // Never echo credentials: a URL that does not parse (a port typo) may still carry them.
    throw new UsageError(
      `the server URL ${shownUrl(server)} is not a valid URL: give the Manager's address, e.g. https://apinizer.example.com`,
    );
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`the server URL ${shownUrl(server)} must start with https:// (or http:// for a local server)`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(
      'the server URL must not carry a user name or password: use APINIZER_TOKEN or APINIZER_USERNAME/APINIZER_PASSWORD',
    );
  }
  const prefix = url.pathname.replace(/\/+$/, '').replace(/\/apiops$/i, '');
  return { url, origin: url.origin, basePath: `${prefix}/apiops` };
}

/**
 * True when a project or name would be a dot-segment (`.` or `..`) in a URL path, also once a
 * proxy has URL-decoded it (`%2e`, `%252e%252e`): such a segment is resolved away by a normalising
 * proxy, and the call goes to another path.
 */
export function isDotSegment(value: string): boolean {
  let v = value;
  for (let i = 0; i < 4; i += 1) {
    if (v === '.' || v === '..') return true;
    const decoded = v.replace(/%25/gi, '%').replace(/%2e/gi, '.');
    if (decoded === v) return false;
    v = decoded;
  }
  return false;
}

/** `value` as one URL path segment: percent-encoded, and a dot-segment's dots encoded too (`%2E`). */
export function pathSegment(value: string): string {
  const encoded = encodeURIComponent(value);
  return encoded === '.' || encoded === '..' ? encoded.replace(/\./g, '%2E') : encoded;
}
