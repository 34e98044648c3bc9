// Redaction that neither leaks nor lies (issue 21). A server that echoes a secret may encode it
// in any way, or mix encodings character by character, re-wrap base64, and cut it; none of that
// may leave a 12-character run of any form of the secret in the output (fast-check fuzz). And a
// short or word-like password must not turn ordinary words into "(sensitive value)".
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_FRAGMENT, createRedactor, decode } from '../../src/api/redact.js';

const MASK = '(sensitive value)';
const PEM = generateKeyPairSync('rsa', { modulusLength: 1024 })
  .privateKey.export({ type: 'pkcs8', format: 'pem' })
  .toString();

/** The kinds of secret the client remembers: key material (base64 of binary or of a PEM), passwords, tokens. */
const SECRETS = {
  key: randomBytes(32).toString('base64'),
  pem: Buffer.from(PEM).toString('base64'),
  password: 'Tr0ub4dor&3/+=x;"<>é',
  token: `eyJhbGciOiJIUzI1NiJ9.${randomBytes(24).toString('base64url')}`,
};

/** Every form in which a run of the secret would be a leak: the value, and the text or bytes it stands for. */
function formsOf(value: string): { text: string[]; hex: string[] } {
  const text = [value];
  const hex = [hexOf(value)];
  if (value === SECRETS.pem) text.push(PEM);
  return { text, hex };
}

/** A 12-character run of any form of `value` in `out`, raw or once decoded; null when none. */
function leak(out: string, value: string): string | null {
  const decoded = decode(out).text;
  const squeezed = decoded.replace(/\s+/g, '');
  const lower = squeezed.toLowerCase();
  const { text, hex } = formsOf(value);
  for (const form of text) {
    const compact = form.replace(/\s+/g, '');
    for (let i = 0; i + MIN_FRAGMENT <= form.length; i += 1) {
      const run = form.slice(i, i + MIN_FRAGMENT);
      if (out.includes(run) || decoded.includes(run)) return `run ${JSON.stringify(run)}`;
    }
    for (let i = 0; i + MIN_FRAGMENT <= compact.length; i += 1) {
      if (squeezed.includes(compact.slice(i, i + MIN_FRAGMENT))) return `compact run at ${i}`;
    }
  }
  for (const form of hex) {
    for (let i = 0; i + MIN_FRAGMENT <= form.length; i += 2) {
      if (lower.includes(form.slice(i, i + MIN_FRAGMENT))) return `hex run at ${i}`;
    }
  }
  return null;
}

/** The hex a server would show: of the bytes key material stands for, of the text of a password or token. */
function hexOf(value: string): string {
  const binary = value === SECRETS.key || value === SECRETS.pem;
  return Buffer.from(value, binary ? 'base64' : 'utf8').toString('hex');
}

const hex2 = (n: number) => n.toString(16).padStart(2, '0');

/** Encoders of one character, as servers and frameworks write them. */
const CHAR_ENCODERS: Record<string, (c: string) => string> = {
  raw: (c) => c,
  percentUpper: (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${hex2(b).toUpperCase()}`).join(''),
  percentLower: (c) => [...Buffer.from(c, 'utf8')].map((b) => `%${hex2(b)}`).join(''),
  uriComponent: (c) =>
    encodeURIComponent(c).replace(/%[0-9A-F]{2}/g, (h) => (Math.random() < 0.5 ? h.toLowerCase() : h)),
  entityDecimal: (c) => `&#${c.codePointAt(0)};`,
  entityHex: (c) => `&#x${(c.codePointAt(0) ?? 0).toString(16)};`,
  entityHexUpper: (c) => `&#X${(c.codePointAt(0) ?? 0).toString(16).toUpperCase()};`,
  entityNamed: (c) =>
    ({
      '/': '&sol;',
      '+': '&plus;',
      '=': '&equals;',
      '&': '&amp;',
      '<': '&lt;',
      '>': '&gt;',
      '"': '&quot;',
      '\n': '&NewLine;',
    })[c] ?? c,
  jsonUnicode: (c) => [...c].map((u) => `\\u${(u.charCodeAt(0) ?? 0).toString(16).padStart(4, '0')}`).join(''),
  jsonEscape: (c) => (c === '/' ? '\\/' : c === '\n' ? '\\n' : c === '"' ? '\\"' : c === '\\' ? '\\\\' : c),
};
const ENCODER_NAMES = Object.keys(CHAR_ENCODERS);

/** Whole-string encodings that are not per character. */
function rewrap(value: string, width: number, eol: string): string {
  const flat = value.replace(/\s+/g, '');
  return (flat.match(new RegExp(`.{1,${width}}`, 'g')) ?? []).join(eol);
}

describe('redaction: decode, then search (fuzz over encodings)', () => {
  it('leaves no 12-character run of any secret form, whatever the encoding mix, wrap and cut', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...(Object.keys(SECRETS) as (keyof typeof SECRETS)[])),
        fc.constantFrom('value', 'text', 'hexLower', 'hexUpper', 'rewrapped'),
        fc.array(fc.constantFrom(...ENCODER_NAMES), { minLength: 1, maxLength: 3 }),
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 400 }),
        fc.string({ maxLength: 30 }),
        fc.string({ maxLength: 30 }),
        fc.integer({ min: 20, max: 80 }),
        (which, shape, encoders, cutKind, cutAt, before, after, width) => {
          const value = SECRETS[which];
          const r = createRedactor();
          r.remember(value);
          let echoed: string =
            shape === 'text' && which === 'pem'
              ? PEM
              : shape === 'hexLower'
                ? hexOf(value)
                : shape === 'hexUpper'
                  ? hexOf(value).toUpperCase()
                  : shape === 'rewrapped'
                    ? rewrap(value, width, Math.random() < 0.5 ? '\n' : '\r\n')
                    : value;
          // Cut as a server does: keep a prefix or a suffix of at least 24 characters, or all.
          if (cutKind === 1) echoed = echoed.slice(0, Math.max(24, echoed.length - cutAt));
          if (cutKind === 2) echoed = echoed.slice(Math.min(echoed.length - 24, cutAt));
          // Mix: each character through one of the chosen encoders.
          const encoded = [...echoed]
            .map((c: string, i: number) =>
              (CHAR_ENCODERS[encoders[i % encoders.length] ?? 'raw'] ?? ((x: string) => x))(c),
            )
            .join('');
          const out = r.scrub(`${before}${encoded}${after}`);
          const found = leak(out, value);
          expect(found, `${which}/${shape}/${encoders.join('+')}/cut ${cutKind}: ${out.slice(0, 200)}`).toBeNull();
        },
      ),
      { numRuns: 400 },
    );
  });

  it('masks the cases a probe found: a PEM middle in lower-case percent-encoding, HTML entities', () => {
    const r = createRedactor();
    r.remember(SECRETS.pem);
    const middle = PEM.slice(200, 600);
    const percent = encodeURIComponent(middle).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase());
    const entities = middle.replace(/\//g, '&#x2F;').replace(/\+/g, '&#43;').replace(/\n/g, '&#10;');
    for (const echoed of [percent, entities]) {
      const out = r.scrub(`invalid content: ${echoed} (line 3)`);
      expect(out).toBe(`invalid content: ${MASK} (line 3)`);
    }
  });

  it('maps a match back to the encoded characters and keeps the rest of the text as it was', () => {
    const r = createRedactor();
    r.remember(SECRETS.key);
    const encoded = SECRETS.key.replace(/\//g, '\\/').replace(/\+/g, '\\u002B');
    expect(r.scrub(`{"message":"bad key \\"${encoded}\\" &amp; more"}`)).toBe(
      `{"message":"bad key \\"${MASK}\\" &amp; more"}`,
    );
  });
});

describe('redaction: a short or word-like password is masked as a whole value only', () => {
  it('keeps ordinary words that a password happens to spell', () => {
    const r = createRedactor();
    for (const p of ['test', 'changeit', 'Password1']) r.remember(p);
    for (const text of [
      'Deployment to environment test failed',
      'environment (test) failed: please change it',
      'Key (name: test) is already exist!',
      '{"environmentName":"test","success":false}',
      'changes were made; the password is wrong',
      'testing 1 2 3',
    ]) {
      expect(r.scrub(text)).toBe(text);
    }
  });

  it('masks it where it stands as a value, in any encoding, and its base64 and hex as tokens', () => {
    const r = createRedactor();
    r.remember('test');
    r.remember('changeit');
    for (const [text, expected] of [
      ['{"password":"test"}', `{"password":"${MASK}"}`],
      ['password=test&user=admin', `password=${MASK}&user=admin`],
      ['password%3Dchangeit%26x', `password%3D${MASK}%26x`],
      ['keystore password: changeit', `keystore password: ${MASK}`],
      ['changeit', MASK],
      ["'test'", `'${MASK}'`],
      ['basic dGVzdA== refused', `basic ${MASK} refused`],
      ['bytes 6368616e67656974', `bytes ${MASK}`],
      ['Authorization: Bearer test', `Authorization: Bearer ${MASK}`],
    ] as const) {
      expect(r.scrub(text)).toBe(expected);
    }
  });
});
