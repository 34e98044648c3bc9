import type { Command } from '../command.js';

// Placeholder until its issue lands: registered so help lists it; refuses to run.
export const validateCommand: Command = {
  name: 'validate',
  summary: '(not built yet)',
  help: 'apinizer-gitops validate: not built yet.',
  options: {},
  run(_args, ctx) {
    ctx.stderr.write('apinizer-gitops validate: not built yet\n');
    return Promise.resolve(1);
  },
};
