// Every form of every secret, and every fragment long enough to matter, is scrubbed; fast with
// ten thousand secrets.
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_FRAGMENT, MIN_SHORT_FRAGMENT, createRedactor, maskUrlCredentials } from '../../src/api/redact.js';

const KEY32 = randomBytes(32).toString('base64'); // 44 characters, as a 32-byte key
const PASSWORD = 'p@ss w/rd+"\\é&=%';
const PEM =
  '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAu1SU1LfVLPHCozMxH2Mo\n-----END PUBLIC KEY-----\n';
const PEM_B64 = Buffer.from(PEM).toString('base64');

/** Every way a server could echo `value` back. */
function forms(value: string): Record<string, string> {
  return {
    raw: value,
    json: JSON.stringify(value).slice(1, -1),
    jsonSlash: JSON.stringify(value).slice(1, -1).replace(/\//g, '\\/'),
    url: encodeURIComponent(value),
    urlLower: encodeURIComponent(value).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase()),
    form: new URLSearchParams({ v: value }).toString().slice(2),
  };
}

/** True when any fragment of `secret` of `min` or more characters, in any of its forms, is in `text`. */
function leaks(text: string, secret: string, min: number): string | null {
  for (const [name, form] of Object.entries(forms(secret))) {
    for (let len = Math.min(min, form.length); len <= form.length; len += 1) {
      if (text.includes(form.slice(0, len))) return `${name} prefix of ${len}`;
      if (text.includes(form.slice(form.length - len))) return `${name} suffix of ${len}`;
    }
  }
  return null;
}

describe('createRedactor', () => {
  it('scrubs raw, JSON-escaped, URL-encoded and form-encoded forms of a password', () => {
    const r = createRedactor();
    r.remember(PASSWORD);
    for (const [name, form] of Object.entries(forms(PASSWORD))) {
      const out = r.scrub(`echo: grant_type=x&client_secret=${form}&y=1`);
      expect(out, name).toBe('echo: grant_type=x&client_secret=(sensitive value)&y=1');
    }
    expect(r.scrub(`basic ${Buffer.from(PASSWORD).toString('base64')}`)).toBe('basic (sensitive value)');
  });

  it('scrubs a base64 secret and the text it encodes (a PEM), in every form', () => {
    const r = createRedactor();
    r.remember(PEM_B64);
    for (const v of [PEM_B64, PEM]) {
      for (const [name, form] of Object.entries(forms(v))) {
        const out = r.scrub(`{"message":"bad value ${form} here"}`);
        expect(leaks(out, v, MIN_FRAGMENT), `${name} of ${v === PEM ? 'PEM' : 'base64'}`).toBeNull();
      }
    }
  });

  it('masks a request body cut off mid-secret (Jackson\'s [Source: (String)"...), from 12 characters on', () => {
    const r = createRedactor();
    r.remember(KEY32);
    for (let cut = MIN_FRAGMENT; cut <= KEY32.length; cut += 1) {
      const body = `{"name":"k","environments":[{"publicKey":"${KEY32}"}]}`;
      const quoted = body.slice(0, body.indexOf(KEY32) + cut);
      const message = `JSON parse error: Unexpected end-of-input; [Source: (String)"${quoted}"[truncated 312 chars]; line: 1]`;
      const out = r.scrub(message);
      expect(out).toContain('(sensitive value)');
      expect(leaks(out, KEY32, MIN_FRAGMENT), `cut at ${cut}`).toBeNull();
    }
    // Shorter than 12 characters: 66 bits at most, and indistinguishable from ordinary text.
    expect(r.scrub(KEY32.slice(0, MIN_FRAGMENT - 1))).toBe(KEY32.slice(0, MIN_FRAGMENT - 1));
  });

  it('masks a message that begins mid-secret, and a long middle fragment', () => {
    const big = randomBytes(2048).toString('base64');
    const r = createRedactor();
    r.remember(big);
    expect(leaks(r.scrub(`…${big.slice(100)}" is invalid`), big, MIN_FRAGMENT)).toBeNull();
    const middle = big.slice(1000, 1600);
    // Whitespace is ignored when matching (re-wrapped base64), so a base64 character next to the
    // fragment may be taken as part of it: the surrounding words end in ':' and ';', which no
    // base64 holds (with 'x ' and ' y' the test failed once in 64 runs, by the random bytes).
    expect(r.scrub(`x: ${middle}; y`)).toMatch(/^x: .*\(sensitive value\).*; y$/);
    expect(r.scrub(`x: ${middle}; y`).length).toBeLessThan(middle.length);
  });

  it('masks a prefix or suffix of 6+ characters of a short secret (a password), or the whole remainder', () => {
    const r = createRedactor();
    r.remember('hunter2-Xq9z!');
    expect(r.scrub('client_secret=hunter2-X[truncated]')).toBe('client_secret=(sensitive value)[truncated]');
    expect(r.scrub('…r2-Xq9z!"')).toBe('…(sensitive value)"');
    expect(r.scrub(`ends: ${'hunter2-Xq9z!'.slice(0, MIN_SHORT_FRAGMENT + 1)}`)).toBe('ends: (sensitive value)');
    expect(r.scrub('hunte')).toBe('hunte');
    // Six letters alone are a word ("hunter"), not half a password: masking it would be a lie.
    expect(r.scrub('the hunter')).toBe('the hunter');
  });

  it('leaves text without secrets alone, and ignores values too short to be secrets', () => {
    const r = createRedactor();
    r.remember('abc');
    r.remember(KEY32);
    expect(r.scrub('Key (name: my-key) is already exist! abc')).toBe('Key (name: my-key) is already exist! abc');
  });

  it('masks a secret as written even where decoding the text would change it (a % before it)', () => {
    // fast-check's counterexample: "%50" decodes to "P", which hid the secret from a search of the
    // decoded text alone.
    const secret = Buffer.from([231, 64, ...new Array<number>(14).fill(0)]).toString('base64');
    const r = createRedactor();
    r.remember(secret);
    // The piece a cut leaves: its first 13 characters ("50AAAAAAAAAAA"), after "%" and friends.
    const piece = secret.slice(0, 13);
    for (const text of [`%${piece}`, `%2${piece}`, `&#${piece}`, `\\u${piece}`, `%${secret}`]) {
      expect(r.scrub(text).includes(piece), text).toBe(false);
    }
  });

  it('never leaves a fragment of 12+ characters of any remembered secret in random surroundings', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 16, maxLength: 300 }),
        fc.string(),
        fc.string(),
        fc.nat(),
        fc.nat(),
        (bytes, before, after, a, b) => {
          const secret = Buffer.from(bytes).toString('base64');
          const r = createRedactor();
          r.remember(secret);
          const from = a % secret.length;
          const to = Math.max(from, secret.length - (b % (secret.length - from + 1)));
          // A prefix (from = 0) or a suffix (to = end), as a cut leaves.
          for (const piece of [secret.slice(0, to), secret.slice(from)]) {
            const out = r.scrub(`${before}${piece}${after}`);
            if (piece.length >= MIN_FRAGMENT) expect(out.includes(piece)).toBe(false);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scrubs a message fast with 10,000 remembered secrets (not quadratic)', () => {
    const r = createRedactor();
    const secrets = Array.from({ length: 10_000 }, () => randomBytes(256).toString('base64'));
    const started = performance.now();
    for (const s of secrets) r.remember(s);
    const remembered = performance.now() - started;
    console.log(`remember 10,000 secrets: ${Math.round(remembered)} ms`);
    const message = `Key (name: k) failed: ${'lorem ipsum '.repeat(30)} ${secrets[7_777]!.slice(0, 40)}`;
    const t0 = performance.now();
    let out = '';
    for (let i = 0; i < 1000; i += 1) out = r.scrub(message);
    const perScrub = (performance.now() - t0) / 1000;
    console.log(`scrub a 420-character message: ${perScrub.toFixed(3)} ms`);
    expect(out).not.toContain(secrets[7_777]!.slice(0, MIN_FRAGMENT));
    // Generous bounds for a loaded 2-core machine; the old quadratic scan took seconds here.
    expect(remembered).toBeLessThan(5_000);
    expect(perScrub).toBeLessThan(5);
  });
});

describe('maskUrlCredentials', () => {
  it('masks user and password of URLs that do not parse, up to the last @', () => {
    expect(maskUrlCredentials('the server URL "https://admin:s3cr@t/x@host:80x80" is not valid')).toBe(
      'the server URL "https://***@host:80x80" is not valid',
    );
    expect(maskUrlCredentials('https://host:8443/apiops')).toBe('https://host:8443/apiops');
  });
});
