import type { Command } from '../command.js';

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
