import { describe, expect, it } from 'vitest';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findRepositoryRoots, packageSchemasDir, schemaReference, schemaFileOf } from '../../src/export/schemas.js';
import { tempTree } from '../support/tmp.js';

describe('schemaReference', () => {
  it('is relative to the manifest when the package is installed in the same repository', () => {
    const ref = schemaReference('/repo/node_modules/apinizer-gitops/schemas', '/repo/gitops', ['/repo']);
    expect(ref('Key', 'Payments/keys')).toBe('../../../node_modules/apinizer-gitops/schemas/key.schema.json');
    expect(ref('Keystore', 'Payments/keystores')).toBe(
      '../../../node_modules/apinizer-gitops/schemas/keystore.schema.json',
    );
    // ...and the relative path really leads from the manifest's folder to the schema.
    expect(resolve('/repo/gitops/Payments/keys', ref('Key', 'Payments/keys'))).toBe(
      '/repo/node_modules/apinizer-gitops/schemas/key.schema.json',
    );
  });

  it('is a file:// URL when no repository holds both (a global or npx-cache install)', () => {
    expect(
      schemaReference('/usr/lib/node_modules/apinizer-gitops/schemas', '/home/me/gitops', ['/home/me'])(
        'Key',
        'P/keys',
      ),
    ).toBe('file:///usr/lib/node_modules/apinizer-gitops/schemas/key.schema.json');
    expect(
      schemaReference('/home/me/.npm/_npx/abc/node_modules/apinizer-gitops/schemas', '/home/me/gitops', ['/home/me'])(
        'Key',
        'P/keys',
      ),
    ).toMatch(/^file:\/\//);
  });

  it('points at schema files the package really has', () => {
    for (const file of ['Key', 'Keystore'].map(schemaFileOf))
      expect(existsSync(join(packageSchemasDir(), file))).toBe(true);
  });

  it('finds every enclosing repository or package folder, nearest first', async () => {
    const root = tempTree({ 'repo/.git/HEAD': 'ref: x', 'repo/pkg/package.json': '{}' });
    mkdirSync(join(root, 'repo/pkg/out'));
    const roots = await findRepositoryRoots(join(root, 'repo/pkg/out/not-yet'));
    expect(roots.slice(0, 2)).toEqual([join(root, 'repo/pkg'), join(root, 'repo')]);
    expect(dirname(roots[0]!)).toBe(join(root, 'repo'));
  });
});
