// The shape of a sub-command and the flag helpers every command shares: argv parsing with
// node:util parseArgs, typed flag readers that raise UsageError naming the flag, the exit codes.
import type { ParseArgsConfig } from 'node:util';

/** What a command gets from the CLI shell: streams, environment, and the stop signal. */
export interface CommandContext {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Aborted on the first SIGINT/SIGTERM; `signalName()` says which. */
  signal: AbortSignal;
  signalName(): 'SIGINT' | 'SIGTERM' | null;
}

export type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** Parsed argv of one command: flag values by name and the positional PATHs. */
export interface ParsedArgs {
  values: Record<string, string | boolean | (string | boolean)[] | undefined>;
  positionals: string[];
}

/**
 * One flag: how it is parsed and how `--help` and the docs describe it. The parser and the help
 * are both made from these, so a flag cannot be accepted without being documented, nor the reverse.
 */
export interface FlagSpec {
  type: 'string' | 'boolean';
  /** Repeatable: the values are collected in order. */
  multiple?: boolean;
  /** What the value looks like in help: `N`, `FILE`, `text|json`. String flags only. */
  value?: string;
  /** What the flag does; wrapped to the terminal width by the help renderer. */
  description: string;
  /** The value used when the flag (and its variable) is absent, as help shows it. */
  default?: string;
  /** The environment variable read when the flag is absent. */
  env?: string;
  /** The help section the flag is listed under; default "Flags". */
  group?: string;
}

/** A command's flags by name (without the leading `--`). */
export type FlagSpecs = Readonly<Record<string, FlagSpec>>;

/** One sub-command: its help and its orchestration. Returns the exit code; never calls process.exit. */
export interface Command {
  name: string;
  summary: string;
  /** What follows `apinizer-gitops NAME` in the usage line, e.g. `PATH... [flags]`. */
  usage: string;
  /** What the command does: the help text between the usage line and the flags. */
  description: string;
  /** The flags: parsed from these and listed by `--help` from these. */
  options: FlagSpecs;
  /** Command lines for the help's "Examples:" section; a line starting with `#` explains the next. */
  examples: readonly string[];
  /** Help text after the examples: output, signals, exit status. */
  notes?: string;
  run(args: ParsedArgs, ctx: CommandContext): Promise<number>;
}

import { UsageError } from '../errors.js';

export { UsageError };

/** Exit codes (SPEC §3, Terraform's convention). */
export const EXIT = {
  ok: 0,
  error: 1,
  changes: 2,
  sigint: 130,
  sigterm: 143,
} as const;

/** The exit code for a run stopped by a signal. */
export function exitCodeForSignal(name: 'SIGINT' | 'SIGTERM'): number {
  return name === 'SIGINT' ? EXIT.sigint : EXIT.sigterm;
}

/** A string flag's value (the last one when repeated), or undefined. */
export function stringFlag(args: ParsedArgs, name: string): string | undefined {
  const v = args.values[name];
  if (Array.isArray(v)) {
    const last = v[v.length - 1];
    return typeof last === 'string' ? last : undefined;
  }
  return typeof v === 'string' ? v : undefined;
}

/** A boolean flag's value (false when absent). */
export function booleanFlag(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

/** An integer flag within [min, max], or the default; a bad value is a UsageError naming the flag. */
export function integerFlag(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = stringFlag(args, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}
