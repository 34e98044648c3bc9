import type { Command } from '../command.js';

// Placeholder until its issue lands: registered so help lists it; refuses to run.
export const planCommand: Command = {
  name: 'plan',
  summary: '(not built yet)',
  help: 'apinizer-gitops plan: not built yet.',
  options: {},
  run(_args, ctx) {
    ctx.stderr.write('apinizer-gitops plan: not built yet\n');
    return Promise.resolve(1);
  },
};
