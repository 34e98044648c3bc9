import type { Command } from '../command.js';
import { validateCommand } from './validate.js';
import { planCommand } from './plan.js';
import { applyCommand } from './apply.js';
import { watchCommand } from './watch.js';
import { exportCommand } from './export.js';
import { emulatorCommand } from './emulator.js';

/** Every sub-command, in the order help lists them. */
export const commands: readonly Command[] = [
  validateCommand,
  planCommand,
  applyCommand,
  watchCommand,
  exportCommand,
  emulatorCommand,
];
