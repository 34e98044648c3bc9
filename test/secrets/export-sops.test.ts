// export --sops-age (SPEC §2d) in both API generations: the example tree applied, exported with the
// material inline and SOPS-encrypted for the test recipient, then planned (with the identity) with
// no changes. No file of the export and no output holds any material in clear; the files are what
// the decoder (and so sops) accepts; `.sops.yaml` names the rule and the recipients.
import { cpSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../src/manifest/parse.js';
import { decryptSopsDocuments, sopsMetadataOf } from '../../src/secrets/sops/decode.js';
import { unwrapDataKey } from '../../src/secrets/sops/keys.js';
import { parseIdentities } from '../../src/secrets/age.js';
import { runCliInProcess } from '../support/run-cli.js';
import { materialNeedles, expectNoNeedles } from '../support/leak.js';
import { tempTree } from '../support/tmp.js';
import { startEmulator } from '../../src/emulator/index.js';
import { IDENTITY, OTHER_RECIPIENT, RECIPIENT, emptyConfigHome } from './support.js';

const TOKEN = 'tok-export-sops-tests-0c5a';
const PASSWORD = 'demo-partner-store-password'; // the example keystores' password (examples/manifests-current)
const HMAC = randomBytes(32).toString('base64');
const EXAMPLES = {
  legacy: fileURLToPath(new URL('../../examples/manifests', import.meta.url)),
  current: fileURLToPath(new URL('../../examples/manifests-current', import.meta.url)),
};

/** Every file under a folder, with its bytes. */
function files(dir: string): { path: string; text: string }[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => ({ path: join(e.parentPath, e.name), text: readFileSync(join(e.parentPath, e.name), 'latin1') }));
}

describe.each(['legacy', 'current'] as const)('export --sops-age (%s generation)', (generation) => {
  it('writes encrypted manifests and .sops.yaml; a plan of the export shows no changes; nothing in clear anywhere', async () => {
    const emulator = await startEmulator({ port: 0, token: TOKEN, generation });
    try {
      const dir = tempTree();
      cpSync(EXAMPLES[generation], join(dir, 'm'), { recursive: true });
      const needles = new Set<string>([TOKEN, PASSWORD, HMAC]);
      for (const f of files(join(dir, 'm')))
        if (/\.(pem|p12|jks)$/.test(f.path)) for (const n of materialNeedles(readFileSync(f.path))) needles.add(n);
      const env = {
        APINIZER_URL: emulator.url,
        APINIZER_TOKEN: TOKEN,
        PARTNER_MTLS_STORE_PASSWORD: PASSWORD,
        PAYMENTS_WEBHOOK_HMAC: HMAC,
        XDG_CONFIG_HOME: emptyConfigHome(),
      };
      const outputs: Record<string, string> = {};
      const cli = async (args: string[], extra: Record<string, string> = {}) => {
        const run = await runCliInProcess(args, { cwd: dir, env: { ...env, ...extra } });
        outputs[`stdout ${args.join(' ')}`] = run.stdout;
        outputs[`stderr ${args.join(' ')}`] = run.stderr;
        return run;
      };
      const apply = await cli(['apply', 'm']);
      expect(apply.code, apply.stdout + apply.stderr).toBe(0);

      const exported = await cli([
        'export',
        '--project',
        'Payments',
        '--out',
        'exp',
        '--sops-age',
        RECIPIENT,
        '--sops-age',
        OTHER_RECIPIENT,
      ]);
      expect(exported.code, exported.stderr).toBe(0);
      expect(exported.stdout).toContain('SOPS-encrypted inline for 2 age recipients');
      const written = files(join(dir, 'exp'));
      for (const f of written) outputs[f.path] = f.text;
      expect(written.some((f) => f.path.includes(`${join('exp', 'secrets')}`))).toBe(false);
      const config = readFileSync(join(dir, 'exp', '.sops.yaml'), 'utf8');
      expect(config).toContain(`age: '${RECIPIENT},${OTHER_RECIPIENT}'`);
      expect(config).toContain("encrypted_regex: '^(privateKey|publicKey|content|file|password)$'");
      const manifests = written.filter((f) => f.path.endsWith('.yaml') && !f.path.endsWith('.sops.yaml'));
      expect(manifests.length).toBeGreaterThan(0);
      const identities = { keys: await parseIdentities(IDENTITY), sources: ['test'], problems: [] };
      for (const m of manifests) {
        expect(m.text).toContain('ENC[AES256_GCM,data:');
        expect(m.text).toContain('kind: '); // identity stays readable
        // The decoder verifies the MAC and every AAD of what the encoder wrote.
        const parsed = parseManifestText(m.text, m.path);
        const meta = sopsMetadataOf(parsed.documents);
        expect(meta?.keyGroups[0]?.map((k) => k.id)).toEqual([RECIPIENT, OTHER_RECIPIENT]);
        const key = await unwrapDataKey(meta!, identities);
        if (!key.ok) throw new Error(key.message);
        expect(decryptSopsDocuments(m.text, parsed.documents, meta!, key.key)).toHaveProperty('documents');
        expect(statSync(m.path).mode & 0o777).toBe(0o644);
      }

      // Keystore passwords the server cannot export stay variables (current generation).
      const passwordVars = [...exported.stderr.matchAll(/^\s+(APINIZER_\S+PASSWORD)\s/gm)].map((m) => m[1] ?? '');
      const planEnv = Object.fromEntries(passwordVars.map((v) => [v, PASSWORD]));
      const plan = await cli(['plan', 'exp', '--detailed-exitcode'], { SOPS_AGE_KEY: IDENTITY, ...planEnv });
      expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      expect(plan.stdout).toContain('No changes.');
      const without = await cli(['plan', 'exp'], planEnv);
      expect(without.code).toBe(1);
      expectNoNeedles([...needles], outputs);
    } finally {
      await emulator.close();
    }
  });
});

describe('export --sops-age usage', () => {
  it('refuses a recipient that is not an age public key, and --secrets with it', async () => {
    const dir = tempTree();
    const bad = await runCliInProcess(['export', '--project', 'P', '--out', 'x', '--sops-age', 'AGE-SECRET-KEY-1ABC'], {
      cwd: dir,
      env: { APINIZER_URL: 'http://127.0.0.1:9', APINIZER_TOKEN: TOKEN },
    });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('--sops-age takes age recipients');
    const both = await runCliInProcess(
      ['export', '--project', 'P', '--out', 'x', '--sops-age', RECIPIENT, '--secrets', 'env'],
      { cwd: dir, env: { APINIZER_URL: 'http://127.0.0.1:9', APINIZER_TOKEN: TOKEN } },
    );
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('cannot be combined with --secrets env');
  });
});
