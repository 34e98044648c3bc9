// The pure parts of the help: the edit distance behind "did you mean", and the flag list layout.
import { describe, expect, it } from 'vitest';
import type { Command } from '../../src/cli/command.js';
import { editDistance, nearest, renderCommandHelp, unknownFlagMessage } from '../../src/cli/help.js';

describe('editDistance', () => {
  it.each([
    ['', '', 0],
    ['', 'abc', 3],
    ['kitten', 'sitting', 3],
    ['concurency', 'concurrency', 1],
    ['purne', 'prune', 1], // a swap of neighbours is one edit
    ['plan', 'apply', 4],
  ])('%j to %j is %i', (a, b, d) => {
    expect(editDistance(a, b)).toBe(d);
    expect(editDistance(b, a)).toBe(d);
  });
});

describe('nearest', () => {
  const flags = ['concurrency', 'config', 'dry-run', 'debounce', 'drift', 'prune'];

  it('takes the closest candidate within a third of the word', () => {
    expect(nearest('concurency', flags)).toBe('concurrency');
    expect(nearest('confg', flags)).toBe('config');
    expect(nearest('purne', flags)).toBe('prune');
  });

  it('takes the only candidate that starts with the word', () => {
    expect(nearest('dry', flags)).toBe('dry-run');
    expect(nearest('d', flags)).toBeUndefined(); // too short to mean anything
    expect(nearest('con', flags)).toBeUndefined(); // concurrency or config
  });

  it('suggests nothing for an unrelated word', () => {
    expect(nearest('frobnicate', flags)).toBeUndefined();
    expect(nearest('x', flags)).toBeUndefined();
  });
});

describe('unknownFlagMessage', () => {
  const specs = {
    out: { type: 'string', value: 'FILE', description: 'd' },
    force: { type: 'boolean', description: 'd' },
  } as const;

  it('accepts known flags, --help, values and positionals', () => {
    expect(unknownFlagMessage(['a', '--out', 'x', '--force', '--out=y', '--help', '-h'], specs)).toBeUndefined();
  });

  it('names the first unknown flag and the nearest known one', () => {
    expect(unknownFlagMessage(['--frce', '--zzz'], specs)).toBe('unknown flag --frce; did you mean --force?');
    expect(unknownFlagMessage(['--zzz'], specs)).toBe('unknown flag --zzz.');
  });
});

describe('renderCommandHelp', () => {
  const command: Command = {
    name: 'demo',
    summary: 's',
    usage: 'PATH... [flags]',
    description: 'Does a thing.',
    options: {
      'a-flag-with-a-long-name': {
        type: 'string',
        value: 'VALUE',
        description: 'long flags put their text below',
        default: '7',
      },
      short: { type: 'boolean', description: 'x '.repeat(60).trim(), env: 'DEMO_SHORT' },
      remote: { type: 'string', value: 'URL', description: 'where', group: 'Connection' },
    },
    examples: ['# a comment', 'apinizer-gitops demo here'],
    notes: 'Exit status: 0.',
    run: () => Promise.resolve(0),
  };

  it('lays out usage, description, flags by group, examples and notes', () => {
    expect(renderCommandHelp(command)).toBe(
      [
        'Usage: apinizer-gitops demo PATH... [flags]',
        '',
        'Does a thing.',
        '',
        'Flags:',
        '  --a-flag-with-a-long-name VALUE',
        '                           long flags put their text below [default: 7]',
        `  --short                  ${'x '.repeat(37).trim()}`, // ends at column 100
        `                           ${'x '.repeat(23).trim()} [env: DEMO_SHORT]`,
        '  -h, --help               show this help',
        '',
        'Connection:',
        '  --remote URL             where',
        '',
        'Examples:',
        '  # a comment',
        '  $ apinizer-gitops demo here',
        '',
        'Exit status: 0.',
        '',
      ].join('\n'),
    );
  });
});
