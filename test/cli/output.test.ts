// --out writes through links, pipes and devices: the atomic temp+rename is only for regular files
// (and paths that do not exist yet). Renaming over /dev/stdout replaced the system's link with a
// file, and a FIFO's reader got nothing.
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  lstatSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  readlinkSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeOutFile } from '../../src/cli/output.js';
import { tempTree } from '../support/tmp.js';

describe('writeOutFile', () => {
  it('writes a new file and replaces a regular one atomically, keeping its mode, leaving no temporary file', async () => {
    const dir = tempTree({ 'plan.json': 'old' });
    execFileSync('chmod', ['640', join(dir, 'plan.json')]);
    expect(await writeOutFile('plan.json', 'new\n', dir)).toBeNull();
    expect(await writeOutFile('fresh.json', 'fresh\n', dir)).toBeNull();
    expect(readFileSync(join(dir, 'plan.json'), 'utf8')).toBe('new\n');
    expect(readFileSync(join(dir, 'fresh.json'), 'utf8')).toBe('fresh\n');
    expect(statSync(join(dir, 'plan.json')).mode & 0o777).toBe(0o640);
    expect(readdirSync(dir).sort()).toEqual(['fresh.json', 'plan.json']);
  });

  it('writes through a symbolic link to its target (in another folder), and the link stays a link', async () => {
    const dir = tempTree({ 'plans/real.json': 'old' });
    symlinkSync('plans/real.json', join(dir, 'plan.json'));
    expect(await writeOutFile('plan.json', 'new\n', dir)).toBeNull();
    expect(lstatSync(join(dir, 'plan.json')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(dir, 'plans/real.json'), 'utf8')).toBe('new\n');
    expect(readdirSync(join(dir, 'plans'))).toEqual(['real.json']);
  });

  it('creates the target of a link that leads nowhere yet, keeping the link', async () => {
    const dir = tempTree();
    mkdirSync(join(dir, 'plans'));
    symlinkSync('plans/next.json', join(dir, 'plan.json'));
    expect(await writeOutFile('plan.json', 'new\n', dir)).toBeNull();
    expect(readlinkSync(join(dir, 'plan.json'))).toBe('plans/next.json');
    expect(readFileSync(join(dir, 'plans/next.json'), 'utf8')).toBe('new\n');
  });

  it('writes directly to a character device through a link (a /dev/stdout-like link), which both stay as they are', async () => {
    const dir = tempTree();
    symlinkSync('/dev/null', join(dir, 'stdout'));
    expect(await writeOutFile('stdout', 'plan\n', dir)).toBeNull();
    expect(readlinkSync(join(dir, 'stdout'))).toBe('/dev/null');
    expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
  });

  it('writes directly into a FIFO, so its reader gets the text and the FIFO stays a FIFO', async () => {
    const dir = tempTree();
    const fifo = join(dir, 'plan.fifo');
    execFileSync('mkfifo', [fifo]);
    const received = new Promise<string>((done, fail) => {
      let text = '';
      createReadStream(fifo, 'utf8')
        .on('data', (d) => (text += String(d)))
        .on('end', () => done(text))
        .on('error', fail);
    });
    expect(await writeOutFile('plan.fifo', '{"plan":1}\n', dir)).toBeNull();
    expect(await received).toBe('{"plan":1}\n');
    expect(statSync(fifo).isFIFO()).toBe(true);
  });

  it('refuses a folder and a socket, and names the path printable', async () => {
    const dir = tempTree();
    mkdirSync(join(dir, 'out'));
    expect(await writeOutFile('out', 'x', dir)).toBe('cannot write --out out: it is a folder; name a file');
    const server = createServer();
    await new Promise<void>((done) => server.listen(join(dir, 'sock'), done));
    try {
      expect(await writeOutFile('sock', 'x', dir)).toBe(
        'cannot write --out sock: it is a socket; name a file, a pipe or a device',
      );
    } finally {
      await new Promise((done) => server.close(done));
    }
    expect(await writeOutFile('no\nsuch/x.json', 'x', dir)).toBe(
      'cannot write --out no\\nsuch/x.json: its folder does not exist',
    );
  });
});
