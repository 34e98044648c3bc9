// The table of sub-commands, each loaded on first use so that a run pays only for its own command.
import type { Command } from '../command.js';
import { HELP_FLAG } from '../help.js';

/**
 * Every sub-command, in the order help lists them, loaded on first use: a run loads only its own
 * command's modules (validate needs neither the HTTP client nor the file watcher), which is most
 * of the start-up time of a short run.
 */
export const commandLoaders: Readonly<Record<string, () => Promise<Command>>> = {
  validate: async () => (await import('./validate.js')).validateCommand,
  plan: async () => (await import('./plan.js')).planCommand,
  apply: async () => (await import('./apply.js')).applyCommand,
  watch: async () => (await import('./watch.js')).watchCommand,
  export: async () => (await import('./export.js')).exportCommand,
  emulator: async () => (await import('./emulator.js')).emulatorCommand,
};

/** All commands, loaded (for the top-level help). */
export async function loadAllCommands(): Promise<Command[]> {
  return Promise.all(Object.values(commandLoaders).map((load) => load()));
}

/** One flag as the docs must mention it: `--name`, its default as help shows it, what it does. */
export interface FlagReference {
  name: string;
  default: string | undefined;
  env: string | undefined;
  description: string;
}

/** Every command the CLI accepts and every flag of each, from the same definitions the parser uses. */
export interface CommandReference {
  command: string;
  summary: string;
  flags: FlagReference[];
}

/**
 * The CLI's commands and flags, for a test that every one appears in docs/ (made from the parser's
 * own definitions, so the docs cannot silently fall behind). `--help` is listed for every command.
 */
export async function commandReference(): Promise<CommandReference[]> {
  return (await loadAllCommands()).map((c) => ({
    command: c.name,
    summary: c.summary,
    flags: [
      ...Object.entries(c.options).map(([name, spec]) => ({
        name: `--${name}`,
        default: spec.default,
        env: spec.env,
        description: spec.description,
      })),
      { name: `--${HELP_FLAG.name}`, default: undefined, env: undefined, description: HELP_FLAG.description },
    ],
  }));
}
