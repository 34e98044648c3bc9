import type { Command } from '../command.js';

// Placeholder until its issue lands: registered so help lists it; refuses to run.
export const emulatorCommand: Command = {
  name: 'emulator',
  summary: '(not built yet)',
  help: 'apinizer-gitops emulator: not built yet.',
  options: {},
  run(_args, ctx) {
    ctx.stderr.write('apinizer-gitops emulator: not built yet\n');
    return Promise.resolve(1);
  },
};
