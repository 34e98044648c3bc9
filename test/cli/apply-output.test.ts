// src/cli/output.ts: colour decision, --out files, the GitHub step summary and annotations, and the
// terminal progress line of apply. Pure enough to test with in-memory streams and temp files.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { Diagnostic } from '../../src/diagnostics.js';
import {
  appendStepSummary,
  createProgressLine,
  githubAnnotations,
  useColor,
  writeOutFile,
} from '../../src/cli/output.js';
import { runCli } from '../../src/cli/run.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, cliEnv, expectNoLeak, manifestFiles } from './apply-fixtures.js';

function sink(isTTY: boolean): Writable & { text: string; isTTY: boolean } {
  const s = new Writable({
    write(chunk: Buffer, _e, cb) {
      s.text += chunk.toString('utf8');
      cb();
    },
  }) as Writable & { text: string; isTTY: boolean };
  s.text = '';
  s.isTTY = isTTY;
  return s;
}

const diag: Diagnostic = {
  code: 'schema',
  severity: 'error',
  message: 'must be a string',
  file: 'keys/a,b.yaml',
  line: 3,
  column: 5,
  path: 'spec.description',
  resource: 'Key P/a',
};

describe('output', () => {
  it.each([
    [true, {}, true],
    [false, {}, false],
    [true, { NO_COLOR: '1' }, false],
    [true, { NO_COLOR: '' }, true],
  ])('colour on a TTY=%s with %j: %s', (tty, env, expected) => {
    expect(useColor(sink(tty), env)).toBe(expected);
  });

  it('writes --out files whole, and says why when it cannot', async () => {
    const dir = tempTree();
    expect(await writeOutFile('plan.json', '{"a":1}\n', dir)).toBeNull();
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('{"a":1}\n');
    expect(await writeOutFile('plan.json', '{"a":2}\n', dir)).toBeNull();
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('{"a":2}\n');
    expect(await writeOutFile('missing/plan.json', 'x', dir)).toBe(
      'cannot write --out missing/plan.json: its folder does not exist',
    );
  });

  it('appends to GITHUB_STEP_SUMMARY only when it is set', async () => {
    const dir = tempTree();
    const file = join(dir, 'summary.md');
    writeFileSync(file, 'before\n');
    expect(await appendStepSummary('# plan', { GITHUB_STEP_SUMMARY: file })).toBeNull();
    expect(readFileSync(file, 'utf8')).toBe('before\n# plan\n\n');
    expect(await appendStepSummary('# plan', {})).toBeNull();
    expect(await appendStepSummary('# plan', { GITHUB_STEP_SUMMARY: join(dir, 'no', 'such') })).toMatch(
      /^cannot append to GITHUB_STEP_SUMMARY/,
    );
  });

  it('prints ::error annotations (escaped) only in GitHub Actions', () => {
    expect(githubAnnotations([diag], {})).toBe('');
    expect(githubAnnotations([diag], { GITHUB_ACTIONS: 'true' })).toBe(
      '::error file=keys/a%2Cb.yaml,line=3,col=5::Key P/a: spec.description: must be a string [schema]\n',
    );
  });

  it('rewrites one progress line in place and clears it', () => {
    const s = sink(true);
    const p = createProgressLine(s, 0);
    p.update({ done: 1, total: 3, failed: 0 });
    p.update({ done: 3, total: 3, failed: 1 });
    p.clear();
    expect(s.text).toBe('\r\u001b[2KApplying 1/3\r\u001b[2KApplying 3/3 (1 failed)\r\u001b[2K');
    expect(s.text).not.toContain('\n');
  });

  it('throttles updates but always shows the final count', () => {
    const s = sink(true);
    const p = createProgressLine(s, 60_000);
    for (let i = 1; i <= 50; i++) p.update({ done: i, total: 50, failed: 0 });
    expect(s.text).toBe('\r\u001b[2KApplying 1/50\r\u001b[2KApplying 50/50');
  });
});

describe('apply on a terminal', () => {
  const emulator = useEmulator({ token: TOKEN });

  it('shows a progress line on stderr instead of a log line per resource, and clears it', async () => {
    const dir = tempTree(manifestFiles({ keys: 4, keystores: 1 }));
    const stdout = sink(true);
    const stderr = sink(true);
    const env = { ...cliEnv(emulator()), NO_COLOR: '1' } as NodeJS.ProcessEnv;
    const code = await runCli(['apply', 'manifests'], {
      stdout,
      stderr,
      env,
      cwd: dir,
      signal: new AbortController().signal,
      signalName: () => null,
    });
    expect(code, stderr.text).toBe(0);
    expect(stderr.text).toContain('Applying 5/5');
    expect(stderr.text.endsWith('\r\u001b[2K')).toBe(true);
    expect(stderr.text).not.toContain('"outcome"');
    expect(stdout.text).toContain('Apply: 5 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.');
    // NO_COLOR: no escape sequences in the plan or report even on a terminal.
    expect(stdout.text).not.toContain('\u001b[');
    expectNoLeak(stdout.text, stderr.text);
  });
});
