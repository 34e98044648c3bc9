// `npm start` (SPEC §9): the built demo starts its own emulator, runs plan, apply and plan again,
// and must end with "No changes" and exit 0, leaving nothing running.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runProcess } from '../support/process.js';

const DEMO = fileURLToPath(new URL('../../dist/cli/demo.js', import.meta.url));

function runDemo(env: Record<string, string>) {
  // A clean environment, as on a fresh machine: nothing from APINIZER_* leaks in from the test runner.
  return runProcess(process.execPath, [DEMO], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
  });
}

describe('npm start demo', () => {
  it('plans, applies, plans again with no changes, and exits 0 by itself', async () => {
    const hmac = Buffer.from('DEMO-TEST-HMAC-SECRET-3e7a', 'utf8').toString('base64');
    // A stray real-gateway setting in the shell must not redirect the demo.
    const run = await runDemo({ PAYMENTS_WEBHOOK_HMAC: hmac, APINIZER_USERNAME: 'someone' });
    expect(run.code, run.stderr).toBe(0);
    const steps = ['== Step 1 of 3: plan ==', '== Step 2 of 3: apply ==', '== Step 3 of 3: plan again =='].map((s) =>
      run.stdout.indexOf(s),
    );
    expect(steps.every((i) => i >= 0)).toBe(true);
    expect([...steps].sort((a, b) => a - b)).toEqual(steps);
    const [first, second, third] = run.stdout.split(/== Step \d of 3: [a-z ]+ ==/).slice(1);
    expect(first).toContain('Plan: 5 to create, 0 to update, 0 to delete, 0 unchanged.');
    expect(second).toContain('Apply: 5 created, 0 updated, 0 deleted, 0 unchanged, 0 failed.');
    expect(third).toContain('No changes.');
    expect(third).toContain('Plan: 0 to create, 0 to update, 0 to delete, 5 unchanged.');
    expect(run.stdout).toContain('Done.');
    for (const needle of [hmac, 'DEMO-TEST-HMAC-SECRET', 'BEGIN PRIVATE KEY', 'BEGIN EC PRIVATE KEY']) {
      expect(run.stdout + run.stderr).not.toContain(needle);
    }
  });

  it('works on a fresh machine where PAYMENTS_WEBHOOK_HMAC is not set', async () => {
    const run = await runDemo({});
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('No changes.');
  });
});
