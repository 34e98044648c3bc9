import { describe, expect, it } from 'vitest';
import {
  existsSync,
  lstatSync,
  mkdirSync,
  readFileSync,
  readlinkSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { buildExportPlan, SECRETS_GITIGNORE, type ExportPlan } from '../../src/export/render.js';
import { writeExport } from '../../src/export/write.js';
import { Secret } from '../../src/secret.js';
import { aCurrentKey, aCurrentKeystore, keystoreFileFor } from '../support/builders.js';
import { tempTree } from '../support/tmp.js';

function plan(): ExportPlan {
  return buildExportPlan([aCurrentKey(), aCurrentKeystore()], { secrets: 'file', schemaRef: () => 'schema.json' });
}

const mode = (path: string) => statSync(path).mode & 0o777;

describe('writeExport', () => {
  it('writes manifests, decoded secret bytes at 0600 in 0700 folders, and the secrets .gitignore', () => {
    const root = tempTree();
    const out = join(root, 'out');
    const result = writeExport(plan(), { outDir: out, force: false });
    expect(result).toMatchObject({ ok: true });
    expect(result.ok && result.written).toHaveLength(7);
    const secretFile = join(out, 'secrets/Payments/keystores/partner-mtls.production.file');
    expect(readFileSync(secretFile)).toEqual(Buffer.from(keystoreFileFor('production').reveal(), 'base64'));
    expect(mode(secretFile)).toBe(0o600);
    for (const dir of ['secrets', 'secrets/Payments', 'secrets/Payments/keys', 'secrets/Payments/keystores'])
      expect(mode(join(out, dir))).toBe(0o700);
    expect(readFileSync(join(out, 'secrets/.gitignore'), 'utf8')).toBe(SECRETS_GITIGNORE);
    expect(readFileSync(join(out, 'Payments/keys/payments-signing.yaml'), 'utf8')).toMatch(
      /^# yaml-language-server: \$schema=schema.json\napiVersion/,
    );
  });

  it('refuses when any target exists, writing nothing, and names the existing files', () => {
    const out = tempTree({
      'Payments/keystores/partner-mtls.yaml': 'mine\n',
      'secrets/Payments/keys/payments-signing.test.publicKey': 'mine',
    });
    const result = writeExport(plan(), { outDir: out, force: false });
    expect(result).toEqual({
      ok: false,
      reason: 'exists',
      paths: ['Payments/keystores/partner-mtls.yaml', 'secrets/Payments/keys/payments-signing.test.publicKey'],
    });
    expect(existsSync(join(out, 'Payments/keys/payments-signing.yaml'))).toBe(false);
    expect(readFileSync(join(out, 'Payments/keystores/partner-mtls.yaml'), 'utf8')).toBe('mine\n');
  });

  it('with force replaces existing files, tightening an old secret file to 0600', () => {
    const out = tempTree();
    mkdirSync(join(out, 'secrets/Payments/keys'), { recursive: true, mode: 0o755 });
    const old = join(out, 'secrets/Payments/keys/payments-signing.test.publicKey');
    writeFileSync(old, 'old', { mode: 0o644 });
    const result = writeExport(plan(), { outDir: out, force: true });
    expect(result.ok).toBe(true);
    expect(mode(old)).toBe(0o600);
    expect(mode(join(out, 'secrets/Payments/keys'))).toBe(0o700);
    expect(readFileSync(old, 'utf8')).toContain('TEST-PUBLIC-payments-signing-test');
  });

  it('with force replaces a symlinked target instead of writing through it', () => {
    const root = tempTree({ 'elsewhere.txt': 'keep me' });
    const out = join(root, 'out');
    mkdirSync(join(out, 'Payments/keys'), { recursive: true });
    symlinkSync(join(root, 'elsewhere.txt'), join(out, 'Payments/keys/payments-signing.yaml'));
    expect(writeExport(plan(), { outDir: out, force: false }).ok).toBe(false);
    expect(writeExport(plan(), { outDir: out, force: true }).ok).toBe(true);
    expect(readFileSync(join(root, 'elsewhere.txt'), 'utf8')).toBe('keep me');
    expect(lstatSync(join(out, 'Payments/keys/payments-signing.yaml')).isSymbolicLink()).toBe(false);
  });

  it('refuses a symlinked folder on the way, even with force', () => {
    const root = tempTree({ 'outside/.keep': '' });
    const out = join(root, 'out');
    mkdirSync(out);
    symlinkSync(join(root, 'outside'), join(out, 'secrets'));
    const result = writeExport(plan(), { outDir: out, force: true });
    expect(result).toMatchObject({ ok: false, reason: 'unsafe' });
    expect(!result.ok && 'message' in result && result.message).toContain('is a symbolic link');
    expect(existsSync(join(root, 'outside/Payments'))).toBe(false);
    expect(readlinkSync(join(out, 'secrets'))).toBe(join(root, 'outside'));
  });

  it('leaves an identical .gitignore alone (a second project exported into the same folder)', () => {
    const out = tempTree({ 'secrets/.gitignore': SECRETS_GITIGNORE });
    const result = writeExport(plan(), { outDir: out, force: false });
    expect(result).toMatchObject({ ok: true, unchanged: ['secrets/.gitignore'] });
  });

  it.each(['../escape.yaml', '/etc/passwd', 'a//b.yaml', 'a/./b.yaml', 'a\\..\\b.yaml'])(
    'refuses the unsafe planned path %j',
    (path) => {
      const out = tempTree();
      const evil: ExportPlan = {
        ...plan(),
        files: [
          {
            type: 'secret',
            path,
            value: new Secret('AAAA'),
            slot: { resource: { kind: 'Key', project: 'P', name: 'n' }, environment: 'e', field: 'file' },
          },
        ],
      };
      const result = writeExport(evil, { outDir: out, force: true });
      expect(result).toMatchObject({ ok: false, reason: 'unsafe' });
      expect(existsSync(join(out, '..', 'escape.yaml'))).toBe(false);
    },
  );

  it('reports --out that is a file', () => {
    const root = tempTree({ 'file.txt': 'x' });
    const result = writeExport(plan(), { outDir: join(root, 'file.txt'), force: true });
    expect(result).toMatchObject({ ok: false, reason: 'unsafe' });
  });
});
