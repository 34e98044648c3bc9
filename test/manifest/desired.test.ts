import { describe, expect, it } from 'vitest';
import {
  buildDesiredState,
  fileReference,
  fileReferences,
  type FileSecret,
  type ManifestSource,
} from '../../src/manifest/desired.js';
import { parseManifestText } from '../../src/manifest/parse.js';
import { validateDocument } from '../../src/manifest/validate.js';
import type { DesiredKey } from '../../src/kinds/key.js';
import type { DesiredKeystore } from '../../src/kinds/keystore.js';
import { SENSITIVE } from '../../src/secret.js';
import { KEY, KEYSTORE, edit, keyNamed } from './fixtures.js';

const ROOT = '/repo/manifests';

/** Schema-valid sources from manifest texts, as if found at `file` under ROOT. */
function sources(...docs: [file: string, text: string][]): ManifestSource[] {
  return docs.flatMap(([file, text]) => {
    const parsed = parseManifestText(text, file);
    expect(parsed.diagnostics).toEqual([]);
    return parsed.documents.map((document) => {
      const r = validateDocument(document);
      expect(r.diagnostics).toEqual([]);
      return { document, manifest: r.manifest!, dir: `${ROOT}/${file}`.replace(/\/[^/]*$/, ''), root: ROOT };
    });
  });
}

function build(
  srcs: ManifestSource[],
  extra: { env?: NodeJS.ProcessEnv; defaultProject?: string; files?: Map<string, FileSecret> } = {},
) {
  return buildDesiredState({
    manifests: srcs,
    env: extra.env ?? {},
    files: extra.files ?? new Map(),
    ...(extra.defaultProject ? { defaultProject: extra.defaultProject } : {}),
  });
}

describe('buildDesiredState', () => {
  it('builds a Key with description defaulted to empty and its source position', () => {
    const out = build(sources(['keys/payments.yaml', `# header\n${KEY}`]));
    expect(out.diagnostics).toEqual([]);
    const key = out.state.resources[0] as DesiredKey;
    expect(key).toMatchObject({
      kind: 'Key',
      project: 'Payments',
      name: 'payments-signing',
      description: '',
      keyType: 'RSA',
      source: { file: 'keys/payments.yaml', line: 2, column: 1 },
    });
    expect(key.environments[0]!.publicKey!.reveal()).toBe('QUJDRA==');
    expect(key.environments[0]!.privateKey).toBeUndefined();
    expect(key.updateReferencedJwks).toBeUndefined();
    expect(out.state.projects).toEqual(['Payments']);
  });

  it('keeps updateReferencedJwks and the description', () => {
    const text = edit(
      KEY,
      '  keyType: RSA',
      '  keyType: RSA\n  description: Signs callbacks\n  updateReferencedJwks: ALL_PROJECTS',
    );
    const key = build(sources(['k.yaml', text])).state.resources[0]!;
    expect(key).toMatchObject({ description: 'Signs callbacks', updateReferencedJwks: 'ALL_PROJECTS' });
  });

  it('removes whitespace from inline base64 and wraps every secret', () => {
    const text = edit(KEY, 'publicKey: QUJDRA==', 'publicKey: |\n        QUJD\n        RA==');
    const key = build(sources(['k.yaml', text])).state.resources[0] as DesiredKey;
    const pub = key.environments[0]!.publicKey!;
    expect(pub.reveal()).toBe('QUJDRA==');
    expect(String(pub)).toBe(SENSITIVE);
    expect(JSON.stringify(key)).not.toContain('QUJDRA');
  });

  it('reads fromEnv as base64 by default and encodes utf8 text', () => {
    const text = edit(
      KEY,
      'publicKey: QUJDRA==',
      'publicKey: { fromEnv: PUB }\n      privateKey: { fromEnv: PEM, encoding: utf8 }',
    );
    const pem = '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n';
    const out = build(sources(['k.yaml', text]), { env: { PUB: ' QUJD\nRA== ', PEM: pem } });
    expect(out.diagnostics).toEqual([]);
    const env = (out.state.resources[0] as DesiredKey).environments[0]!;
    expect(env.publicKey!.reveal()).toBe('QUJDRA==');
    expect(Buffer.from(env.privateKey!.reveal(), 'base64').toString('utf8')).toBe(pem);
  });

  it('takes fromFile contents from the files read, keyed by root and resolved path', () => {
    const srcs = sources(['stores/partner.yaml', KEYSTORE]);
    const ref = fileReference(srcs[0]!, 'partner.p12');
    expect(ref.target).toBe(`${ROOT}/stores/partner.p12`);
    expect(fileReferences(srcs)).toEqual([ref]);
    const out = build(srcs, { files: new Map([[ref.key, { ok: true, base64: 'MIIB' }]]) });
    expect(out.diagnostics).toEqual([]);
    expect((out.state.resources[0] as DesiredKeystore).environments[0]!.file.reveal()).toBe('MIIB');
  });

  it('turns a failed file read into a diagnostic at the fromFile key', () => {
    const srcs = sources(['ks.yaml', KEYSTORE]);
    const ref = fileReference(srcs[0]!, 'partner.p12');
    const out = build(srcs, {
      files: new Map([[ref.key, { ok: false, code: 'file-not-found', message: 'does not exist' }]]),
    });
    expect(out.diagnostics).toMatchObject([
      {
        code: 'file-not-found',
        line: 10,
        column: 15,
        path: 'spec.environments[0].file.fromFile',
        message: 'file "partner.p12" does not exist',
      },
    ]);
  });

  it('uses the default project when a manifest has none, and says how to give one when there is none', () => {
    const srcs = sources(['k.yaml', edit(KEY, '  project: Payments\n', '')]);
    expect(build(srcs, { defaultProject: 'Identity' }).state.resources[0]!.project).toBe('Identity');
    const out = build(srcs);
    expect(out.diagnostics).toMatchObject([{ code: 'missing-project', line: 4, column: 3, path: 'metadata.project' }]);
    expect(out.diagnostics[0]!.message).toMatch(/metadata\.project.*--project.*APINIZER_PROJECT/);
  });

  it('lets the manifest project win over the default', () => {
    const out = build(sources(['k.yaml', KEY]), { defaultProject: 'Identity' });
    expect(out.state.resources[0]!.project).toBe('Payments');
  });

  it('reports a duplicate identity at the later place, naming the earlier one', () => {
    const out = build(sources(['a.yaml', KEY], ['b.yaml', `\n\n${KEY}`]));
    expect(out.diagnostics).toHaveLength(1);
    expect(out.diagnostics[0]).toMatchObject({ code: 'duplicate-identity', file: 'b.yaml', line: 3, column: 1 });
    expect(out.diagnostics[0]!.message).toContain('a.yaml:1:1');
  });

  it('treats the same name in another project or kind as another resource', () => {
    const ks = edit(KEYSTORE, 'partner-mtls', 'payments-signing');
    const srcs = sources(['a.yaml', KEY], ['b.yaml', keyNamed('payments-signing', 'Identity')], ['c.yaml', ks]);
    const ref = fileReference(srcs[2]!, 'partner.p12');
    const out = build(srcs, { files: new Map([[ref.key, { ok: true, base64: 'MIIB' }]]) });
    expect(out.diagnostics).toEqual([]);
    expect(out.state.resources.map((r) => `${r.kind} ${r.project}/${r.name}`)).toEqual([
      'Key Identity/payments-signing',
      'Key Payments/payments-signing',
      'Keystore Payments/payments-signing',
    ]);
    expect(out.state.projects).toEqual(['Identity', 'Payments']);
  });

  it('sorts resources by kind order, project and name', () => {
    const srcs = sources(
      ['z.yaml', keyNamed('b', 'B')],
      ['y.yaml', keyNamed('a', 'B')],
      ['x.yaml', keyNamed('z', 'A')],
    );
    expect(build(srcs).state.resources.map((r) => `${r.project}/${r.name}`)).toEqual(['A/z', 'B/a', 'B/b']);
  });

  it('warns, without failing, about an inline private key', () => {
    const out = build(sources(['k.yaml', `${KEY}      privateKey: QUJDRA==\n`]));
    expect(out.diagnostics).toMatchObject([{ code: 'inline-private-key', severity: 'warning', line: 11, column: 7 }]);
    expect((out.state.resources[0] as DesiredKey).environments[0]!.privateKey!.reveal()).toBe('QUJDRA==');
  });

  it('never puts a secret value into a message', () => {
    const text = edit(KEY, 'publicKey: QUJDRA==', 'publicKey: "U0VDUkVU!"\n      privateKey: { fromEnv: BAD }');
    const out = build(sources(['k.yaml', text]), { env: { BAD: 'TOP-SECRET-VALUE' } });
    expect(out.diagnostics.map((d) => d.code)).toEqual(['invalid-base64', 'invalid-base64']);
    for (const d of out.diagnostics) {
      expect(d.message).not.toContain('U0VDUkVU');
      expect(d.message).not.toContain('TOP-SECRET');
    }
  });
});
