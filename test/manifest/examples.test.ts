// The example tree is documentation that runs: it must load cleanly and show what the README
// says it shows.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import type { DesiredKey } from '../../src/kinds/key.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const ENV = { PAYMENTS_WEBHOOK_HMAC: Buffer.from('example webhook hmac key, not a secret').toString('base64') };

/** The emulator's default projects and environments (SPEC §8 / the emulator's defaults). */
const EMULATOR_ENVIRONMENTS: Record<string, string[]> = {
  Payments: ['production', 'staging', 'test'],
  Identity: ['production', 'test'],
};

describe('examples/manifests', () => {
  it('loads with no diagnostics at all when PAYMENTS_WEBHOOK_HMAC is set', async () => {
    const r = await loadManifests(['examples/manifests'], { cwd: REPO, env: ENV });
    expect(r.diagnostics).toEqual([]);
    expect(r.state!.projects).toEqual(['Identity', 'Payments']);
    expect(new Set(r.state!.resources.map((x) => x.kind))).toEqual(new Set(['Key', 'Keystore']));
  });

  it('uses only environments the emulator has by default', async () => {
    const r = await loadManifests(['examples/manifests'], { cwd: REPO, env: ENV });
    for (const res of r.state!.resources) {
      for (const env of res.environments) expect(EMULATOR_ENVIRONMENTS[res.project]).toContain(env.name);
    }
  });

  it('shows all three secret forms, nested folders and a multi-document file', async () => {
    const r = await loadManifests(['examples/manifests'], { cwd: REPO, env: ENV });
    const texts = r.files.map((f) => readFileSync(join(REPO, f), 'utf8'));
    expect(texts.some((t) => t.includes('fromFile:'))).toBe(true);
    expect(texts.some((t) => t.includes('fromEnv: PAYMENTS_WEBHOOK_HMAC'))).toBe(true);
    expect(texts.some((t) => /^\s+publicKey: (>-\n\s+)?LS0t/m.test(t))).toBe(true);
    expect(texts.some((t) => /^---$/m.test(t))).toBe(true);
    expect(r.files.every((f) => f.split('/').length >= 5)).toBe(true);
    const hmac = r.state!.resources.find((x) => x.name === 'payments-webhook-hmac') as DesiredKey;
    expect(hmac.environments[0]!.privateKey!.reveal()).toBe(ENV.PAYMENTS_WEBHOOK_HMAC);
  });

  it('points every file at the right schema with a yaml-language-server line', async () => {
    const r = await loadManifests(['examples/manifests'], { cwd: REPO, env: ENV });
    for (const file of r.files) {
      const text = readFileSync(join(REPO, file), 'utf8');
      const m = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text);
      expect(m, file).not.toBeNull();
      const schema = resolve(dirname(join(REPO, file)), m![1]!);
      expect(existsSync(schema), `${file} -> ${schema}`).toBe(true);
      const kinds = [...text.matchAll(/^kind: (\w+)$/gm)].map((k) => k[1]!.toLowerCase());
      for (const kind of kinds) expect(schema.endsWith(`schemas/${kind}.schema.json`), file).toBe(true);
    }
  });

  it('reports the missing variable, and only that, when PAYMENTS_WEBHOOK_HMAC is not set', async () => {
    const r = await loadManifests(['examples/manifests'], { cwd: REPO, env: {} });
    expect(new Set(r.diagnostics.map((d) => d.code))).toEqual(new Set(['env-unset']));
  });
});
