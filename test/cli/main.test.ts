// The CLI shell: top-level and per-command help made from the flag definitions, suggestions for
// unknown commands and flags, the version. In-process through runCli; two spawned runs check that
// the real launcher behaves the same.
import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { commandLoaders, commandReference, loadAllCommands } from '../../src/cli/commands/index.js';
import { HELP_WIDTH, parseArgsOptions, unknownFlagMessage } from '../../src/cli/help.js';
import { runCliProcess } from '../support/cli.js';
import { runCliInProcess } from '../support/run-cli.js';
import { join } from 'node:path';
import { CLI_BIN } from '../support/cli.js';
import { runBash } from '../support/process.js';
import { tempTree } from '../support/tmp.js';
import { KEY, edit } from '../manifest/fixtures.js';

const COMMANDS = ['validate', 'plan', 'apply', 'watch', 'export', 'emulator'];

/** The flag names in a help text's flag lists (from "Flags:" to "Examples:"), one per line. */
function listedFlags(help: string): string[] {
  const lists = help.slice(help.indexOf('\nFlags:\n'), help.indexOf('\nExamples:\n'));
  return [...lists.matchAll(/^ {2}(?:-\w, )?--([a-z][a-z-]*)/gm)].map((m) => m[1] ?? '');
}

/** The arguments of each `$ apinizer-gitops CMD ...` example line (no quoting is used in them). */
function exampleArgs(help: string, command: string): string[][] {
  const line = new RegExp(`^ {2}\\$ apinizer-gitops ${command} (.*)$`, 'gm');
  return [...help.matchAll(line)].map((m) => (m[1] ?? '').split(' '));
}

describe('the top-level help', () => {
  it('lists every command with its summary and says where the flags are', async () => {
    const run = await runCliInProcess(['--help']);
    expect(run.code).toBe(0);
    for (const command of await loadAllCommands()) {
      expect(run.stdout).toContain(`  ${command.name.padEnd(8)}  ${command.summary}`);
    }
    expect(run.stdout).toContain('apinizer-gitops <command> --help');
    expect(run.stdout).toContain('$ apinizer-gitops validate manifests/');
  });

  it("leads to a command's help through `help CMD` too", async () => {
    const run = await runCliInProcess(['help', 'export']);
    expect(run.code).toBe(0);
    expect(run.stdout).toBe((await runCliInProcess(['export', '--help'])).stdout);
    expect((await runCliInProcess(['help', 'exprot'])).stderr).toContain('did you mean export?');
  });

  it('is printed, with exit 1, when no command is given', async () => {
    const run = await runCliInProcess([]);
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('Commands:');
  });
});

describe.each(COMMANDS)('%s --help', (name) => {
  it('lists exactly the flags the command parses, each with its value, default and variable', async () => {
    const run = await runCliInProcess([name, '--help']);
    expect(run.code).toBe(0);
    const command = await commandLoaders[name]!();
    expect(run.stdout.startsWith(`Usage: apinizer-gitops ${name} `)).toBe(true);
    expect(listedFlags(run.stdout).sort()).toEqual([...Object.keys(command.options), 'help'].sort());
    for (const [flag, spec] of Object.entries(command.options)) {
      expect(run.stdout).toContain(`--${flag}${spec.value ? ` ${spec.value}` : ''}`);
      if (spec.default !== undefined) expect(run.stdout).toContain(`[default: ${spec.default}]`);
      if (spec.env !== undefined) expect(run.stdout).toContain(`[env: ${spec.env}]`);
    }
  });

  it('shows examples that the command line parser accepts', async () => {
    const run = await runCliInProcess([name, '-h']);
    const command = await commandLoaders[name]!();
    const examples = exampleArgs(run.stdout, name);
    expect(examples.length).toBeGreaterThan(0);
    for (const args of examples) {
      expect(unknownFlagMessage(args, command.options), args.join(' ')).toBeUndefined();
      const options = parseArgsOptions(command.options);
      expect(() => parseArgs({ args, options, allowPositionals: true, strict: true })).not.toThrow();
    }
  });

  it(`fits in ${HELP_WIDTH} columns`, async () => {
    const run = await runCliInProcess([name, '--help']);
    const long = run.stdout.split('\n').filter((line) => line.length > HELP_WIDTH);
    expect(long).toEqual([]);
  });
});

describe('mistakes on the command line', () => {
  it('names the nearest flag for a misspelt one, before any work (no server is needed)', async () => {
    const run = await runCliInProcess(['plan', 'manifests', '--concurency', '8']);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      'apinizer-gitops plan: unknown flag --concurency; did you mean --concurrency? ' +
        'See `apinizer-gitops plan --help`.\n',
    );
    expect(run.stdout).toBe('');
  });

  it('reads the flag name of --flag=value and suggests by prefix too', async () => {
    const equals = await runCliInProcess(['apply', 'm', '--max-delete=3']);
    expect(equals.stderr).toContain('unknown flag --max-delete; did you mean --max-deletes?');
    const prefix = await runCliInProcess(['apply', 'm', '--dry']);
    expect(prefix.stderr).toContain('unknown flag --dry; did you mean --dry-run?');
  });

  it('suggests nothing when no flag is near, and names a flag of another command as unknown here', async () => {
    const far = await runCliInProcess(['validate', 'm', '--frobnicate']);
    expect(far.code).toBe(1);
    expect(far.stderr).toContain('unknown flag --frobnicate. See `apinizer-gitops validate --help`.');
    expect((await runCliInProcess(['validate', 'm', '--prune'])).stderr).toContain('unknown flag --prune.');
  });

  it('takes everything after -- as a PATH', async () => {
    const run = await runCliInProcess(['validate', '--', '--concurency'], { cwd: '/nonexistent-dir-for-test' });
    expect(run.stderr).not.toContain('unknown flag');
    expect(run.stdout).toContain('--concurency');
  });

  it('names the nearest command for a misspelt one, and lists them all', async () => {
    const run = await runCliInProcess(['aply']);
    expect(run.code).toBe(1);
    const list = `Commands: ${COMMANDS.join(', ')}.`;
    expect(run.stderr).toBe(`apinizer-gitops: unknown command "aply"; did you mean apply? ${list}\n`);
    const far = await runCliInProcess(['frobnicate']);
    expect(far.stderr).toBe(`apinizer-gitops: unknown command "frobnicate". ${list}\n`);
  });

  it('still reports a bad flag value through the command, naming the flag', async () => {
    const run = await runCliInProcess(['plan', 'm', '--format', 'yaml']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('--format must be text, json or markdown, got "yaml"');
  });
});

describe('the command reference for the docs', () => {
  it('has every command and every flag the parser accepts, with the defaults help shows', async () => {
    const reference = await commandReference();
    expect(reference.map((r) => r.command)).toEqual(COMMANDS);
    for (const entry of reference) {
      const command = await commandLoaders[entry.command]!();
      const parsed = [...Object.keys(command.options), 'help'].map((f) => `--${f}`);
      expect(entry.flags.map((f) => f.name).sort()).toEqual(parsed.sort());
      for (const flag of entry.flags) expect(flag.description.length).toBeGreaterThan(0);
    }
    const plan = reference.find((r) => r.command === 'plan')!;
    const concurrency = plan.flags.find((f) => f.name === '--concurrency');
    expect(concurrency).toMatchObject({ default: '4', env: 'APINIZER_CONCURRENCY' });
    expect(plan.flags.find((f) => f.name === '--format')).toMatchObject({ default: 'text' });
  });
});

describe('the real launcher', () => {
  it('prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const run = await runCliProcess(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe(pkg.version);
  });

  it("exits 1 with the suggestion for a misspelt flag, and 0 for a command's help", async () => {
    const bad = await runCliProcess(['apply', 'manifests', '--concurency', '8']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown flag --concurency; did you mean --concurrency?');
    const help = await runCliProcess(['watch', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('--metrics-port N');
  });

  it('escapes control characters in an unknown command name', async () => {
    const run = await runCliProcess(['x\n::warning::y']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('unknown command "x\\n::warning::y"');
  });

  it('exits quietly when the reader of its output goes away (plan | head -1), keeping the exit code', async () => {
    // Far more output than a pipe holds (64 KiB), so writes continue after `head` has left.
    const docs = Array.from({ length: 500 }, (_, i) =>
      edit(edit(KEY, 'keyType: RSA', 'keyType: rsa'), 'payments-signing', `k${i}-${'x'.repeat(120)}`),
    );
    const dir = tempTree({ 'big.yaml': docs.join('---\n') });
    {
      const redirect = '2>"$ERR"';
      const run = await runBash(
        `set +e +o pipefail; "$NODE" "$CLI" validate . ${redirect} | head -1 > "$OUT"; echo "rc=\${PIPESTATUS[0]}"; cat "$ERR" 2>/dev/null || true`,
        {
          cwd: dir,
          env: {
            PATH: process.env.PATH,
            NODE: process.execPath,
            CLI: CLI_BIN,
            ERR: join(dir, 'err.txt'),
            OUT: join(dir, 'out.txt'),
          },
        },
      );
      expect(run.stdout, redirect).toBe('rc=1\n'); // validate's own verdict (errors found), and nothing on stderr
      expect(readFileSync(join(dir, 'out.txt'), 'utf8')).toMatch(/^big\.yaml:7:3 Key Payments\/k0-x+: spec\.keyType: /);
    }
  });
});
