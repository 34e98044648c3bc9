// How the browser check finds Chromium and what it does without one (test/support/browser.ts): the
// order of the places looked at, the one skip line, and the failure that REQUIRE_BROWSER=1 makes.
import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decideBrowserCheck, findChromium, type BrowserLookup } from '../support/browser.js';

// Two stand-in browser files, kept for the whole file (the lookup only checks that they exist).
const dir = mkdtempSync(join(tmpdir(), 'agitops-browser-'));
for (const name of ['chromium', 'other-chromium']) writeFileSync(join(dir, name), '#!/bin/sh\n');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('finding Chromium for the browser check', () => {
  it('takes CHROMIUM_PATH first, before the bundled and the system browser', async () => {
    const systemPaths = [`${dir}/other-chromium`];
    const lookup = findChromium({ env: { CHROMIUM_PATH: `${dir}/chromium` }, bundle: '/nowhere', systemPaths });
    expect(lookup).toMatchObject({ found: true, source: `CHROMIUM_PATH=${dir}/chromium` });
    if (lookup.found) expect((await lookup.prepare()).executablePath).toBe(`${dir}/chromium`);
  });

  it('says so when CHROMIUM_PATH names no file, without falling back to another browser', () => {
    const systemPaths = [`${dir}/chromium`];
    const lookup = findChromium({ env: { CHROMIUM_PATH: `${dir}/missing` }, bundle: null, systemPaths });
    expect(lookup).toEqual({ found: false, reason: `CHROMIUM_PATH=${dir}/missing does not exist` });
  });

  it('prefers the browser bundled in the dev dependency to the system one', () => {
    const lookup = findChromium({ env: {}, bundle: '/pkg/@sparticuz/chromium', systemPaths: [`${dir}/chromium`] });
    expect(lookup).toMatchObject({ found: true, source: '@sparticuz/chromium (/pkg/@sparticuz/chromium)' });
  });

  it('falls back to the system browser, then to nothing', () => {
    expect(findChromium({ env: {}, bundle: null, systemPaths: [`${dir}/missing`, `${dir}/chromium`] })).toMatchObject({
      found: true,
      source: `${dir}/chromium`,
    });
    expect(findChromium({ env: {}, bundle: null, systemPaths: [`${dir}/missing`] })).toMatchObject({ found: false });
  });
});

describe('running, skipping or failing the browser check', () => {
  const missing: BrowserLookup = { found: false, reason: 'no Chromium found' };

  it('skips with one line that says how to run it', () => {
    const decision = decideBrowserCheck(missing, {});
    expect(decision).toEqual({ skip: expect.stringContaining('browser check skipped: no Chromium found') });
    if ('skip' in decision) {
      expect(decision.skip).not.toContain('\n');
      expect(decision.skip).toContain('apt-get install chromium');
      expect(decision.skip).toContain('CHROMIUM_PATH');
    }
  });

  it('fails instead under REQUIRE_BROWSER=1 (as .ci/run sets it), naming the variable and the fix', () => {
    const decision = decideBrowserCheck(missing, { REQUIRE_BROWSER: '1' });
    expect(decision).toEqual({ fail: expect.stringContaining('REQUIRE_BROWSER=1') });
    if ('fail' in decision) expect(decision.fail).toContain('apt-get install chromium');
  });

  it('runs whenever a browser is found, required or not', () => {
    const found = findChromium({ env: { CHROMIUM_PATH: `${dir}/chromium` } });
    expect(decideBrowserCheck(found, {})).toEqual({ run: found });
    expect(decideBrowserCheck(found, { REQUIRE_BROWSER: '1' })).toEqual({ run: found });
  });
});
