// Anything under a PATH that looks like a manifest and cannot be read is an error naming it, so
// that prune never deletes what a skipped file held. Tests run as root, where chmod does not
// stop a read, so permission failures are injected through the loader's file-system seam.
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests, nodeFs, type LoaderFs } from '../../src/manifest/load.js';
import { tempTree } from '../support/tmp.js';
import { keyNamed } from './fixtures.js';

/** The real file system, except that the listed paths fail with `code`. */
function failing(paths: Record<string, string>): LoaderFs {
  const check = (p: string) => {
    const code = paths[p];
    if (code !== undefined) throw Object.assign(new Error(`${code}: ${p}`), { code });
  };
  return {
    stat: async (p) => (check(p), nodeFs.stat(p)),
    lstat: async (p) => nodeFs.lstat(p),
    realpath: async (p) => nodeFs.realpath(p),
    readdir: async (p) => (check(p), nodeFs.readdir(p)),
    open: async (p, flags) => (check(p), nodeFs.open(p, flags)),
  };
}

const errorsOf = (r: Awaited<ReturnType<typeof loadManifests>>) =>
  r.diagnostics.filter((d) => d.severity === 'error').map((d) => ({ file: d.file, code: d.code, message: d.message }));

describe('loadManifests: what cannot be read is an error, never a silent skip', () => {
  it('reports an unreadable subfolder with its path and what to do, and returns no state', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a'), 'm/locked/b.yaml': keyNamed('b') });
    const r = await loadManifests(['m'], { cwd: dir, env: {}, fs: failing({ [join(dir, 'm/locked')]: 'EACCES' }) });
    expect(r.state).toBeNull();
    expect(errorsOf(r)).toEqual([
      {
        file: 'm/locked',
        code: 'manifest-unreadable',
        message: expect.stringMatching(/folder that cannot be read \(EACCES\); make it readable/),
      },
    ]);
    expect(r.diagnostics[0]).toMatchObject({ line: 1, column: 1 });
  });

  it('reports an unreadable manifest file', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a'), 'm/b.yaml': keyNamed('b') });
    const r = await loadManifests(['m'], { cwd: dir, env: {}, fs: failing({ [join(dir, 'm/b.yaml')]: 'EACCES' }) });
    expect(r.state).toBeNull();
    expect(errorsOf(r)).toEqual([
      { file: 'm/b.yaml', code: 'manifest-unreadable', message: expect.stringMatching(/cannot be read \(EACCES\)/) },
    ]);
  });

  it('reports an entry whose stat fails (not "not a file")', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a') });
    symlinkSync('a.yaml', join(dir, 'm/b.yaml'));
    const r = await loadManifests(['m'], { cwd: dir, env: {}, fs: failing({ [join(dir, 'm/b.yaml')]: 'EIO' }) });
    expect(errorsOf(r)).toEqual([
      { file: 'm/b.yaml', code: 'manifest-unreadable', message: expect.stringContaining('(EIO)') },
    ]);
  });

  it('reports dangling links named *.yaml or like a folder, and leaves a dangling notes.txt alone', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a') });
    symlinkSync('gone.yaml', join(dir, 'm/b.yaml'));
    symlinkSync('/nonexistent/mount/keys', join(dir, 'm/keys'));
    symlinkSync('gone.txt', join(dir, 'm/notes.txt'));
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(r.state).toBeNull();
    expect(errorsOf(r)).toEqual([
      {
        file: 'm/b.yaml',
        code: 'manifest-unreadable',
        message: 'is a symbolic link to "gone.yaml", which does not exist; fix the link or remove it',
      },
      {
        file: 'm/keys',
        code: 'manifest-unreadable',
        message: expect.stringContaining('"/nonexistent/mount/keys", which does not exist'),
      },
    ]);
  });

  it('reports a link loop named *.yaml', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a') });
    symlinkSync('self.yaml', join(dir, 'm/self.yaml'));
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(errorsOf(r)).toEqual([
      {
        file: 'm/self.yaml',
        code: 'manifest-unreadable',
        message: expect.stringContaining('loop of symbolic links (ELOOP)'),
      },
    ]);
  });

  it('reports a FIFO and a socket named *.yaml without opening them (a FIFO would block)', async () => {
    const dir = tempTree({ 'm/a.yaml': keyNamed('a') });
    execFileSync('mkfifo', [join(dir, 'm/pipe.yaml')]);
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(dir, 'm/sock.yml'), done));
    try {
      const r = await loadManifests(['m'], { cwd: dir, env: {} });
      expect(r.state).toBeNull();
      expect(errorsOf(r)).toEqual([
        {
          file: 'm/pipe.yaml',
          code: 'manifest-unreadable',
          message: expect.stringMatching(/^is a FIFO \(named pipe\), not a regular file/),
        },
        {
          file: 'm/sock.yml',
          code: 'manifest-unreadable',
          message: expect.stringMatching(/^is a socket, not a regular file/),
        },
      ]);
      // Given directly on the command line, too.
      const direct = await loadManifests(['m/pipe.yaml'], { cwd: dir, env: {} });
      expect(errorsOf(direct)).toEqual([
        { file: 'm/pipe.yaml', code: 'manifest-unreadable', message: expect.stringContaining('FIFO') },
      ]);
    } finally {
      await new Promise((done) => server.close(done));
    }
  });

  it('reports a PATH that is a dangling link, naming its target', async () => {
    const dir = tempTree({});
    symlinkSync('/nonexistent/manifests', join(dir, 'm'));
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(errorsOf(r)).toEqual([
      {
        file: 'm',
        code: 'path-not-found',
        message: expect.stringContaining('symbolic link to "/nonexistent/manifests", which does not exist'),
      },
    ]);
  });

  it('descends into a folder named x.yaml, and follows link loops once without error', async () => {
    const dir = tempTree({ 'm/x.yaml/a.yaml': keyNamed('a'), 'm/d/b.yaml': keyNamed('b') });
    symlinkSync('..', join(dir, 'm/d/up'));
    mkdirSync(join(dir, 'm/e'));
    symlinkSync('../d', join(dir, 'm/e/d2'));
    const r = await loadManifests(['m'], { cwd: dir, env: {} });
    expect(r.diagnostics).toEqual([]);
    expect(r.state!.resources.map((x) => x.name).sort()).toEqual(['a', 'b']);
  });

  it('says "UTF-16; save it as UTF-8" for UTF-16 text, with or without a byte-order mark', async () => {
    const text = keyNamed('a');
    const dir = tempTree({
      'le.yaml': Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
      'le-nobom.yaml': Buffer.from(text, 'utf16le'),
      'be.yaml': Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
      'bin.yaml': Buffer.from([0x41, 0x00, 0x00, 0x42, 0x01, 0x02]),
    });
    writeFileSync(join(dir, 'plain.txt'), '');
    const r = await loadManifests(['.'], { cwd: dir, env: {} });
    expect(errorsOf(r)).toEqual([
      {
        file: 'be.yaml',
        code: 'binary-file',
        message: 'is UTF-16BE text; save it as UTF-8 (the only encoding manifests may use)',
      },
      { file: 'bin.yaml', code: 'binary-file', message: expect.stringContaining('binary file') },
      {
        file: 'le-nobom.yaml',
        code: 'binary-file',
        message: expect.stringContaining('is UTF-16LE text; save it as UTF-8'),
      },
      { file: 'le.yaml', code: 'binary-file', message: expect.stringContaining('is UTF-16LE text; save it as UTF-8') },
    ]);
  });
});
