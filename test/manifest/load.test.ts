import { symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests } from '../../src/manifest/load.js';
import type { DesiredKey } from '../../src/kinds/key.js';
import type { DesiredKeystore } from '../../src/kinds/keystore.js';
import { tempTree } from '../support/tmp.js';
import { KEY, KEYSTORE, edit, keyNamed } from './fixtures.js';

const P12 = Buffer.from([0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]);

describe('loadManifests', () => {
  it('finds *.yaml and *.yml recursively, sorted, skipping dot-entries, node_modules and other files', async () => {
    const dir = tempTree({
      'm/b.yaml': keyNamed('b'),
      'm/a.yml': keyNamed('a'),
      'm/sub/c.YAML': keyNamed('c'),
      'm/.hidden.yaml': 'not: ours',
      'm/.git/config.yaml': 'not: ours',
      'm/node_modules/pkg/x.yaml': 'not: ours',
      'm/README.md': '# docs',
      'm/keys/k.pem': '-----BEGIN-----',
    });
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual(['m/a.yml', 'm/b.yaml', 'm/sub/c.YAML']);
    expect(r.documents).toBe(3);
    expect(r.resources).toBe(3);
    expect(r.state!.resources.map((x) => x.name)).toEqual(['a', 'b', 'c']);
  });

  it('accepts a file as PATH, and reads a file named twice only once', async () => {
    const dir = tempTree({ 'k.yaml': KEY, 'other.yaml': keyNamed('other') });
    const r = await loadManifests(['k.yaml', '.', './k.yaml'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toEqual(['k.yaml', 'other.yaml']);
  });

  it('resolves fromFile against the manifest folder, inside the root, also through symlinks that stay inside', async () => {
    const dir = tempTree({
      'm/stores/partner.yaml': edit(KEYSTORE, 'partner.p12', '../material/partner.p12'),
      'm/material/partner.p12': P12,
      'm/keys/k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: pub.pem }'),
      'm/material/real.pem': 'PUBLIC',
    });
    symlinkSync(join(dir, 'm/material/real.pem'), join(dir, 'm/keys/pub.pem'));
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    const [key, store] = r.state!.resources as [DesiredKey, DesiredKeystore];
    expect(key.environments[0]!.publicKey!.reveal()).toBe(Buffer.from('PUBLIC').toString('base64'));
    expect(store.environments[0]!.file.reveal()).toBe(P12.toString('base64'));
  });

  it('resolves fromFile inside a root given through a symlink (git-sync: current -> rev), and still refuses what leaves it', async () => {
    const dir = tempTree({
      'rev-1/stores/partner.yaml': edit(KEYSTORE, 'partner.p12', '../material/partner.p12'),
      'rev-1/material/partner.p12': P12,
      'rev-1/keys/k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: ../../secret.pem }'),
      'secret.pem': 'OUTSIDE',
    });
    symlinkSync(join(dir, 'rev-1'), join(dir, 'current'));
    for (const path of ['current', 'current/', 'current/stores/partner.yaml']) {
      const r = await loadManifests([path], { cwd: dir, env: {} });
      const codes = r.diagnostics.map((d) => `${d.code} ${d.file}:${d.line}`);
      if (path === 'current/stores/partner.yaml') {
        // A file PATH's root is its folder: the keystore's ../material is outside it, as without the link.
        expect(codes).toEqual(['file-outside-root current/stores/partner.yaml:10']);
      } else {
        // The keystore's file is inside the (linked) root; only the key's ../../secret.pem leaves it.
        expect(codes).toEqual(['file-outside-root current/keys/k.yaml:10']);
      }
    }
  });

  it('takes the folder of a file PATH as its root', async () => {
    const dir = tempTree({ 'm/ks.yaml': KEYSTORE, 'm/partner.p12': P12 });
    const r = await loadManifests(['m/ks.yaml'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    const outside = tempTree({ 'm/ks.yaml': edit(KEYSTORE, 'partner.p12', '../partner.p12'), 'partner.p12': P12 });
    const r2 = await loadManifests(['m/ks.yaml'], { cwd: outside, env: {} });
    expect(r2.diagnostics.map((d) => d.code)).toEqual(['file-outside-root']);
  });

  it('names files relative to the working directory, or absolute when outside it', async () => {
    const dir = tempTree({ 'm/k.yaml': edit(KEY, 'RSA', 'rsa') });
    const inside = await loadManifests(['k.yaml'], { cwd: join(dir, 'm'), env: {} });
    expect(inside.diagnostics[0]!.file).toBe('k.yaml');
    const elsewhere = tempTree({});
    const outside = await loadManifests([join(dir, 'm')], { cwd: elsewhere, env: {} });
    expect(outside.diagnostics[0]!.file).toBe(join(dir, 'm/k.yaml'));
  });

  it('treats empty files, BOM and CRLF as ordinary', async () => {
    const dir = tempTree({
      'empty.yaml': '',
      'comments.yaml': '# nothing yet\n',
      'crlf.yaml': `\uFEFF${KEY.replace(/\n/g, '\r\n')}`,
      'docs.yaml': `---\n---\n${keyNamed('second')}---\n`,
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.files).toHaveLength(4);
    expect(r.documents).toBe(2);
    expect(r.state!.resources.map((x) => x.name)).toEqual(['payments-signing', 'second']);
  });

  it('uses the default project and reports the projects named', async () => {
    const dir = tempTree({ 'a.yaml': edit(KEY, '  project: Payments\n', ''), 'b.yaml': keyNamed('b', 'Identity') });
    const r = await loadManifests(['.'], { cwd: dir, env: {}, defaultProject: 'Payments' });
    expect(r.diagnostics).toEqual([]);
    expect(r.state!.projects).toEqual(['Identity', 'Payments']);
  });

  it('returns warnings with a valid state', async () => {
    const dir = tempTree({ 'k.yaml': `${KEY}      privateKey: QUJDRA==\n` });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics.map((d) => d.severity)).toEqual(['warning']);
    expect(r.state).not.toBeNull();
  });

  it('reads one shared key file once for many manifests', async () => {
    const files: Record<string, string | Uint8Array> = { 'shared.p12': P12 };
    for (let i = 0; i < 30; i += 1)
      files[`ks${i}.yaml`] = edit(edit(KEYSTORE, 'partner-mtls', `store-${i}`), 'partner.p12', 'shared.p12');
    const dir = tempTree(files);
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.state!.resources).toHaveLength(30);
  });

  it('accepts a manifest file just under the size limit and refuses one just over it', async () => {
    const dir = tempTree({ 'k.yaml': KEY });
    const size = Buffer.byteLength(KEY);
    expect((await loadManifests(['.'], { cwd: dir, env: {}, maxFileBytes: size })).diagnostics).toEqual([]);
    expect(
      (await loadManifests(['.'], { cwd: dir, env: {}, maxFileBytes: size - 1 })).diagnostics.map((d) => d.code),
    ).toEqual(['file-too-large']);
  });
});
