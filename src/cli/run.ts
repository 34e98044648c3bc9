import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { printable, quoteValue } from '../diagnostics.js';
import { type Command, type CommandContext, UsageError, EXIT } from './command.js';
import { commandLoaders, loadAllCommands } from './commands/index.js';

function packageVersion(): string {
  const pkgPath = fileURLToPath(new URL('../../package.json', import.meta.url));
  return (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
}

function topLevelHelp(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    'apinizer-gitops: keep an Apinizer gateway\'s Keys and Keystores equal to YAML manifests in Git.',
    '',
    'Usage: apinizer-gitops <command> [flags] [PATH...]',
    '',
    'Commands:',
    ...lines,
    '',
    'Run `apinizer-gitops <command> --help` for a command\'s flags.',
    'Exit codes: 0 success, 1 error, 2 changes (plan --detailed-exitcode), 130/143 interrupted.',
    '',
  ].join('\n');
}

/** Runs one CLI invocation and returns its exit code. Exported for in-process tests. */
export async function runCli(argv: string[], ctx: CommandContext): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    ctx.stdout.write(topLevelHelp(await loadAllCommands()));
    return name === undefined ? EXIT.error : EXIT.ok;
  }
  if (name === '--version' || name === '-v' || name === 'version') {
    ctx.stdout.write(`${packageVersion()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(commandLoaders, name) ? commandLoaders[name] : undefined;
  if (!load) {
    ctx.stderr.write(`apinizer-gitops: unknown command ${quoteValue(name)}. Commands: ${Object.keys(commandLoaders).join(', ')}.\n`);
    return EXIT.error;
  }
  const command = await load();
  if (rest.includes('--help') || rest.includes('-h')) {
    ctx.stdout.write(command.help.endsWith('\n') ? command.help : `${command.help}\n`);
    return EXIT.ok;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
  } catch (err) {
    ctx.stderr.write(`apinizer-gitops ${command.name}: ${printable((err as Error).message)}. See \`apinizer-gitops ${command.name} --help\`.\n`);
    return EXIT.error;
  }
  try {
    return await command.run({ values: parsed.values, positionals: parsed.positionals }, ctx);
  } catch (err) {
    if (err instanceof UsageError) {
      // Usage errors quote flags, paths and URLs as given: made printable so none can inject a line.
      ctx.stderr.write(`apinizer-gitops ${command.name}: ${printable(err.message)}. See \`apinizer-gitops ${command.name} --help\`.\n`);
      return EXIT.error;
    }
    // A bug, not a user error: say so plainly, with the stack only when asked for.
    const e = err as Error;
    ctx.stderr.write(`apinizer-gitops ${command.name}: internal error: ${printable(e.message)}\n`);
    if (ctx.env.APINIZER_DEBUG) ctx.stderr.write(`${e.stack ?? ''}\n`);
    return EXIT.error;
  }
}
