// The apply report written piece by piece (reportJsonPieces) is the very document JSON.stringify
// makes of the whole report: same bytes, for no result, one, and more than a piece holds.
import { describe, expect, it } from 'vitest';
import { renderReportJson, reportJsonPieces, reportToJson } from '../../../src/reconcile/render/json.js';
import type { ApplyResult, Report } from '../../../src/reconcile/types.js';

function result(i: number): ApplyResult {
  const kinds = ['ok', 'failed', 'not-deployed', 'skipped'] as const;
  const outcome = kinds[i % kinds.length] ?? 'ok';
  return {
    action: i % 5 === 0 ? 'delete' : 'create',
    kind: i % 2 === 0 ? 'Key' : 'Keystore',
    project: i % 3 === 0 ? 'Pay "ments"' : 'Identity',
    name: `key-${i}-\u00e9\u2028\t`,
    outcome,
    switchedTo: i % 7 === 0 ? 'update' : null,
    ...(i % 11 === 0 ? { alreadyGone: true as const } : {}),
    deployment:
      i % 4 === 0
        ? []
        : [
            { environment: 'production', success: true, message: 'Deployed successfully' },
            { environment: 'test', success: outcome !== 'not-deployed', message: 'line\nbreak \\ and "quotes"' },
          ],
    error: outcome === 'ok' ? null : { kind: 'server', status: i % 2 ? 503 : null, message: 'm\u0000', hint: 'h' },
  };
}

function report(n: number): Report {
  return {
    results: Array.from({ length: n }, (_, i) => result(i)),
    summary: { created: n, updated: 0, deleted: 0, unchanged: 0, failed: 0, notDeployed: 0, skipped: 0 },
    interrupted: n % 2 === 1,
    server: 'https://apinizer.example.com',
    startedAt: '2026-01-01T00:00:00.000Z',
    finishedAt: '2026-01-01T00:00:01.000Z',
  };
}

describe('the apply report in pieces', () => {
  it.each([0, 1, 2, 255, 256, 257, 600])('joins to the JSON document of %i results', (n) => {
    const r = report(n);
    const whole = `${JSON.stringify(reportToJson(r), null, 2)}\n`;
    const pieces = [...reportJsonPieces(r, 100)];
    expect(pieces.join('')).toBe(whole);
    expect(renderReportJson(r)).toBe(whole);
    expect(pieces.length).toBe(n === 0 ? 1 : Math.floor(n / 100) + 1);
  });
});
