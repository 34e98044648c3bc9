// `apinizer-gitops validate`: exit codes, both output formats, GitHub annotations, flags, and the
// promise that no secret value ever reaches stdout or stderr. In process through runCli; two tests
// spawn the built CLI (run `npm run build` first; `npm test` does).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCliHere, runCliProcess } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import { KEY, KEYSTORE, edit } from '../manifest/fixtures.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const HMAC = Buffer.from('demo webhook hmac, not a secret').toString('base64');

interface JsonOutput {
  formatVersion: number;
  valid: boolean;
  summary: { files: number; documents: number; resources: number; errors: number; warnings: number };
  diagnostics: {
    code: string;
    severity: string;
    message: string;
    file: string;
    line: number;
    column: number;
    path: string;
    resource?: string;
  }[];
}

describe('validate (real CLI)', () => {
  it('accepts examples/manifests: exit 0, a one-line summary, nothing on stderr', async () => {
    // Spawned: the end-to-end run of validate through the launcher and its real exit code.
    const run = await runCliProcess(['validate', 'examples/manifests'], {
      cwd: REPO,
      env: { PAYMENTS_WEBHOOK_HMAC: HMAC },
    });
    expect(run.stderr).toBe('');
    expect(run.stdout).toBe('4 files, 5 resources: valid\n');
    expect(run.code, run.stdout + run.stderr).toBe(0);
  });

  it('prints one line per problem and a summary, and exits 1', async () => {
    const dir = tempTree({
      'keys/a.yaml': edit(KEY, 'keyType: RSA', 'keyType: rsa'),
      'keys/b.yaml': `${KEY}      privateKey: QUJDRA==\n`,
      'stores/ks.yaml': KEYSTORE,
    });
    // The fixtures hold placeholder bytes, not key material: the material checks are tested below.
    const run = await runCliHere(['validate', '.', '--skip-material-checks'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stderr).toBe('');
    expect(run.stdout.split('\n')).toEqual([
      'keys/a.yaml:7:3 Key Payments/payments-signing: spec.keyType: must be an upper-case key type: PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY with content, or RSA, EC ... with publicKey/privateKey, not "rsa" [schema]',
      'keys/b.yaml:11:7 warning: Key Payments/payments-signing: spec.environments[0].privateKey: private key material is written in the manifest in clear; encrypt the file with SOPS (sops encrypt, see docs/secrets.md), or keep it out of Git with { fromFile: PATH } (a file not committed) or { fromEnv: NAME } [inline-private-key]',
      expect.stringMatching(
        /^stores\/ks\.yaml:10:15 Keystore Payments\/partner-mtls: spec\.environments\[0\]\.file\.fromFile: file "partner\.p12" does not exist.* \[file-not-found\]$/,
      ),
      '3 files, 3 resources: 2 errors, 1 warning',
      '',
    ]);
  });

  it('exits 0 with warnings only, and says so', async () => {
    const dir = tempTree({ 'k.yaml': `${KEY}      privateKey: QUJDRA==\n` });
    const run = await runCliHere(['validate', 'k.yaml', '--skip-material-checks'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(
      /^k\.yaml:11:7 warning: .*\[inline-private-key\]\n1 file, 1 resource: valid \(1 warning\)\n$/,
    );
  });

  it('--format json prints one JSON document', async () => {
    const dir = tempTree({
      'k.yaml': `${edit(KEY, 'keyType: RSA', 'keyType: 5')}---\n${edit(KEY, 'payments-signing', 'other')}`,
      'empty.yml': '',
    });
    const run = await runCliHere(['validate', '--format', 'json', '--skip-material-checks', '.'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    const out = JSON.parse(run.stdout) as JsonOutput;
    expect(out).toEqual({
      formatVersion: 1,
      valid: false,
      summary: { files: 2, documents: 2, resources: 2, errors: 1, warnings: 0 },
      diagnostics: [
        {
          code: 'schema',
          severity: 'error',
          message:
            'must be an upper-case key type: PRIVATE_KEY, PUBLIC_KEY or SECRET_KEY with content, or RSA, EC ... with publicKey/privateKey, not a number',
          file: 'k.yaml',
          line: 7,
          column: 3,
          path: 'spec.keyType',
          resource: 'Key Payments/payments-signing',
        },
      ],
    });
  });

  it('--format json on a valid tree says valid with an empty list', async () => {
    const run = await runCliHere(['validate', 'examples/manifests', '--format', 'json'], {
      cwd: REPO,
      env: { PAYMENTS_WEBHOOK_HMAC: HMAC },
    });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    const out = JSON.parse(run.stdout) as JsonOutput;
    expect(out).toMatchObject({
      formatVersion: 1,
      valid: true,
      summary: { files: 4, documents: 5, resources: 5, errors: 0, warnings: 0 },
      diagnostics: [],
    });
  });

  it('with GITHUB_ACTIONS=true adds annotations: on stdout for text, on stderr for json', async () => {
    const dir = tempTree({ 'k.yaml': edit(KEY, 'keyType: RSA', 'keyType: rsa') });
    const text = await runCliHere(['validate', '.'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(text.stdout).toContain(
      '\n::error file=k.yaml,line=7,col=3::Key Payments/payments-signing: spec.keyType: must be',
    );
    expect(text.stderr).toBe('');
    const json = await runCliHere(['validate', '--format', 'json', '.'], { cwd: dir, env: { GITHUB_ACTIONS: 'true' } });
    expect(() => JSON.parse(json.stdout) as unknown).not.toThrow();
    expect(json.stderr).toMatch(/^::error file=k\.yaml,line=7,col=3::/);
    const plain = await runCliHere(['validate', '.'], { cwd: dir });
    expect(plain.stdout).not.toContain('::error');
  });

  it('takes the default project from --project, else APINIZER_PROJECT', async () => {
    const dir = tempTree({ 'k.yaml': edit(KEY, '  project: Payments\n', '') });
    const none = await runCliHere(['validate', '.'], { cwd: dir });
    expect(none.code, none.stdout + none.stderr).toBe(1);
    expect(none.stdout).toContain('[missing-project]');
    expect((await runCliHere(['validate', '.', '--project', 'Payments'], { cwd: dir })).code).toBe(0);
    const fromEnv = await runCliHere(['validate', '.', '--format', 'json'], {
      cwd: dir,
      env: { APINIZER_PROJECT: 'Identity' },
    });
    expect(fromEnv.code, fromEnv.stdout + fromEnv.stderr).toBe(0);
  });

  it('limits the manifest size with --max-file-size or APINIZER_MAX_FILE_BYTES', async () => {
    const dir = tempTree({ 'k.yaml': KEY });
    const flag = await runCliHere(['validate', '.', '--max-file-size', '100'], { cwd: dir });
    expect(flag.code, flag.stdout + flag.stderr).toBe(1);
    expect(flag.stdout).toMatch(
      /^k\.yaml:1:1 is \d+ bytes, over the 100 bytes limit .*--max-file-size.* \[file-too-large\]$/m,
    );
    const env = await runCliHere(['validate', '.'], { cwd: dir, env: { APINIZER_MAX_FILE_BYTES: '100' } });
    expect(env.stdout).toContain('[file-too-large]');
    const both = await runCliHere(['validate', '.', '--max-file-size', '100000'], {
      cwd: dir,
      env: { APINIZER_MAX_FILE_BYTES: '100' },
    });
    expect(both.code, both.stdout + both.stderr).toBe(0);
    const bad = await runCliHere(['validate', '.', '--max-file-size', '1MB'], { cwd: dir });
    expect(bad.code, bad.stdout + bad.stderr).toBe(1);
    expect(bad.stderr).toContain('--max-file-size must be a whole number of bytes');
  });

  it('refuses a missing PATH, an unknown format and an unknown flag as usage errors', async () => {
    // The first run is spawned: a usage error exits 1 from the real binary.
    const none = await runCliProcess(['validate']);
    expect(none.code, none.stdout + none.stderr).toBe(1);
    expect(none.stderr).toMatch(/give at least one PATH.*--help/);
    const format = await runCliHere(['validate', '.', '--format', 'yaml'], { cwd: REPO });
    expect(format.code, format.stdout + format.stderr).toBe(1);
    expect(format.stderr).toContain('--format must be text or json');
    const flag = await runCliHere(['validate', '.', '--frobnicate'], { cwd: REPO });
    expect(flag.code, flag.stdout + flag.stderr).toBe(1);
    expect(flag.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('reports a PATH that does not exist', async () => {
    const dir = tempTree({});
    const run = await runCliHere(['validate', 'nowhere'], { cwd: dir });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toContain('nowhere:1:1 no such file or directory: nowhere');
    expect(run.stdout).toContain('[path-not-found]');
  });

  it('lists its flags in --help', async () => {
    const run = await runCliHere(['validate', '--help']);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    for (const flag of ['--project', '--format', '--max-file-size', 'APINIZER_MAX_FILE_BYTES', 'GITHUB_ACTIONS'])
      expect(run.stdout).toContain(flag);
  });
});

// ---------------------------------------------------------------------------------------------
// No secret leaks, whatever the error.

/** Distinctive secret texts; each is searched for as text and as base64 (whole and prefix). */
const S = {
  file: 'SECRETFILE-3c9e-material-from-a-key-file',
  envB64: 'SECRETENVB64-71aa-material-in-base64-var',
  envUtf8: '-----BEGIN PRIVATE KEY-----\nSECRETENVUTF8-22bd\n-----END PRIVATE KEY-----\n',
  envNotB64: 'SECRETENVBAD-90ff-not!base64!at!all',
  inlinePriv: 'SECRETINLINE-5e1c-private-key-material',
  inlineBad: 'SECRETINLINEBAD-aa01!!!',
  syntax: 'SECRETSYNTAX-0b7d-in-a-broken-line',
  tag: 'SECRETTAG-c4f2-behind-a-custom-tag',
  tab: 'SECRETTAB-8d33-on-a-tab-indented-line',
  unknown: 'SECRETUNKNOWN-1f0e-in-an-unknown-field',
  list: 'SECRETLIST-6a6a-in-a-list',
  alias: 'SECRETALIAS-77e0-anchored',
  keystore: 'SECRETSTORE-4b4b-keystore-bytes',
  key: 'SECRETKEYNAME-de11',
};
const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

function needles(): string[] {
  const out: string[] = [];
  for (const text of Object.values(S)) {
    const enc = b64(text);
    out.push(text, enc, text.slice(0, 18), enc.slice(0, 18));
  }
  out.push(S.envNotB64, S.inlineBad);
  return out;
}

const leakCases: {
  name: string;
  files: Record<string, string | Uint8Array>;
  env?: Record<string, string>;
  setup?: (dir: string) => void;
}[] = [
  {
    name: 'valid secrets next to a schema error elsewhere',
    files: {
      'good.yaml': `${edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: key.pem }')}      privateKey: { fromEnv: PRIV }\n    - name: test\n      privateKey: { fromEnv: PEM, encoding: utf8 }\n    - name: staging\n      privateKey: ${b64(S.inlinePriv)}\n`,
      'key.pem': S.file,
      'bad.yaml': edit(KEY, 'keyType: RSA', 'keyType: 5'),
    },
    env: { PRIV: b64(S.envB64), PEM: S.envUtf8 },
  },
  {
    name: 'fromEnv that is not base64',
    files: { 'k.yaml': edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromEnv: BAD }') },
    env: { BAD: S.envNotB64 },
  },
  {
    name: 'inline value that is not base64, and an inline PEM',
    files: {
      'k.yaml': `${edit(KEY, 'publicKey: QUJDRA==', `publicKey: "${S.inlineBad}"`)}      privateKey: |\n        ${S.envUtf8.replace(/\n/g, '\n        ')}\n`,
    },
  },
  {
    name: 'a YAML syntax error on the line holding a secret',
    files: {
      'k.yaml': edit(KEY, 'publicKey: QUJDRA==', `publicKey: "${b64(S.syntax)}\n      privateKey: [${b64(S.syntax)}`),
    },
  },
  {
    name: 'a custom tag on a secret',
    files: {
      'k.yaml': edit(
        KEY,
        'publicKey: QUJDRA==',
        `publicKey: !!binary ${b64(S.tag)}\n      privateKey: !secret ${b64(S.tag)}`,
      ),
    },
  },
  {
    name: 'a tab before a secret',
    files: { 'k.yaml': edit(KEY, '      publicKey: QUJDRA==', `\t  publicKey: ${b64(S.tab)}`) },
  },
  {
    name: 'a secret in an unknown field and as an unknown field name',
    files: {
      'k.yaml': edit(
        KEY,
        'publicKey: QUJDRA==',
        `publicKey: { fromFile: key.pem, value: ${b64(S.unknown)} }\n      ${b64(S.unknown)}: x`,
      ),
      'key.pem': S.file,
    },
  },
  {
    name: 'a secret of the wrong type',
    files: {
      'k.yaml': edit(
        KEY,
        'publicKey: QUJDRA==',
        `publicKey: [${b64(S.list)}]\n      privateKey: { v: ${b64(S.list)} }`,
      ),
    },
  },
  {
    name: 'an alias bomb built from a secret',
    files: {
      'k.yaml': `a: &a [${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}, ${b64(S.alias)}]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n`,
    },
  },
  {
    name: 'duplicate environments and identities carrying secrets',
    files: {
      'a.yaml': `${edit(KEYSTORE, 'file: { fromFile: partner.p12 }', `file: ${b64(S.keystore)}`)}    - name: production\n      type: JKS\n      file: ${b64(S.keystore)}\n`,
      'b.yaml': `${edit(KEY, 'publicKey: QUJDRA==', `publicKey: ${b64(S.inlinePriv)}`)}---\n${edit(KEY, 'publicKey: QUJDRA==', `privateKey: ${b64(S.inlinePriv)}`)}`,
    },
  },
  {
    name: 'a missing project on a resource full of secrets',
    files: {
      'k.yaml': edit(
        edit(KEY, '  project: Payments\n', ''),
        'publicKey: QUJDRA==',
        `publicKey: ${b64(S.inlinePriv)}\n      privateKey: { fromFile: key.pem }`,
      ),
      'key.pem': S.file,
    },
  },
  {
    name: 'fromFile targets that cannot be used',
    files: {
      'm/k.yaml': `${edit(KEY, 'publicKey: QUJDRA==', 'publicKey: { fromFile: ../outside.pem }')}    - name: test\n      publicKey: { fromFile: link.pem }\n    - name: staging\n      publicKey: { fromFile: fifo.pem }\n`,
      'outside.pem': S.file,
    },
    setup: (dir) => {
      execFileSync('ln', ['-s', join(dir, 'outside.pem'), join(dir, 'm/link.pem')]);
      execFileSync('mkfifo', [join(dir, 'm/fifo.pem')]);
    },
  },
  {
    name: 'a secret in a document that is not ours, and in a binary file',
    files: {
      'k.yaml': `apiVersion: v1\nkind: Secret\ndata:\n  key: ${b64(S.key)}\n---\n- ${b64(S.key)}\n---\n${b64(S.key)}\n`,
      'b.yaml': Buffer.concat([Buffer.from(`privateKey: ${b64(S.key)}\n`), Buffer.from([0, 1, 2])]),
    },
  },
  {
    name: 'a manifest over the size limit holding a secret',
    files: {
      'k.yaml': `${edit(KEY, 'publicKey: QUJDRA==', `publicKey: ${b64(S.inlinePriv)}`)}# ${'x'.repeat(2000)}\n`,
    },
  },
];

function expectNoSecret(output: string): void {
  for (const needle of needles()) {
    if (output.includes(needle)) throw new Error(`secret ${JSON.stringify(needle)} leaked in:\n${output}`);
  }
}

describe('validate never prints a secret', () => {
  // Each case alone, as text with GitHub annotations (every message printed twice)...
  it.each(leakCases)('$name', async (c) => {
    const dir = tempTree(c.files);
    c.setup?.(dir);
    const run = await runCliHere(['validate', '.'], {
      cwd: dir,
      env: { ...c.env, GITHUB_ACTIONS: 'true', APINIZER_MAX_FILE_BYTES: '2000' },
    });
    expect(run.code, run.stdout + run.stderr).toBe(1); // every case holds at least one error: the output is the error path
    expectNoSecret(run.stdout + run.stderr);
  });

  // ...and all of them together, once per output format.
  it.each(['text', 'json'])('all cases at once, --format %s', async (format) => {
    const files: Record<string, string | Uint8Array> = {};
    const env: Record<string, string> = { GITHUB_ACTIONS: 'true', APINIZER_MAX_FILE_BYTES: '2000' };
    leakCases.forEach((c, i) => {
      for (const [name, content] of Object.entries(c.files)) files[`case${i}/${name}`] = content;
      Object.assign(env, c.env);
    });
    const dir = tempTree(files);
    leakCases.forEach((c, i) => c.setup?.(join(dir, `case${i}`)));
    const run = await runCliHere(['validate', '.', '--format', format], { cwd: dir, env });
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout.split('\n').length).toBeGreaterThan(30);
    expectNoSecret(run.stdout + run.stderr);
  });
});
