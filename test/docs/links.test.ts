// The docs are checked against the repository and the CLI itself: every relative link resolves
// (file and #anchor), nothing points outside the repository, and every command and flag the CLI
// accepts is in the command reference (read from the commands' own option definitions, so the two
// cannot drift apart).
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { commandLoaders } from '../../src/cli/commands/index.js';
import type { Command } from '../../src/cli/command.js';
import { headingAnchors, headingSlug, markdownLinks, sections, tableFlags } from './markdown.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const SKIP_DIRS = new Set(['node_modules', 'dist', '.git', 'coverage']);

/**
 * Flags the contract specifies and the docs describe, but that the CLI does not accept yet (they
 * are being built). When one lands, the test below fails and asks for its removal from this list.
 */
const SPECIFIED_NOT_BUILT: Record<string, readonly string[]> = {};

function walk(dir: string, keep: (path: string) => boolean, out: string[] = []): string[] {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (SKIP_DIRS.has(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) walk(full, keep, out);
    else if (entry.isFile() && keep(full)) out.push(full);
  }
  return out;
}

/** README.md, everything under docs/, and the READMEs of bench/ and examples/. */
function markdownFiles(): string[] {
  const top = [join(REPO, 'README.md')];
  const docs = walk(join(REPO, 'docs'), (p) => p.endsWith('.md'));
  const others = [join(REPO, 'bench'), join(REPO, 'examples')].flatMap((d) => walk(d, (p) => p.endsWith('README.md')));
  return [...top, ...docs, ...others].sort();
}

const rel = (p: string) => relative(REPO, p).split(sep).join('/');
const read = (p: string) => readFileSync(p, 'utf8');
const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

describe('links in README.md, docs/, bench/ and examples/', () => {
  const files = markdownFiles();

  it('finds the pages it is meant to check', () => {
    const names = files.map(rel);
    expect(names).toContain('README.md');
    expect(names).toContain('docs/reference.md');
    expect(names).toContain('bench/README.md');
  });

  it.each(files.map((f) => [rel(f), f]))('%s: every relative link resolves, inside the repository', (_name, file) => {
    const problems: string[] = [];
    for (const link of markdownLinks(read(file))) {
      if (EXTERNAL.test(link.target)) continue;
      const [pathPart = '', anchor] = link.target.split('#', 2);
      const target = pathPart === '' ? file : resolve(dirname(file), decodeURIComponent(pathPart));
      const where = `${rel(file)}:${link.line} ${link.target}`;
      if (relative(REPO, target).startsWith('..')) {
        problems.push(`${where}: points outside the repository`);
        continue;
      }
      if (!existsSync(target)) {
        problems.push(`${where}: no such file`);
        continue;
      }
      if (anchor !== undefined && anchor !== '' && statSync(target).isFile() && target.endsWith('.md')) {
        if (!headingAnchors(read(target)).has(anchor)) {
          problems.push(`${where}: no heading with anchor #${anchor} in ${rel(target)}`);
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

describe('nothing in the repository points outside it', () => {
  it('no file names the contract folder beside the checkout', () => {
    const needle = ['..', 'shared'].join('/');
    const text = /\.(md|ts|mjs|js|json|ya?ml|sh|service)$|^run$|Dockerfile$/;
    const hits = walk(REPO, (p) => text.test(p.split(sep).pop() ?? ''))
      .filter((p) => read(p).includes(needle))
      .map(rel);
    expect(hits).toEqual([]);
  });
});

describe('the command reference (docs/reference.md) and the CLI agree', async () => {
  const commands: Command[] = await Promise.all(Object.values(commandLoaders).map((load) => load()));
  const reference = sections(read(join(REPO, 'docs', 'reference.md')));
  const connection = reference.get('Connection flags') ?? '';

  /** The text that documents a command: its section, plus the connection flags when it links to them. */
  const documented = (name: string): string => {
    const own = reference.get(name) ?? '';
    return own.includes('(#connection-flags)') ? `${own}\n${connection}` : own;
  };
  const names = (c: Command) => Object.keys(c.options).map((o) => `--${o}`);
  const mentions = (text: string, flag: string) => new RegExp(`${flag}(?![a-z0-9-])`).test(text);

  it('has a section per command, and the README lists every command', () => {
    const readme = read(join(REPO, 'README.md'));
    for (const c of commands) {
      expect(reference.has(c.name), `docs/reference.md: no "## ${c.name}" section`).toBe(true);
      expect(readme, `README.md does not mention "apinizer-gitops ${c.name}"`).toContain(`apinizer-gitops ${c.name}`);
    }
  });

  it.each(Object.keys(commandLoaders))('documents every flag of %s', async (name) => {
    const command = await commandLoaders[name]!();
    const missing = names(command).filter((flag) => !mentions(documented(name), flag));
    expect(missing, `flags of ${name} missing from its section of docs/reference.md`).toEqual([]);
  });

  it.each(Object.keys(commandLoaders))('documents no flag that %s does not accept', async (name) => {
    const command = await commandLoaders[name]!();
    const accepted = new Set([...names(command), '--help']);
    const pending = new Set(SPECIFIED_NOT_BUILT[name] ?? []);
    const own = tableFlags(reference.get(name) ?? '');
    const shared = (reference.get(name) ?? '').includes('(#connection-flags)') ? tableFlags(connection) : [];
    const unknown = [...own, ...shared].filter((flag) => !accepted.has(flag) && !pending.has(flag));
    expect(unknown, `docs/reference.md documents flags that ${name} does not accept`).toEqual([]);
    const landed = [...pending].filter((flag) => accepted.has(flag));
    const why = `${name} accepts these now: remove them from SPECIFIED_NOT_BUILT in test/docs/links.test.ts`;
    expect(landed, why).toEqual([]);
  });
});

describe('the markdown helpers', () => {
  it('make the anchors GitHub makes', () => {
    expect(headingSlug('Plan on a current server')).toBe('plan-on-a-current-server');
    expect(headingSlug('`--redeploy`: push what the plan cannot see')).toBe('--redeploy-push-what-the-plan-cannot-see');
    expect(headingSlug('Health and metrics (Prometheus)')).toBe('health-and-metrics-prometheus');
    expect([...headingAnchors('# A\n## A\n```\n# not a heading\n```\n## B c')]).toEqual(['a', 'a-1', 'b-c']);
  });

  it('ignore links inside code', () => {
    const text = 'see [a](a.md) and `[b](b.md)`\n```\n[c](c.md)\n```\n[d](d.md#x "title")';
    expect(markdownLinks(text).map((l) => l.target)).toEqual(['a.md', 'd.md#x']);
  });

  it('read flags from the first cell of a table only', () => {
    expect(tableFlags('| `--a N`, `--b` | default `--c` |\n|---|---|\ntext `--d`')).toEqual(['--a', '--b']);
  });
});
