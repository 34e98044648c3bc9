import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_BIN, runCliProcess } from '../support/cli.js';
import { runBash } from '../support/process.js';
import { tempTree } from '../support/tmp.js';
import { KEY, edit } from '../manifest/fixtures.js';

describe('the CLI shell', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCliProcess(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it('lists every command in its help', async () => {
    const run = await runCliProcess(['--help']);
    expect(run.code).toBe(0);
    for (const name of ['validate', 'plan', 'apply', 'watch', 'export', 'emulator']) expect(run.stdout).toContain(name);
  });

  it('refuses an unknown command with exit 1 and names it', async () => {
    const run = await runCliProcess(['frobnicate']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown command "frobnicate"');
  });

  it('escapes control characters in an unknown command name', async () => {
    const run = await runCliProcess(['x\n::warning::y']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown command "x\\n::warning::y"');
  });

  it('exits quietly when the reader of its output goes away (plan | head -1), keeping the exit code', async () => {
    // Far more output than a pipe holds (64 KiB), so writes continue after `head` has left.
    const docs = Array.from({ length: 500 }, (_, i) => edit(edit(KEY, 'keyType: RSA', 'keyType: rsa'), 'payments-signing', `k${i}-${'x'.repeat(120)}`));
    const dir = tempTree({ 'big.yaml': docs.join('---\n') });
    {
      const redirect = '2>"$ERR"';
      const run = await runBash(`set +e +o pipefail; "$NODE" "$CLI" validate . ${redirect} | head -1 > "$OUT"; echo "rc=\${PIPESTATUS[0]}"; cat "$ERR" 2>/dev/null || true`, {
        cwd: dir,
        env: { PATH: process.env.PATH, NODE: process.execPath, CLI: CLI_BIN, ERR: join(dir, 'err.txt'), OUT: join(dir, 'out.txt') },
      });
      expect(run.stdout, redirect).toBe('rc=1\n'); // validate's own verdict (errors found), and nothing on stderr
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toMatch(/^big\.yaml:7:3 Key Payments\/k0-x+: spec\.keyType: /);
    }
  });
});
