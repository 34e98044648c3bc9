// Control characters in file names, resource names or messages never reach a terminal or a CI
// log as themselves: the formatters escape every part, so no caller can forget to.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  type Diagnostic,
  escapeGithubProperty,
  formatDiagnostic,
  formatDiagnosticBody,
  formatGithubAnnotation,
  printable,
  quoteValue,
} from '../src/diagnostics.js';
import { runCliHere } from './support/cli.js';
import { tempTree } from './support/tmp.js';
import { KEY, edit } from './manifest/fixtures.js';

const HOSTILE = 'a\n::warning file=x::pwned\r\u001b[31mred\u0007\u2028\u202e.yaml';

const diag = (over: Partial<Diagnostic> = {}): Diagnostic => ({
  code: 'schema',
  severity: 'error',
  message: 'must be a string',
  file: HOSTILE,
  line: 3,
  column: 5,
  path: 'spec.keyType',
  ...over,
});

/** True when the text holds a character a terminal or a runner would act on. */
// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

describe('printable', () => {
  it('escapes newline, CR, tab, ESC, BEL, DEL, C1, line separators and bidi overrides, and nothing else', () => {
    expect(printable('a\nb\rc\td\u001be\u0007f\u007fg\u0085h\u2028i\u202ej')).toBe(
      'a\\nb\\rc\\td\\u001be\\u0007f\\u007fg\\u0085h\\u2028i\\u202ej',
    );
    expect(printable('Ödül/ключ 日本 "q" %:,')).toBe('Ödül/ключ 日本 "q" %:,');
  });

  it('quoteValue cuts long values to 80 characters with an ellipsis, and escapes controls', () => {
    expect(quoteValue('x'.repeat(10_000))).toBe(JSON.stringify(`${'x'.repeat(79)}…`));
    expect(quoteValue('a\nb')).toBe('"a\\nb"');
    expect(quoteValue('short')).toBe('"short"');
  });
});

describe('diagnostic formatters', () => {
  it('formatDiagnostic keeps one line whatever the file, resource, path and message hold', () => {
    const line = formatDiagnostic(diag({ resource: 'Key P/\u001b]0;title\u0007', message: 'bad\nvalue' }));
    expect(line).not.toMatch(RAW_CONTROL);
    expect(line).toBe(
      'a\\n::warning file=x::pwned\\r\\u001b[31mred\\u0007\\u2028\\u202e.yaml:3:5 Key P/\\u001b]0;title\\u0007: spec.keyType: bad\\nvalue [schema]',
    );
    expect(formatDiagnosticBody(diag())).toBe('spec.keyType: must be a string [schema]');
    expect(formatDiagnostic(diag({ file: 'k.yaml', severity: 'warning' }))).toBe(
      'k.yaml:3:5 warning: spec.keyType: must be a string [schema]',
    );
  });

  it('GitHub annotations use GitHub escaping (% CR LF, and : , in properties) and escape other controls', () => {
    const a = formatGithubAnnotation(diag({ message: '100% bad,\nreally: yes' }));
    expect(a.split('\n')).toHaveLength(1);
    expect(a).not.toMatch(RAW_CONTROL);
    expect(a).toBe(
      '::error file=a%0A%3A%3Awarning file=x%3A%3Apwned%0D\\u001b[31mred\\u0007\\u2028\\u202e.yaml,line=3,col=5::' +
        'spec.keyType: 100%25 bad,%0Areally: yes [schema]',
    );
    expect(escapeGithubProperty('a%b,c:d')).toBe('a%25b%2Cc%3Ad');
  });
});

describe('validate (through runCli) with a hostile file name', () => {
  it('prints no raw control character and no line a runner would take as a workflow command', async () => {
    const dir = tempTree({});
    writeFileSync(
      join(dir, 'x\n::warning title=injected::pwned\u001b[2J.yaml'),
      edit(KEY, 'keyType: RSA', 'keyType: rsa'),
    );
    const run = await runCliHere(['validate', '.'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    for (const out of [run.stdout, run.stderr]) {
      for (const line of out.split('\n')) {
        expect(line).not.toMatch(RAW_CONTROL);
        if (line.startsWith('::'))
          expect(line).toMatch(
            /^::error file=x%0A%3A%3Awarning title=injected%3A%3Apwned\\u001b\[2J\.yaml,line=7,col=3::/,
          );
      }
    }
    expect(run.stdout).toContain(
      'x\\n::warning title=injected::pwned\\u001b[2J.yaml:7:3 Key Payments/payments-signing: spec.keyType:',
    );
  });
});
