import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import fc from 'fast-check';
import {
  buildExportPlan,
  envVariableName,
  safeSegment,
  SECRETS_GITIGNORE,
  yamlScalar,
  type ExportFile,
  type ExportRenderOptions,
} from '../../src/export/render.js';
import { Secret } from '../../src/secret.js';
import {
  aCurrentKey,
  aCurrentKeystore,
  keystoreFileFor,
  privateKeyFor,
  publicKeyFor,
  secretNeedles,
} from '../support/builders.js';

const fileOptions: ExportRenderOptions = { secrets: 'file', schemaRef: (kind, folder) => `SCHEMA/${kind}/${folder}` };
const envOptions: ExportRenderOptions = { ...fileOptions, secrets: 'env' };

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- parsed YAML, asserted structurally
function manifest(files: ExportFile[], path: string): { text: string; doc: Record<string, any> } {
  const f = files.find((x) => x.path === path);
  if (!f || f.type !== 'manifest') throw new Error(`no manifest ${path}; have ${files.map((x) => x.path).join(', ')}`);
  return { text: f.content, doc: parse(f.content) };
}

describe('buildExportPlan', () => {
  it('writes one manifest per resource in the tidy layout, schema line first, environments sorted by name', () => {
    const key = aCurrentKey({
      environments: [
        { name: 'test', publicKey: publicKeyFor('test') },
        { name: 'production', publicKey: publicKeyFor('production'), privateKey: privateKeyFor('production') },
      ],
    });
    const plan = buildExportPlan([aCurrentKeystore(), key], fileOptions);
    expect(plan.files.map((f) => f.path)).toEqual([
      'secrets/Payments/keys/payments-signing.production.publicKey',
      'secrets/Payments/keys/payments-signing.production.privateKey',
      'secrets/Payments/keys/payments-signing.test.publicKey',
      'Payments/keys/payments-signing.yaml',
      'secrets/Payments/keystores/partner-mtls.production.file',
      'Payments/keystores/partner-mtls.yaml',
      'secrets/.gitignore',
    ]);
    const { text, doc } = manifest(plan.files, 'Payments/keys/payments-signing.yaml');
    expect(text.split('\n')[0]).toBe('# yaml-language-server: $schema=SCHEMA/Key/Payments/keys');
    expect(doc).toEqual({
      apiVersion: 'apinizer-gitops/v1',
      kind: 'Key',
      metadata: { name: 'payments-signing', project: 'Payments' },
      spec: {
        description: 'Signs payment callbacks',
        keyType: 'RSA',
        environments: [
          {
            name: 'production',
            publicKey: { fromFile: '../../secrets/Payments/keys/payments-signing.production.publicKey' },
            privateKey: { fromFile: '../../secrets/Payments/keys/payments-signing.production.privateKey' },
          },
          { name: 'test', publicKey: { fromFile: '../../secrets/Payments/keys/payments-signing.test.publicKey' } },
        ],
      },
    });
    // Secret references in flow style, as the SPEC shows them.
    expect(text).toContain('publicKey: { fromFile: ../../secrets/Payments/keys/payments-signing.test.publicKey }');
    const keystore = manifest(plan.files, 'Payments/keystores/partner-mtls.yaml').doc;
    expect(keystore.spec.environments).toEqual([
      {
        name: 'production',
        type: 'PKCS12',
        file: { fromFile: '../../secrets/Payments/keystores/partner-mtls.production.file' },
      },
    ]);
    expect(plan.counts).toEqual({ Key: 1, Keystore: 1 });
    expect(plan.incomplete).toEqual([]);
    expect(plan.files.find((f) => f.type === 'gitignore')).toMatchObject({ content: SECRETS_GITIGNORE });
  });

  it('keeps the secret value wrapped (never in manifest text) and carries the exact base64 the API sent', () => {
    const plan = buildExportPlan([aCurrentKeystore()], fileOptions);
    const secret = plan.files.find((f) => f.type === 'secret');
    expect(secret?.type === 'secret' && secret.value.reveal()).toBe(keystoreFileFor('production').reveal());
    const printed =
      JSON.stringify(plan) + plan.files.map((f) => (f.type === 'secret' ? `${String(f.value)}` : f.content)).join('\n');
    for (const needle of secretNeedles()) expect(printed).not.toContain(needle);
  });

  it('omits an empty description and quotes values YAML would otherwise read as other types', () => {
    const plan = buildExportPlan(
      [
        aCurrentKey({ name: 'k1', description: '' }),
        aCurrentKey({ name: 'k2', description: 'yes' }),
        aCurrentKey({ name: 'k3', description: 'line one\nline: two #x' }),
      ],
      fileOptions,
    );
    expect(manifest(plan.files, 'Payments/keys/k1.yaml').doc.spec).not.toHaveProperty('description');
    expect(manifest(plan.files, 'Payments/keys/k2.yaml').doc.spec.description).toBe('yes');
    expect(manifest(plan.files, 'Payments/keys/k3.yaml').doc.spec.description).toBe('line one\nline: two #x');
  });

  it('with --secrets env references generated variables, unique and listed in order, and writes no secret files', () => {
    const plan = buildExportPlan(
      [aCurrentKey({ name: 'a-b' }), aCurrentKey({ name: 'a.b' }), aCurrentKeystore({ name: 'a-b' })],
      envOptions,
    );
    expect(plan.files.every((f) => f.type === 'manifest')).toBe(true);
    expect(plan.variables.map((v) => v.variable)).toEqual([
      'APINIZER_PAYMENTS_A_B_PRODUCTION_PUBLIC_KEY',
      'APINIZER_PAYMENTS_A_B_PRODUCTION_PRIVATE_KEY',
      'APINIZER_PAYMENTS_A_B_TEST_PUBLIC_KEY',
      'APINIZER_PAYMENTS_A_B_PRODUCTION_PUBLIC_KEY_2',
      'APINIZER_PAYMENTS_A_B_PRODUCTION_PRIVATE_KEY_2',
      'APINIZER_PAYMENTS_A_B_TEST_PUBLIC_KEY_2',
      'APINIZER_PAYMENTS_A_B_PRODUCTION_FILE',
    ]);
    expect(manifest(plan.files, 'Payments/keys/a.b.yaml').doc.spec.environments[0].privateKey).toEqual({
      fromEnv: 'APINIZER_PAYMENTS_A_B_PRODUCTION_PRIVATE_KEY_2',
    });
    expect(plan.variables[0]).toMatchObject({
      environment: 'production',
      field: 'publicKey',
      masked: false,
      resource: { name: 'a-b' },
    });
  });

  it.each([
    ['file', 'put the key material (raw bytes) in secrets/Payments/keys/payments-signing.production.privateKey'],
    ['env', 'set APINIZER_PAYMENTS_PAYMENTS_SIGNING_PRODUCTION_PRIVATE_KEY to its base64'],
  ] as const)(
    'a masked secret (--secrets %s) is referenced but not exported, and reported as incomplete',
    (secrets, fix) => {
      const key = aCurrentKey({
        environments: [{ name: 'production', publicKey: publicKeyFor('production'), privateKey: 'masked' }],
      });
      const plan = buildExportPlan([key], { ...fileOptions, secrets });
      expect(plan.incomplete).toHaveLength(1);
      expect(plan.incomplete[0]?.message).toBe(
        `Key Payments/payments-signing environment production privateKey: not exported (the server masks it); ${fix} before running plan`,
      );
      expect(plan.files.filter((f) => f.type === 'secret').map((f) => f.path)).toEqual(
        secrets === 'file' ? ['secrets/Payments/keys/payments-signing.production.publicKey'] : [],
      );
      const env = manifest(plan.files, 'Payments/keys/payments-signing.yaml').doc.spec.environments[0];
      expect(env.privateKey).toEqual(
        secrets === 'file'
          ? { fromFile: '../../secrets/Payments/keys/payments-signing.production.privateKey' }
          : { fromEnv: 'APINIZER_PAYMENTS_PAYMENTS_SIGNING_PRODUCTION_PRIVATE_KEY' },
      );
    },
  );

  it('asks for a private key when the server reports a Key environment with no key material at all', () => {
    const plan = buildExportPlan([aCurrentKey({ environments: [{ name: 'production' }] })], fileOptions);
    expect(plan.incomplete.map((i) => i.slot.field)).toEqual(['privateKey']);
    expect(plan.incomplete[0]?.message).toContain('the server has none, but the manifest needs one');
  });

  it('warns about a non-canonical base64 value (the file round trip would change its text)', () => {
    const key = aCurrentKey({ environments: [{ name: 'production', publicKey: new Secret('QR==') }] });
    expect(buildExportPlan([key], fileOptions).warnings[0]).toContain('not in canonical form');
    expect(buildExportPlan([key], envOptions).warnings).toEqual([]);
  });

  it('writes a keystore type the server echoes in another case as JKS / PKCS12, so the export validates and plans no change', () => {
    const store = aCurrentKeystore({
      environments: [
        { name: 'production', type: 'pkcs12', file: keystoreFileFor('p') },
        { name: 'test', type: 'Jks', file: keystoreFileFor('t') },
        { name: 'uat', type: 'PEM', file: keystoreFileFor('u') },
      ],
    });
    const plan = buildExportPlan([store], fileOptions);
    const environments = manifest(plan.files, 'Payments/keystores/partner-mtls.yaml').doc.spec.environments;
    expect(environments.map((e: { type: string }) => e.type)).toEqual(['PKCS12', 'JKS', 'PEM']);
    // Only a type that is neither, in any case, is warned about.
    expect(plan.warnings).toEqual([
      'Keystore Payments/partner-mtls: environment uat: keystore type "PEM" is not JKS or PKCS12; the manifest will not validate until it is corrected',
    ]);
  });

  it('makes safe, unique file names from project and environment names the server allows, each from its own name', () => {
    const plan = buildExportPlan(
      [
        aCurrentKeystore({
          project: '../My Project',
          name: 'Store',
          environments: [
            { name: 'a/b', type: 'JKS', file: keystoreFileFor('x') },
            { name: 'a_b', type: 'JKS', file: keystoreFileFor('y') },
          ],
        }),
        aCurrentKeystore({
          project: '../My Project',
          name: 'store',
          environments: [{ name: 'p', type: 'JKS', file: keystoreFileFor('z') }],
        }),
      ],
      fileOptions,
    );
    // A name that a file system would not keep as it is (a lossy character, an upper-case letter that
    // a case-insensitive disk would fold) gets `~` and a hash of the exact name: `~` is in no name.
    expect(plan.files.map((f) => f.path)).toEqual([
      'secrets/_._My_Project~83db8067/keystores/Store~ee7da936.a_b~c14cddc0.file',
      'secrets/_._My_Project~83db8067/keystores/Store~ee7da936.a_b.file',
      '_._My_Project~83db8067/keystores/Store~ee7da936.yaml',
      'secrets/_._My_Project~83db8067/keystores/store.p.file',
      '_._My_Project~83db8067/keystores/store.yaml',
      'secrets/.gitignore',
    ]);
    // The same resource gets the same files when it is exported alone: names never depend on others.
    const alone = buildExportPlan(
      [
        aCurrentKeystore({
          project: '../My Project',
          name: 'store',
          environments: [{ name: 'p', type: 'JKS', file: keystoreFileFor('z') }],
        }),
      ],
      fileOptions,
    );
    expect(alone.files.map((f) => f.path)).toEqual([
      'secrets/_._My_Project~83db8067/keystores/store.p.file',
      '_._My_Project~83db8067/keystores/store.yaml',
      'secrets/.gitignore',
    ]);
    // The real names stay in the manifest.
    expect(manifest(plan.files, '_._My_Project~83db8067/keystores/Store~ee7da936.yaml').doc.metadata).toEqual({
      name: 'Store',
      project: '../My Project',
    });
  });

  it.each([
    ['Payments', 'Payments'],
    ['..', '_.'],
    ['.hidden', '_hidden'],
    ['', '_'],
    ['a/../../b', 'a_.._.._b'],
    ['x\u0000y', 'x_y'],
  ])('safeSegment(%j) = %j', (input, output) => {
    expect(safeSegment(input)).toBe(output);
  });

  it('names variables after project, resource, environment and field', () => {
    expect(
      envVariableName({
        resource: { kind: 'Key', project: 'My Project', name: 'sig.v2' },
        environment: 'pre-prod',
        field: 'privateKey',
      }),
    ).toBe('APINIZER_MY_PROJECT_SIG_V2_PRE_PROD_PRIVATE_KEY');
  });

  it('warns about values the manifest schema will reject', () => {
    const plan = buildExportPlan(
      [
        aCurrentKeystore({ environments: [{ name: 'production', type: 'PEM', file: keystoreFileFor('production') }] }),
        aCurrentKey({ environments: [] }),
      ],
      fileOptions,
    );
    expect(plan.warnings.join('\n')).toContain('keystore type "PEM" is not JKS or PKCS12');
    expect(plan.warnings.join('\n')).toContain('the server lists no environments');
  });
});

describe('yamlScalar', () => {
  it('reads back as the same string for any text (property)', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary' }),
          fc.string({ unit: 'grapheme' }),
          fc.constantFrom(
            'yes',
            'No',
            'null',
            '~',
            '1e3',
            '0x1F',
            '.inf',
            'y',
            ' lead',
            'trail ',
            'a: b',
            '- x',
            '#h',
            "it's",
            '"q"',
            '\u2028',
            '\u0085',
            '\ufeff',
            '../../a b/c',
          ),
        ),
        (text) => {
          expect(parse(`v: ${yamlScalar(text)}\n`)).toEqual({ v: text });
          expect(parse(`v: { x: ${yamlScalar(text)} }\n`)).toEqual({ v: { x: text } });
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('leaves simple words and relative paths plain', () => {
    expect(yamlScalar('payments-signing')).toBe('payments-signing');
    expect(yamlScalar('Signs payment callbacks (v2)')).toBe('Signs payment callbacks (v2)');
    expect(yamlScalar('../../secrets/Payments/keys/a.production.publicKey')).toBe(
      '../../secrets/Payments/keys/a.production.publicKey',
    );
    expect(yamlScalar('yes')).toBe('"yes"');
    expect(yamlScalar('123')).toBe('"123"');
  });
});

describe('objects a manifest cannot name', () => {
  it('are left out, each with a sentence saying why, and not counted', () => {
    const long = 'k'.repeat(10_000);
    const plan = buildExportPlan(
      [
        aCurrentKey({ name: 'fine' }),
        aCurrentKey({ name: 'my key' }),
        aCurrentKey({ name: 'ключ' }),
        aCurrentKey({ name: long }),
        aCurrentKeystore({ name: '..' }),
      ],
      fileOptions,
    );
    expect(plan.counts).toEqual({ Key: 1, Keystore: 0 });
    expect(plan.files.filter((f) => f.type === 'manifest').map((f) => f.path)).toEqual(['Payments/keys/fine.yaml']);
    expect(plan.unexpressible.map((u) => u.resource.name).sort()).toEqual(['..', long, 'my key', 'ключ'].sort());
    const messages = plan.unexpressible.map((u) => u.message);
    expect(messages.find((m) => m.includes('"my key"'))).toMatch(
      /^Key "Payments"\/"my key": cannot be expressed as a manifest: its name is not 1-128 characters .*apply --prune/,
    );
    const longMessage = messages.find((m) => m.includes('10000 characters long'))!;
    expect(longMessage).toContain(`"${'k'.repeat(79)}…"`); // a 10,000-character name is cut to 80 in the message
    expect(longMessage.length).toBeLessThan(400);
  });
});
