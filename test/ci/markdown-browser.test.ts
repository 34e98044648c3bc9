// The browser check of issue 6: the plan markdown, rendered as GitHub-flavoured markdown (marked)
// into HTML and opened in headless Chromium, shows the actions table and collapsible detail blocks
// that open to a before/after table. Chromium is never downloaded: test/support/browser.ts finds
// CHROMIUM_PATH, the one shipped inside the @sparticuz/chromium dev dependency, or Debian's. With
// none, the check is skipped with one line, or fails under REQUIRE_BROWSER=1 (.ci/run sets it).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { marked } from 'marked';
import { chromium, type Browser, type Locator, type Page } from 'playwright-core';
import type { Diagnostic } from '../../src/diagnostics.js';
import { buildPlan, listScopes } from '../../src/reconcile/plan.js';
import { renderPlanMarkdown } from '../../src/reconcile/render/markdown.js';
import type { Plan } from '../../src/reconcile/types.js';
import {
  aCurrentKey,
  aCurrentKeystore,
  aKey,
  aKeystore,
  aSource,
  currentOf,
  desiredState,
  privateKeyFor,
  publicKeyFor,
  secretNeedles,
} from '../support/builders.js';
import { decideBrowserCheck, findChromium } from '../support/browser.js';
import { tempTree } from '../support/tmp.js';

const decision = decideBrowserCheck(findChromium());
// The one visible line of a skipped check (vitest prints a test file's console output).
if ('skip' in decision) console.warn(decision.skip);
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Creates, updates with before/after, deletes under prune, a noop, and a validation error. */
function planForReview(): Plan {
  const created = aKey({
    name: 'audit-log',
    description: 'Audit log encryption',
    source: aSource('keys/audit.yaml', 1, 1),
  });
  const updated = aKey({
    description: 'Signs payment callbacks (v2)',
    source: aSource('keys/payments.yaml', 3, 1),
    environments: [
      { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('rotated') },
      { name: 'staging', publicKey: publicKeyFor('staging') },
    ],
  });
  const unchanged = aKeystore();
  const desired = desiredState(created, updated, unchanged);
  const current = [
    aCurrentKey({ description: 'Signs payment callbacks' }),
    currentOf(unchanged),
    aCurrentKey({ name: 'legacy-signing', description: 'Old key, replaced in 2023' }),
    aCurrentKeystore({ name: 'old-truststore' }),
  ];
  const diagnostics: Diagnostic[] = [
    {
      code: 'schema',
      severity: 'error',
      message: 'must match pattern "^[A-Z][A-Z0-9_]*$"',
      file: 'keys/broken.yaml',
      line: 7,
      column: 12,
      path: 'spec.keyType',
      resource: 'Key Payments/broken',
    },
  ];
  const scopeOptions = { prune: true, allowEmptyPrune: false, extraProjects: [] };
  return buildPlan({
    desired,
    current,
    scopes: listScopes(desired, scopeOptions),
    ...scopeOptions,
    server: 'https://manager.example.com',
    createdAt: '2024-05-01T10:00:00.000Z',
    diagnostics,
  });
}

/** A page styled roughly like a GitHub comment, so the screenshot is what a reviewer sees. */
function page(html: string): string {
  return `<!doctype html><html><head><meta charset="utf-8"><title>plan</title><style>
body { font: 14px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #1f2328; max-width: 980px; margin: 24px auto; padding: 0 16px; }
table { border-collapse: collapse; margin: 8px 0 16px; display: block; overflow: auto; }
th, td { border: 1px solid #d1d9e0; padding: 6px 13px; text-align: left; }
tr:nth-child(2n) { background: #f6f8fa; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
code { background: #eff1f3; padding: 2px 4px; border-radius: 4px; }
</style></head><body><article class="markdown-body">${html}</article></body></html>`;
}

/** The trimmed text of every body cell of a table, row by row. */
async function cellTexts(table: Locator): Promise<string[][]> {
  const rows: string[][] = [];
  for (const row of await table.locator('tbody tr').all())
    rows.push((await row.locator('td').allInnerTexts()).map((t) => t.trim()));
  return rows;
}

describe.skipIf('skip' in decision)('the plan markdown in a real browser', () => {
  let browser: Browser;
  let tab: Page;
  let markdown: string;
  const dir = tempTree();

  beforeAll(async () => {
    if ('fail' in decision) throw new Error(decision.fail);
    if (!('run' in decision)) return;
    const { executablePath, env } = await decision.run.prepare();
    markdown = renderPlanMarkdown(planForReview());
    const html = page(await marked.parse(markdown, { gfm: true }));
    writeFileSync(join(dir, 'plan.md'), markdown);
    writeFileSync(join(dir, 'plan.html'), html);
    browser = await chromium.launch({ executablePath, env, args: CHROMIUM_ARGS });
    tab = await browser.newPage({ viewport: { width: 1100, height: 900 } });
    // No network: the page is set directly, and any request it tried would fail the test below.
    await tab.route('**/*', (route) => route.abort());
    await tab.setContent(html, { waitUntil: 'load' });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
  });

  it('shows the summary line and the actions table with one row per changed resource', async () => {
    await expect.poll(() => tab.locator('text=/Plan:/').first().isVisible()).toBe(true);
    const table = tab.locator('table').first();
    expect(await table.isVisible()).toBe(true);
    const headers = await table.locator('thead th').allInnerTexts();
    expect(headers.map((h) => h.trim())).toEqual(['Kind', 'Project', 'Name', 'Action', 'Changed fields']);
    const rows = await cellTexts(table);
    const byName = new Map(rows.map((cells) => [cells[2], cells]));
    expect(byName.get('audit-log')?.[3]).toMatch(/create/);
    expect(byName.get('payments-signing')?.[3]).toMatch(/update/);
    expect(byName.get('payments-signing')?.[4]).toContain('description');
    expect(byName.get('legacy-signing')?.[3]).toMatch(/delete/);
    expect(byName.get('old-truststore')?.[3]).toMatch(/delete/);
    expect(byName.has('partner-mtls')).toBe(false); // unchanged: counted, not listed
    expect(rows).toHaveLength(4);
  });

  it('has a collapsed details block per changed resource that opens to a before/after table', async () => {
    const blocks = tab.locator('details');
    expect(await blocks.count()).toBe(4);
    const summaries = await tab.locator('details > summary').allInnerTexts();
    expect(summaries.some((s) => s.includes('update Key Payments/payments-signing'))).toBe(true);
    for (let i = 0; i < 4; i++) expect(await blocks.nth(i).locator('summary').isVisible()).toBe(true);

    const block = tab.locator('details', { has: tab.locator('summary', { hasText: 'payments-signing' }) });
    const inner = block.locator('table');
    expect(await inner.isVisible()).toBe(false); // collapsed until clicked
    await block.locator('summary').click();
    await expect.poll(() => inner.isVisible()).toBe(true);
    const cells = await cellTexts(inner);
    expect(cells).toContainEqual(['description', '"Signs payment callbacks"', '"Signs payment callbacks (v2)"']);
    expect(cells.find((c) => c[0] === 'environments.production.privateKey')).toEqual([
      'environments.production.privateKey',
      '(sensitive value)',
      '(sensitive value)',
    ]);
    await tab.screenshot({ path: join(dir, 'plan.png'), fullPage: true });
    // Keep a copy where a person can look at it (the temp tree is removed after the test).
    if (process.env.APINIZER_SCREENSHOT_DIR)
      await tab.screenshot({ path: join(process.env.APINIZER_SCREENSHOT_DIR, 'plan-markdown.png'), fullPage: true });
  });

  it('shows the validation error with file:line:column', async () => {
    const text = await tab.locator('body').innerText();
    expect(text).toContain('keys/broken.yaml:7:12');
    expect(await tab.locator('li', { hasText: 'keys/broken.yaml:7:12' }).first().isVisible()).toBe(true);
  });

  it('carries no secret, in the markdown or anything the browser shows', async () => {
    const text = `${markdown}\n${await tab.content()}`;
    for (const needle of secretNeedles()) expect(text).not.toContain(needle);
  });
});
