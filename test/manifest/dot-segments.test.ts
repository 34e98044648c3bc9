// A project or name of `.` or `..` (also URL-encoded) would become a path segment that a
// normalising proxy resolves away (`/apiops/projects/../keys/`): refused offline, at file:line:col.
import { describe, expect, it } from 'vitest';
import { resolveConnection } from '../../src/cli/connection.js';
import { isDotSegment, pathSegment } from '../../src/api/url.js';
import { loadManifests } from '../../src/manifest/load.js';
import { tempTree } from '../support/tmp.js';
import { KEY, edit } from './fixtures.js';

describe('dot-segment projects and names', () => {
  it.each(['.', '..', '%2e', '%2E%2e', '.%2e', '%252e%252E'])(
    'refuses metadata.project %j with file:line:col',
    async (project) => {
      const dir = tempTree({ 'k.yaml': edit(KEY, 'project: Payments', `project: "${project}"`) });
      const r = await loadManifests(['.'], { cwd: dir, env: {} });
      expect(r.state).toBeNull();
      expect(r.diagnostics).toEqual([
        expect.objectContaining({
          code: 'schema',
          file: 'k.yaml',
          line: 5,
          column: 3,
          path: 'metadata.project',
          message: expect.stringContaining('not "." or ".."'),
        }),
      ]);
    },
  );

  it.each(['.', '..', '.hidden', '%2e%2e'])('refuses metadata.name %j', async (name) => {
    const dir = tempTree({ 'k.yaml': edit(KEY, 'name: payments-signing', `name: "${name}"`) });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics.map((d) => [d.code, d.path, d.line])).toEqual([['schema', 'metadata.name', 4]]);
  });

  it('accepts names that only contain dots', async () => {
    const dir = tempTree({
      'k.yaml': edit(edit(KEY, 'project: Payments', 'project: "..."'), 'name: payments-signing', 'name: v1.2..3'),
    });
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
  });

  it('refuses --project / APINIZER_PROJECT of a dot-segment', () => {
    const env = { APINIZER_URL: 'https://a.example.com', APINIZER_TOKEN: 't' };
    expect(() => resolveConnection({ values: { project: '..' }, positionals: [] }, env, '/')).toThrow(
      '--project must name a project, not ".."',
    );
    expect(() => resolveConnection({ values: {}, positionals: [] }, { ...env, APINIZER_PROJECT: '%2e' }, '/')).toThrow(
      /APINIZER_PROJECT must name a project/,
    );
  });

  it('encodes every path segment, dots of a dot-segment included', () => {
    expect(pathSegment('..')).toBe('%2E%2E');
    expect(pathSegment('.')).toBe('%2E');
    expect(pathSegment('a/b c')).toBe('a%2Fb%20c');
    expect(pathSegment('v1.2')).toBe('v1.2');
    expect(isDotSegment('...')).toBe(false);
    expect(isDotSegment('%2525%2e')).toBe(false);
    expect(isDotSegment('%25252e')).toBe(true);
  });
});
