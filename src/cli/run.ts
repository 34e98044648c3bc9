// One CLI invocation: argv to a command, the command's typed errors to exit codes and messages.
// In-process (tests call runCli); main.ts wraps it with the process.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { printable } from '../diagnostics.js';
import { type CommandContext, UsageError, EXIT } from './command.js';
import { commandLoaders, loadAllCommands } from './commands/index.js';
import {
  parseArgsOptions,
  renderCommandHelp,
  renderTopLevelHelp,
  unknownCommandMessage,
  unknownFlagMessage,
} from './help.js';

function packageVersion(): string {
  const pkgPath = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

/** Runs one CLI invocation and returns its exit code. Exported for in-process tests. */
export async function runCli(argv: string[], ctx: CommandContext): Promise<number> {
  // `help CMD` is `CMD --help`.
  const [name, ...rest] = argv[0] === 'help' && argv[1] !== undefined ? [argv[1], '--help'] : argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(renderTopLevelHelp(await loadAllCommands()));
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  if (!load) {
    ctx.stderr.write(`apinizer-gitops: ${unknownCommandMessage(name, Object.keys(commandLoaders))}\n`);
    return EXIT.error;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(renderCommandHelp(command));
    return EXIT.ok;
  }
  const unknown = unknownFlagMessage(rest, command.options);
  if (unknown !== undefined) {
    ctx.stderr.write(`apinizer-gitops ${command.name}: ${unknown} See \`apinizer-gitops ${command.name} --help\`.\n`);
    return EXIT.error;
  }
  let parsed;
  try {
    const options = parseArgsOptions(command.options);
    parsed = parseArgs({ args: rest, options, allowPositionals: true, strict: true });
  } catch (err) {
    ctx.stderr.write(
      `apinizer-gitops ${command.name}: ${printable((err as Error).message)}. See \`apinizer-gitops ${command.name} --help\`.\n`,
    );
    return EXIT.error;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      // Usage errors quote flags, paths and URLs as given: made printable so none can inject a line.
      ctx.stderr.write(
        `apinizer-gitops ${command.name}: ${printable(err.message)}. See \`apinizer-gitops ${command.name} --help\`.\n`,
      );
      return EXIT.error;
    }
    // A bug, not a user error: say so plainly, with the stack only when asked for.
    const e = err as Error;
    ctx.stderr.write(`apinizer-gitops ${command.name}: internal error: ${printable(e.message)}\n`);
    if (ctx.env.APINIZER_DEBUG) ctx.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.error;
  }
}
