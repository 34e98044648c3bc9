// `--help` texts and "did you mean" suggestions, made from the commands' flag definitions (pure).
import { clipText, printable, quoteValue } from '../diagnostics.js';
import type { Command, FlagSpec, FlagSpecs, OptionsConfig } from './command.js';

/** Help lines are wrapped to this many columns: readable in a 100-column terminal or a README. */
export const HELP_WIDTH = 100;
/** Where flag descriptions start; a longer flag puts its description on the next line. */
const DESCRIPTION_COLUMN = 27;
const DEFAULT_GROUP = 'Flags';

/** `--help` of every command: listed with the flags, never parsed. */
export const HELP_FLAG = { name: 'help', short: 'h', description: 'show this help' } as const;

/** The node:util parseArgs configuration for a command's flags. */
export function parseArgsOptions(specs: FlagSpecs): OptionsConfig {
  const options: OptionsConfig = {};
  for (const [name, spec] of Object.entries(specs)) {
    options[name] = spec.multiple ? { type: spec.type, multiple: true } : { type: spec.type };
  }
  return options;
}

/** `apinizer-gitops CMD --help`: usage, description, flags by group, examples, notes. */
export function renderCommandHelp(command: Command): string {
  const sections: string[] = [`Usage: apinizer-gitops ${command.name} ${command.usage}`, command.description.trimEnd()];
  const groups = new Map<string, [string, FlagSpec][]>([[DEFAULT_GROUP, []]]);
  for (const entry of Object.entries(command.options)) {
    const group = entry[1].group ?? DEFAULT_GROUP;
    groups.set(group, [...(groups.get(group) ?? []), entry]);
  }
  for (const [group, flags] of groups) {
    const lines = flags.map(([name, spec]) =>
      flagLines(`--${name}${spec.value ? ` ${spec.value}` : ''}`, describe(spec)),
    );
    if (group === DEFAULT_GROUP) {
      lines.push(flagLines(`-${HELP_FLAG.short}, --${HELP_FLAG.name}`, HELP_FLAG.description));
    }
    sections.push(`${group}:\n${lines.join('\n')}`);
  }
  if (command.examples.length > 0) {
    sections.push(`Examples:\n${command.examples.map((e) => (e.startsWith('#') ? `  ${e}` : `  $ ${e}`)).join('\n')}`);
  }
  if (command.notes) sections.push(command.notes.trimEnd());
  return `${sections.join('\n\n')}\n`;
}

/** `apinizer-gitops --help`: what the tool is, the commands with their summaries, where to go next. */
export function renderTopLevelHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "apinizer-gitops: keep an Apinizer gateway's Keys and Keystores equal to YAML manifests in Git.",
    '',
    'Usage: apinizer-gitops <command> [flags] [PATH...]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'Global flags:',
    "  -h, --help     this help; `apinizer-gitops <command> --help` shows a command's flags and examples",
    '  -v, --version  the version',
    '',
    'Examples:',
    '  $ apinizer-gitops validate manifests/',
    '  $ apinizer-gitops plan manifests/ --server https://apinizer.example.com',
    '  $ apinizer-gitops apply manifests/ --prune',
    '',
    'Exit codes: 0 success, 1 error, 2 changes (plan --detailed-exitcode), 130/143 interrupted.',
    '',
  ].join('\n');
}

/** The description's words followed by `[default: X]`, `[env: VAR]` (each kept on one line). */
function describe(spec: FlagSpec): string[] {
  const tags = [
    spec.default !== undefined ? `[default: ${spec.default}]` : '',
    spec.env !== undefined ? `[env: ${spec.env}]` : '',
    spec.multiple ? '[repeatable]' : '',
  ].filter(Boolean);
  return [...words(spec.description), ...tags];
}

function words(text: string): string[] {
  return text.split(/\s+/).filter(Boolean);
}

/** One flag's help lines: the flag, then its description wrapped in the description column. */
function flagLines(flag: string, description: string[] | string): string {
  const head = `  ${flag}`;
  const tokens = typeof description === 'string' ? words(description) : description;
  const body = wrap(tokens, HELP_WIDTH - DESCRIPTION_COLUMN);
  const indent = ' '.repeat(DESCRIPTION_COLUMN);
  if (head.length + 2 > DESCRIPTION_COLUMN) return [head, ...body.map((l) => indent + l)].join('\n');
  return [head.padEnd(DESCRIPTION_COLUMN) + (body[0] ?? ''), ...body.slice(1).map((l) => indent + l)].join('\n');
}

/** Greedy wrap of words (a word may hold spaces); a word longer than the width stands on its own line. */
function wrap(tokens: readonly string[], width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of tokens) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** Levenshtein distance with adjacent transpositions counted as one edit (optimal string alignment). */
export function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
  for (let j = 0; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[i - 2]![j - 2]! + 1);
      }
      d[i]![j] = best;
    }
  }
  return d[a.length]![b.length]!;
}

/**
 * The candidate nearest to `word`, when near enough to be a likely typo: within a third of the
 * word's length in edits (at least 1, at most 3), or the only candidate `word` is a prefix of.
 */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const distance = editDistance(word, c);
    if (distance < bestDistance) [best, bestDistance] = [c, distance];
  }
  const limit = Math.min(3, Math.max(1, Math.floor(word.length / 3)));
  if (best !== undefined && bestDistance <= limit) return best;
  const prefixed = candidates.filter((c) => c.startsWith(word));
  return word.length >= 2 && prefixed.length === 1 ? prefixed[0] : undefined;
}

/** "; did you mean X?" or a full stop. */
function didYouMean(suggestion: string | undefined): string {
  return suggestion === undefined ? '.' : `; did you mean ${suggestion}?`;
}

/** The message for an unknown command, naming the nearest one; ends with the list of commands. */
export function unknownCommandMessage(name: string, commands: readonly string[]): string {
  // The name is the user's text: quoted with escapes, so a newline cannot start a line of its own.
  return `unknown command ${quoteValue(name)}${didYouMean(nearest(name, commands))} Commands: ${commands.join(', ')}.`;
}

/**
 * The first `--flag` in `argv` that the command does not define, as a sentence naming the nearest
 * flag it does define; undefined when every flag is known. Arguments after `--` are positionals.
 */
export function unknownFlagMessage(argv: readonly string[], specs: FlagSpecs): string | undefined {
  const known = Object.keys(specs);
  for (const arg of argv) {
    if (arg === '--') return undefined;
    if (!arg.startsWith('--')) continue;
    const name = arg.slice(2).split('=', 1)[0] ?? '';
    if (Object.hasOwn(specs, name) || name === HELP_FLAG.name) continue;
    const suggestion = nearest(name, known);
    return `unknown flag --${printable(clipText(name))}${didYouMean(suggestion === undefined ? undefined : `--${suggestion}`)}`;
  }
  return undefined;
}
