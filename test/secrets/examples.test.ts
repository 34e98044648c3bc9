// examples/manifests-sops is documentation that runs: with its test identity it loads like the plain
// example tree (same resources, no diagnostics); without, validate warns and reports nothing else.
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import { emptyConfigHome } from './support.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HMAC = { PAYMENTS_WEBHOOK_HMAC: Buffer.from('example webhook hmac key, not a secret').toString('base64') };
const material = { now: new Date('2026-12-15T00:00:00Z'), expiryWarnDays: 0, cache: false as const };

describe('examples/manifests-sops', () => {
  it('with its test identity: the same resources and secrets as examples/manifests, no diagnostics', async () => {
    const env = {
      ...HMAC,
      SOPS_AGE_KEY_FILE: 'examples/manifests-sops/test-identity.txt',
      XDG_CONFIG_HOME: emptyConfigHome(),
    };
    const sops = await loadManifests(['examples/manifests-sops'], { cwd: REPO, env, material });
    expect(sops.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`)).toEqual([]);
    const plain = await loadManifests(['examples/manifests'], { cwd: REPO, env: HMAC, material });
    const reveal = (r: typeof sops) =>
      JSON.stringify(
        r.state!.resources.map((x) => ({ ...x, source: undefined, locate: undefined })),
        (_k, v: unknown) =>
          v !== null && typeof v === 'object' && 'reveal' in v ? (v as { reveal(): string }).reveal() : v,
      );
    expect(reveal(sops)).toEqual(reveal(plain));
  });

  it('without an identity: one warning per encrypted file or value, and nothing else', async () => {
    const r = await loadManifests(['examples/manifests-sops'], {
      cwd: REPO,
      env: { ...HMAC, XDG_CONFIG_HOME: emptyConfigHome() },
      unsetEnv: 'warning',
      material,
    });
    expect(r.state).not.toBeNull();
    expect(new Set(r.diagnostics.map((d) => `${d.severity} ${d.code}`))).toEqual(
      new Set(['warning encrypted-no-identity']),
    );
    expect(r.resources).toBe(5);
  });
});
