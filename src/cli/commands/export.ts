import type { Command } from '../command.js';

// Placeholder until its issue lands: registered so help lists it; refuses to run.
export const exportCommand: Command = {
  name: 'export',
  summary: '(not built yet)',
  help: 'apinizer-gitops export: not built yet.',
  options: {},
  run(_args, ctx) {
    ctx.stderr.write('apinizer-gitops export: not built yet\n');
    return Promise.resolve(1);
  },
};
