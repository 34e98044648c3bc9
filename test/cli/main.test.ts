import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { runCliProcess } from '../support/cli.js';

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
});
