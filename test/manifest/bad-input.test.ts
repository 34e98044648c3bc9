// Every way a manifest tree can be wrong (issue 2's list), each as one row: the files, and the
// exact diagnostics expected (code, file, line, column, path). A row fails on a missing
// diagnostic and on any extra one, so noise is caught as well as silence.
import { execFileSync } from 'node:child_process';
import { chmodSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DiagnosticCode } from '../../src/diagnostics.js';
import { loadManifests, type LoadOptions } from '../../src/manifest/load.js';
import { tempTree } from '../support/tmp.js';
import { KEY, KEYSTORE, edit, keyNamed } from './fixtures.js';

interface Expected {
  code: DiagnosticCode;
  file: string;
  line: number;
  column: number;
  path?: string;
  severity?: 'error' | 'warning';
}

interface Case {
  name: string;
  files: Record<string, string | Uint8Array>;
  /** Runs in the tree before loading: symlinks, FIFOs, folders. */
  setup?: (dir: string) => void;
  paths?: string[];
  env?: Record<string, string>;
  options?: Partial<LoadOptions>;
  expect: Expected[];
}

const P12 = new Uint8Array([0x30, 0x82, 0x01, 0x00, 0x02, 0x01, 0x03]);
const ENV_ITEM = '      publicKey: QUJDRA==';

const cases: Case[] = [
  // YAML itself
  {
    name: 'YAML syntax error',
    files: { 'k.yaml': 'apiVersion: apinizer-gitops/v1\nkind: [Key\nmetadata: {}\n' },
    expect: [{ code: 'yaml-syntax', file: 'k.yaml', line: 3, column: 1 }],
  },
  {
    name: 'a tab used for indentation',
    files: { 'k.yaml': edit(KEY, '  keyType: RSA', '\tkeyType: RSA') },
    expect: [{ code: 'yaml-tab', file: 'k.yaml', line: 7, column: 1 }],
  },
  {
    name: 'a key repeated in one mapping',
    files: { 'k.yaml': edit(KEY, '  keyType: RSA\n', '  keyType: RSA\n  keyType: EC\n') },
    expect: [{ code: 'yaml-syntax', file: 'k.yaml', line: 8, column: 3 }],
  },
  {
    name: 'a document that is a list',
    files: { 'k.yaml': `${KEY}---\n- a\n- b\n` },
    expect: [{ code: 'not-a-mapping', file: 'k.yaml', line: 12, column: 1 }],
  },
  {
    name: 'a document that is a scalar',
    files: { 'k.yaml': `# a comment\njust some text\n` },
    expect: [{ code: 'not-a-mapping', file: 'k.yaml', line: 2, column: 1 }],
  },
  {
    name: 'an alias bomb',
    files: {
      'k.yaml':
        'a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n',
    },
    expect: [{ code: 'yaml-alias', file: 'k.yaml', line: 2, column: 8 }],
  },
  {
    name: 'custom tags (!!js/function, !!python/object, !custom)',
    files: {
      'k.yaml': edit(
        edit(
          edit(KEY, 'keyType: RSA', 'keyType: !!js/function "function () {}"'),
          'name: production',
          'name: !custom production',
        ),
        'publicKey: QUJDRA==',
        'publicKey: !!python/object:os.system QUJDRA==',
      ),
    },
    expect: [
      { code: 'yaml-tag', file: 'k.yaml', line: 7, column: 12 },
      { code: 'yaml-tag', file: 'k.yaml', line: 9, column: 13 },
      { code: 'yaml-tag', file: 'k.yaml', line: 10, column: 18 },
    ],
  },
  {
    // Deep nesting makes the parser recurse to the end of the stack, where V8 may abort the process.
    name: 'brackets nested thousands deep, in two files (once a crash)',
    files: {
      'a.yaml': `a: ${'['.repeat(20000)}${']'.repeat(20000)}\n`,
      'b.yaml': `a: ${'{x: '.repeat(5000)}1${'}'.repeat(5000)}\n`,
    },
    expect: [
      { code: 'yaml-syntax', file: 'a.yaml', line: 1, column: 68 },
      { code: 'yaml-syntax', file: 'b.yaml', line: 1, column: 260 },
    ],
  },
  {
    name: 'block nesting thousands deep on one line',
    files: { 'a.yaml': `${'- '.repeat(20000)}x\n`, 'b.yaml': `${'? '.repeat(20000)}x\n` },
    expect: [
      { code: 'yaml-syntax', file: 'a.yaml', line: 1, column: 259 },
      { code: 'yaml-syntax', file: 'b.yaml', line: 1, column: 259 },
    ],
  },
  {
    name: 'indentation hundreds of levels deep',
    files: { 'a.yaml': Array.from({ length: 300 }, (_, i) => `${'  '.repeat(i)}k${i}:`).join('\n') },
    expect: [{ code: 'yaml-syntax', file: 'a.yaml', line: 130, column: 258 }],
  },
  // kind and apiVersion
  {
    name: 'an unknown kind',
    files: { 'k.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n' },
    expect: [{ code: 'unknown-kind', file: 'k.yaml', line: 2, column: 1, path: 'kind' }],
  },
  {
    name: 'a document without kind',
    files: { 'k.yaml': '\n\nfoo: bar\n' },
    expect: [{ code: 'unknown-kind', file: 'k.yaml', line: 3, column: 1, path: 'kind' }],
  },
  {
    name: 'an unknown apiVersion',
    files: { 'k.yaml': edit(KEY, 'apinizer-gitops/v1', 'apinizer-gitops/v2') },
    expect: [{ code: 'unknown-kind', file: 'k.yaml', line: 1, column: 1, path: 'apiVersion' }],
  },
  // names and types
  {
    name: 'a missing name',
    files: { 'k.yaml': edit(KEY, '  name: payments-signing\n', '') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 4, column: 3, path: 'metadata.name' }],
  },
  {
    name: 'a malformed name',
    files: { 'k.yaml': edit(KEY, 'name: payments-signing', 'name: -payments signing') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 4, column: 3, path: 'metadata.name' }],
  },
  {
    name: 'a name longer than 128 characters',
    files: { 'k.yaml': edit(KEY, 'name: payments-signing', `name: ${'a'.repeat(129)}`) },
    expect: [{ code: 'schema', file: 'k.yaml', line: 4, column: 3, path: 'metadata.name' }],
  },
  {
    name: 'a wrong type',
    files: { 'k.yaml': edit(KEY, 'keyType: RSA', 'keyType: 5') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 7, column: 3, path: 'spec.keyType' }],
  },
  {
    name: 'spec as a list',
    files: {
      'k.yaml':
        'apiVersion: apinizer-gitops/v1\nkind: Key\nmetadata:\n  name: k\n  project: P\nspec:\n  - keyType: RSA\n',
    },
    expect: [{ code: 'schema', file: 'k.yaml', line: 6, column: 1, path: 'spec' }],
  },
  {
    name: 'an unknown field',
    files: { 'k.yaml': edit(KEY, '  keyType: RSA\n', '  keyType: RSA\n  foo: 1\n') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 8, column: 3, path: 'spec.foo' }],
  },
  {
    name: 'an unknown field inside a secret value',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: a.pem, mode: raw }') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 10, column: 37, path: 'spec.environments[0].publicKey.mode' }],
  },
  {
    name: 'a secret value of the wrong shape',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: [QUJDRA==]') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 10, column: 7, path: 'spec.environments[0].publicKey' }],
  },
  {
    name: 'a bad fromEnv encoding',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: PUB, encoding: hex }') },
    env: { PUB: 'QUJDRA==' },
    expect: [{ code: 'schema', file: 'k.yaml', line: 10, column: 34, path: 'spec.environments[0].publicKey.encoding' }],
  },
  // environments
  {
    name: 'empty environments',
    files: {
      'k.yaml': edit(
        KEY,
        '  environments:\n    - name: production\n      publicKey: QUJDRA==\n',
        '  environments: []\n',
      ),
    },
    expect: [{ code: 'schema', file: 'k.yaml', line: 8, column: 3, path: 'spec.environments' }],
  },
  {
    name: 'missing environments',
    files: { 'k.yaml': edit(KEY, '  environments:\n    - name: production\n      publicKey: QUJDRA==\n', '') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 7, column: 3, path: 'spec.environments' }],
  },
  {
    name: 'an empty environment name',
    files: { 'k.yaml': edit(KEY, 'name: production', 'name: ""') },
    expect: [{ code: 'schema', file: 'k.yaml', line: 9, column: 7, path: 'spec.environments[0].name' }],
  },
  {
    name: 'duplicate environment names',
    files: { 'k.yaml': `${KEY}    - name: test\n${ENV_ITEM}\n    - name: production\n${ENV_ITEM}\n` },
    expect: [{ code: 'duplicate-environment', file: 'k.yaml', line: 13, column: 7, path: 'spec.environments[2].name' }],
  },
  {
    // Over eight environments the check keeps a map of first places instead of scanning back.
    name: 'duplicate environment names in a long list',
    files: {
      'k.yaml': `${KEY}${Array.from({ length: 9 }, (_, i) => `    - name: e${i}\n${ENV_ITEM}\n`).join('')}    - name: production\n${ENV_ITEM}\n`,
    },
    expect: [
      { code: 'duplicate-environment', file: 'k.yaml', line: 29, column: 7, path: 'spec.environments[10].name' },
    ],
  },
  {
    name: 'a Key environment with no key',
    files: { 'k.yaml': `${KEY}    - name: test\n` },
    expect: [{ code: 'schema', file: 'k.yaml', line: 11, column: 7, path: 'spec.environments[1]' }],
  },
  {
    name: 'a keystore type other than JKS or PKCS12',
    files: { 'ks.yaml': edit(KEYSTORE, 'type: PKCS12', 'type: PEM'), 'partner.p12': P12 },
    expect: [{ code: 'schema', file: 'ks.yaml', line: 9, column: 7, path: 'spec.environments[0].type' }],
  },
  {
    name: 'a keystore environment without file',
    files: { 'ks.yaml': edit(KEYSTORE, '      file: { fromFile: partner.p12 }\n', '') },
    expect: [{ code: 'schema', file: 'ks.yaml', line: 8, column: 7, path: 'spec.environments[0].file' }],
  },
  // secret values
  {
    name: 'invalid inline base64',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: "QUJDRA=!"') },
    expect: [{ code: 'invalid-base64', file: 'k.yaml', line: 10, column: 7, path: 'spec.environments[0].publicKey' }],
  },
  {
    name: 'an inline PEM instead of base64',
    files: {
      'k.yaml': edit(
        KEY,
        'publicKey: QUJDRA==',
        'publicKey: |\n        -----BEGIN PUBLIC KEY-----\n        MFkw\n        -----END PUBLIC KEY-----',
      ),
    },
    expect: [{ code: 'invalid-base64', file: 'k.yaml', line: 10, column: 7, path: 'spec.environments[0].publicKey' }],
  },
  {
    name: 'fromFile missing',
    files: { 'ks.yaml': KEYSTORE },
    expect: [
      { code: 'file-not-found', file: 'ks.yaml', line: 10, column: 15, path: 'spec.environments[0].file.fromFile' },
    ],
  },
  {
    name: 'fromFile under a file (not a folder)',
    files: { 'ks.yaml': edit(KEYSTORE, 'partner.p12', 'partner.p12/inner'), 'partner.p12': P12 },
    expect: [
      { code: 'file-not-found', file: 'ks.yaml', line: 10, column: 15, path: 'spec.environments[0].file.fromFile' },
    ],
  },
  {
    name: 'fromFile outside the root',
    files: { 'm/ks.yaml': edit(KEYSTORE, 'partner.p12', '../partner.p12'), 'partner.p12': P12 },
    paths: ['m'],
    expect: [
      {
        code: 'file-outside-root',
        file: 'm/ks.yaml',
        line: 10,
        column: 15,
        path: 'spec.environments[0].file.fromFile',
      },
    ],
  },
  {
    name: 'fromFile as an absolute path outside the root',
    files: { 'ks.yaml': edit(KEYSTORE, 'partner.p12', '/etc/hostname') },
    expect: [{ code: 'file-outside-root', file: 'ks.yaml', line: 10, column: 15 }],
  },
  {
    name: 'fromFile through a symlink that leaves the root',
    files: { 'm/ks.yaml': KEYSTORE, 'outside.p12': P12 },
    setup: (dir) => symlinkSync(join(dir, 'outside.p12'), join(dir, 'm/partner.p12')),
    paths: ['m'],
    expect: [{ code: 'file-outside-root', file: 'm/ks.yaml', line: 10, column: 15 }],
  },
  {
    name: 'fromFile through a symlinked folder that leaves the root',
    files: { 'm/ks.yaml': edit(KEYSTORE, 'partner.p12', 'keys/partner.p12'), 'elsewhere/partner.p12': P12 },
    setup: (dir) => symlinkSync(join(dir, 'elsewhere'), join(dir, 'm/keys')),
    paths: ['m'],
    expect: [{ code: 'file-outside-root', file: 'm/ks.yaml', line: 10, column: 15 }],
  },
  {
    name: 'fromFile naming a directory',
    files: { 'ks.yaml': KEYSTORE, 'partner.p12/readme.txt': 'x' },
    expect: [{ code: 'file-is-directory', file: 'ks.yaml', line: 10, column: 15 }],
  },
  {
    // Tests run as root here, where chmod 000 stops nothing; a FIFO is a file that cannot be read as key material.
    name: 'fromFile unreadable (a FIFO)',
    files: { 'ks.yaml': KEYSTORE },
    setup: (dir) => execFileSync('mkfifo', [join(dir, 'partner.p12')]),
    expect: [{ code: 'file-unreadable', file: 'ks.yaml', line: 10, column: 15 }],
  },
  {
    name: 'fromFile naming an empty file',
    files: { 'ks.yaml': KEYSTORE, 'partner.p12': '' },
    expect: [{ code: 'file-unreadable', file: 'ks.yaml', line: 10, column: 15 }],
  },
  {
    name: 'fromEnv unset',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: PAYMENTS_PUB }') },
    expect: [
      { code: 'env-unset', file: 'k.yaml', line: 10, column: 20, path: 'spec.environments[0].publicKey.fromEnv' },
    ],
  },
  {
    name: 'fromEnv empty',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: PAYMENTS_PUB }') },
    env: { PAYMENTS_PUB: '' },
    expect: [{ code: 'env-unset', file: 'k.yaml', line: 10, column: 20 }],
  },
  {
    name: 'fromEnv holding invalid base64',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: PAYMENTS_PUB, encoding: base64 }') },
    env: { PAYMENTS_PUB: '-----BEGIN PUBLIC KEY-----' },
    expect: [{ code: 'invalid-base64', file: 'k.yaml', line: 10, column: 20 }],
  },
  {
    name: 'an inline private key (a warning, not an error)',
    files: { 'k.yaml': `${KEY}      privateKey: QUJDRA==\n` },
    expect: [{ code: 'inline-private-key', file: 'k.yaml', line: 11, column: 7, severity: 'warning' }],
  },
  // identity and project
  {
    name: 'a duplicate identity within one file',
    files: { 'k.yaml': `${KEY}---\n${KEY}` },
    expect: [{ code: 'duplicate-identity', file: 'k.yaml', line: 12, column: 1 }],
  },
  {
    name: 'a duplicate identity across files',
    files: { 'a/k.yaml': KEY, 'b/k.yml': KEY },
    expect: [{ code: 'duplicate-identity', file: 'b/k.yml', line: 1, column: 1 }],
  },
  {
    name: 'a duplicate identity through the default project',
    files: { 'a.yaml': edit(KEY, '  project: Payments\n', ''), 'b.yaml': KEY },
    options: { defaultProject: 'Payments' },
    expect: [{ code: 'duplicate-identity', file: 'b.yaml', line: 1, column: 1 }],
  },
  {
    name: 'a missing project with no default',
    files: { 'k.yaml': edit(KEY, '  project: Payments\n', '') },
    expect: [{ code: 'missing-project', file: 'k.yaml', line: 4, column: 3, path: 'metadata.project' }],
  },
  // files
  {
    name: 'a file over the size limit',
    files: { 'k.yaml': `${KEY}# ${'x'.repeat(200)}\n` },
    options: { maxFileBytes: 200 },
    expect: [{ code: 'file-too-large', file: 'k.yaml', line: 1, column: 1 }],
  },
  {
    name: 'a file over the default 1 MiB limit',
    files: { 'big.yaml': `${KEY}${'# padding\n'.repeat(110_000)}` },
    expect: [{ code: 'file-too-large', file: 'big.yaml', line: 1, column: 1 }],
  },
  {
    name: 'a binary file (NUL bytes)',
    files: { 'k.yaml': new Uint8Array([0x61, 0x3a, 0x00, 0x01, 0x02]) },
    expect: [{ code: 'binary-file', file: 'k.yaml', line: 1, column: 1 }],
  },
  {
    name: 'a file that is not UTF-8',
    files: { 'k.yaml': new Uint8Array([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a]) },
    expect: [{ code: 'binary-file', file: 'k.yaml', line: 1, column: 1 }],
  },
  {
    name: 'a PATH that does not exist',
    files: { 'k.yaml': KEY },
    paths: ['.', 'missing-folder'],
    expect: [{ code: 'path-not-found', file: 'missing-folder', line: 1, column: 1 }],
  },
  {
    name: 'a manifest named on the command line that is a FIFO',
    files: {},
    setup: (dir) => execFileSync('mkfifo', [join(dir, 'pipe.yaml')]),
    paths: ['pipe.yaml'],
    expect: [{ code: 'manifest-unreadable', file: 'pipe.yaml', line: 1, column: 1 }],
  },
  // many problems at once
  {
    name: 'many errors in several files, all reported and sorted by file and line',
    files: {
      'b.yaml': `${edit(KEY, 'keyType: RSA', 'keyType: rsa')}---\n${edit(keyNamed('other'), 'name: production', 'name: 7')}`,
      'a.yaml': edit(KEYSTORE, 'type: PKCS12', 'type: P12'),
      'c/d.yaml': 'kind: Key\n\tbad: tab\n',
    },
    // a.yaml's fromFile is not read: a document that fails its schema goes no further.
    expect: [
      { code: 'schema', file: 'a.yaml', line: 9, column: 7 },
      { code: 'schema', file: 'b.yaml', line: 7, column: 3 },
      { code: 'schema', file: 'b.yaml', line: 20, column: 7 },
      { code: 'yaml-tab', file: 'c/d.yaml', line: 2, column: 1 },
    ],
  },
];

describe('bad input: every problem is a diagnostic with file, line and column', () => {
  it.each(cases)('$name', async (c) => {
    const dir = tempTree(c.files);
    c.setup?.(dir);
    const result = await loadManifests(c.paths ?? ['.'], { cwd: dir, env: c.env ?? {}, ...c.options });
    const got = result.diagnostics.map((d) => ({
      code: d.code,
      file: d.file,
      line: d.line,
      column: d.column,
      ...(c.expect.some((e) => e.path !== undefined) ? { path: d.path } : {}),
      severity: d.severity,
    }));
    const want = c.expect.map((e) => ({
      code: e.code,
      file: e.file,
      line: e.line,
      column: e.column,
      ...(c.expect.some((x) => x.path !== undefined) ? { path: e.path ?? expect.any(String) } : {}),
      severity: e.severity ?? 'error',
    }));
    expect(got).toEqual(want);
    for (const d of result.diagnostics) {
      expect(d.message.length).toBeGreaterThan(10);
      expect(d.message).not.toMatch(/\n|at .*\.js:\d+/); // one line, no stack
    }
    if (c.expect.some((e) => (e.severity ?? 'error') === 'error')) expect(result.state).toBeNull();
    else expect(result.state).not.toBeNull();
  });

  it.skipIf(process.getuid?.() === 0)('reports a fromFile without read permission as unreadable', async () => {
    const dir = tempTree({ 'ks.yaml': KEYSTORE, 'partner.p12': P12 });
    chmodSync(join(dir, 'partner.p12'), 0o000);
    const result = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(result.diagnostics.map((d) => d.code)).toEqual(['file-unreadable']);
  });

  it('reports a problem in every document of a multi-document file, not only the first', async () => {
    const dir = tempTree({
      'k.yaml': [
        edit(keyNamed('a'), 'RSA', 'rsa'),
        edit(keyNamed('b'), 'RSA', 'rsa'),
        edit(keyNamed('c'), 'RSA', 'rsa'),
      ].join('---\n'),
    });
    const result = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(result.diagnostics.map((d) => d.line)).toEqual([7, 18, 29]);
  });

  it('names both places of a duplicate identity', async () => {
    const dir = tempTree({ 'a/k.yaml': KEY, 'b/k.yaml': `# comment\n${KEY}` });
    const result = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(result.diagnostics).toHaveLength(1);
    expect(result.diagnostics[0]).toMatchObject({
      file: 'b/k.yaml',
      line: 2,
      resource: 'Key Payments/payments-signing',
    });
    expect(result.diagnostics[0]!.message).toContain('a/k.yaml:1:1');
  });

  it('refuses a symlinked manifest folder loop without hanging', async () => {
    const dir = tempTree({ 'm/k.yaml': KEY });
    mkdirSync(join(dir, 'm/sub'));
    symlinkSync(join(dir, 'm'), join(dir, 'm/sub/loop'));
    writeFileSync(join(dir, 'm/sub/x.yaml'), keyNamed('x'));
    const result = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(result.diagnostics).toEqual([]);
    expect(result.files).toEqual(['m/k.yaml', 'm/sub/x.yaml']);
  });
});
