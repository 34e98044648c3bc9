// Random trees of manifests, folders, links (to folders, dangling, looping), FIFOs and unreadable
// entries: either every manifest loads and nothing is reported, or each entry that could not be
// read is an error naming it and there is no desired state (so plan and apply write nothing).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadManifests, nodeFs, type LoaderFs } from '../../src/manifest/load.js';
import { keyNamed } from './fixtures.js';

type Entry =
  | { t: 'manifest' }
  | { t: 'other' }
  | { t: 'dir'; children: Entry[] }
  | { t: 'loop' }
  | { t: 'danglingYaml' }
  | { t: 'danglingDir' }
  | { t: 'selfLoop' }
  | { t: 'fifo' }
  | { t: 'lockedDir' }
  | { t: 'lockedFile' };

const { tree } = fc.letrec<{ tree: Entry[]; entry: Entry }>((tie) => ({
  tree: fc.array(tie('entry'), { maxLength: 5 }),
  entry: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constant<Entry>({ t: 'manifest' }),
    fc.constant<Entry>({ t: 'manifest' }),
    fc.constant<Entry>({ t: 'other' }),
    fc.constant<Entry>({ t: 'loop' }),
    tie('tree').map((children): Entry => ({ t: 'dir', children })),
    fc.constantFrom<Entry>(
      { t: 'danglingYaml' },
      { t: 'danglingDir' },
      { t: 'selfLoop' },
      { t: 'fifo' },
      { t: 'lockedDir' },
      { t: 'lockedFile' },
    ),
  ),
}));

interface Built {
  names: string[];
  bad: string[];
  locked: Record<string, string>;
}

/** Makes the tree on disk under `dir`; returns the manifest names, the bad entries' relative paths, and the paths to fail. */
function build(root: string, rel: string, entries: Entry[], out: Built, counter: { n: number }): void {
  for (const e of entries) {
    const id = counter.n++;
    const at = (name: string) => (rel === '' ? name : `${rel}/${name}`);
    const abs = (name: string) => join(root, at(name));
    switch (e.t) {
      case 'manifest':
        writeFileSync(abs(`k${id}.yaml`), keyNamed(`k${id}`));
        out.names.push(`k${id}`);
        break;
      case 'other':
        writeFileSync(abs(`notes${id}.md`), '# notes');
        break;
      case 'dir':
        mkdirSync(abs(`d${id}`));
        build(root, at(`d${id}`), e.children, out, counter);
        break;
      case 'loop':
        symlinkSync('..', abs(`up${id}`));
        break;
      case 'danglingYaml':
        symlinkSync(`gone${id}.yaml`, abs(`gone${id}.yaml`));
        out.bad.push(at(`gone${id}.yaml`));
        break;
      case 'danglingDir':
        symlinkSync(`/nonexistent/${id}`, abs(`mnt${id}`));
        out.bad.push(at(`mnt${id}`));
        break;
      case 'selfLoop':
        symlinkSync(`self${id}.yml`, abs(`self${id}.yml`));
        out.bad.push(at(`self${id}.yml`));
        break;
      case 'fifo':
        execFileSync('mkfifo', [abs(`pipe${id}.yaml`)]);
        out.bad.push(at(`pipe${id}.yaml`));
        break;
      case 'lockedDir':
        mkdirSync(abs(`locked${id}`));
        writeFileSync(join(abs(`locked${id}`), `hidden${id}.yaml`), keyNamed(`hidden${id}`));
        out.locked[abs(`locked${id}`)] = 'EACCES';
        out.bad.push(at(`locked${id}`));
        break;
      case 'lockedFile':
        writeFileSync(abs(`secret${id}.yaml`), keyNamed(`secret${id}`));
        out.locked[abs(`secret${id}.yaml`)] = 'EACCES';
        out.bad.push(at(`secret${id}.yaml`));
        break;
    }
  }
}

function failing(paths: Record<string, string>): LoaderFs {
  const check = (p: string) => {
    const code = paths[p];
    if (code !== undefined) throw Object.assign(new Error(`${code}: ${p}`), { code });
  };
  return {
    ...nodeFs,
    readdir: async (p) => (check(p), nodeFs.readdir(p)),
    open: async (p, f) => (check(p), nodeFs.open(p, f)),
  };
}

describe('loadManifests on random trees', () => {
  it('loads everything, or reports every unreadable entry and returns no state', async () => {
    await fc.assert(
      fc.asyncProperty(tree, async (entries) => {
        const dir = realpathSync(mkdtempSync(join(tmpdir(), 'agitops-fuzz-')));
        try {
          mkdirSync(join(dir, 'm'));
          const out: Built = { names: [], bad: [], locked: {} };
          build(dir, 'm', entries, out, { n: 0 });
          const r = await loadManifests(['m'], { cwd: dir, env: {}, fs: failing(out.locked) });
          const errors = r.diagnostics.filter((d) => d.severity === 'error');
          if (out.bad.length === 0) {
            expect(errors).toEqual([]);
            expect(r.state!.resources.map((x) => x.name).sort()).toEqual([...out.names].sort());
          } else {
            expect(r.state).toBeNull();
            expect(errors.map((d) => d.file).sort()).toEqual([...out.bad].sort());
            for (const d of errors) expect(d.code).toMatch(/^(manifest-unreadable|path-not-found)$/);
          }
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      }),
      { numRuns: 60 },
    );
  }, 30_000);
});
