// The option parsers of each command, without running it: what argv, the environment and the
// config file turn into (defaults, precedence), and the UsageError each bad value raises. The
// commands' behaviour on those options is covered by the runCli scenarios.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Command, type ParsedArgs, UsageError } from '../../src/cli/command.js';
import { parseArgsOptions } from '../../src/cli/help.js';
import { applyCommand, parseApplyOptions } from '../../src/cli/commands/apply.js';
import { exportCommand, parseExportOptions } from '../../src/cli/commands/export.js';
import { parsePlanOptions, planCommand } from '../../src/cli/commands/plan.js';
import { parseValidateOptions, validateCommand } from '../../src/cli/commands/validate.js';
import { parseWatchOptions, watchCommand } from '../../src/cli/commands/watch.js';
import { tempTree } from '../support/tmp.js';

/** argv parsed as runCli parses it for `command`. */
function argv(command: Command, ...words: string[]): ParsedArgs {
  const parsed = parseArgs({ args: words, options: parseArgsOptions(command.options), allowPositionals: true });
  return { values: parsed.values, positionals: parsed.positionals };
}

const ENV = { APINIZER_URL: 'https://apinizer.example.com', APINIZER_TOKEN: 'tok-123' };
const ctx = (env: NodeJS.ProcessEnv = ENV, cwd = '/work') => ({ env, cwd });

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('parseApplyOptions', () => {
  it('has the documented defaults', () => {
    const o = parseApplyOptions(argv(applyCommand, 'manifests/'), ctx());
    expect(o).toMatchObject({
      paths: ['manifests/'],
      format: 'text',
      out: undefined,
      maxDeletes: 20,
      dryRun: false,
      redeploy: false,
      planFile: undefined,
      prune: false,
      allowEmptyPrune: false,
      material: { expiryWarnDays: 30 },
      conn: { server: 'https://apinizer.example.com', concurrency: 4 },
    });
  });

  it('reads every flag', () => {
    const o = parseApplyOptions(
      argv(
        applyCommand,
        'a/',
        'b.yaml',
        '--prune',
        '--allow-empty-prune',
        '--max-deletes',
        '5',
        '--dry-run',
        '--redeploy',
        '--plan',
        'plan.json',
        '--format',
        'json',
        '--out',
        'report.json',
        '--skip-material-checks',
      ),
      ctx(),
    );
    expect(o).toMatchObject({
      paths: ['a/', 'b.yaml'],
      format: 'json',
      out: 'report.json',
      maxDeletes: 5,
      dryRun: true,
      redeploy: true,
      planFile: 'plan.json',
      prune: true,
      allowEmptyPrune: true,
      material: undefined,
    });
  });

  it('takes a flag over its variable, and the variable over the config file', () => {
    const dir = tempTree({
      'settings.yaml': 'server: https://from-config.example\nconcurrency: 2\nproject: FromConfig\n',
    });
    const config = { ...ENV, APINIZER_URL: '', APINIZER_CONFIG: join(dir, 'settings.yaml') };
    expect(parseApplyOptions(argv(applyCommand, 'm/'), ctx(config)).conn).toMatchObject({
      server: 'https://from-config.example',
      concurrency: 2,
      project: 'FromConfig',
    });
    const variables = { ...config, APINIZER_CONCURRENCY: '3', APINIZER_PROJECT: 'FromEnv' };
    expect(parseApplyOptions(argv(applyCommand, 'm/'), ctx(variables)).conn).toMatchObject({
      concurrency: 3,
      project: 'FromEnv',
    });
    const flags = argv(applyCommand, 'm/', '--concurrency', '8', '--project', 'FromFlag');
    expect(parseApplyOptions(flags, ctx(variables)).conn).toMatchObject({ concurrency: 8, project: 'FromFlag' });
  });

  it('says what is wrong, PATHs first', () => {
    expect(usageError(() => parseApplyOptions(argv(applyCommand, '--format', 'yaml'), ctx()))).toBe(
      'give at least one PATH (a manifest file or a folder of them)',
    );
    expect(usageError(() => parseApplyOptions(argv(applyCommand, 'm/', '--format', 'markdown'), ctx()))).toBe(
      '--format must be text or json, got "markdown"',
    );
    expect(usageError(() => parseApplyOptions(argv(applyCommand, 'm/', '--max-deletes=-1'), ctx()))).toBe(
      '--max-deletes must be a whole number from 0 to 1000000, got "-1"',
    );
    expect(usageError(() => parseApplyOptions(argv(applyCommand, 'm/', '--expiry-warn-days', 'soon'), ctx()))).toBe(
      '--expiry-warn-days must be a whole number of days (0 or more), got "soon"',
    );
    expect(usageError(() => parseApplyOptions(argv(applyCommand, 'm/'), ctx({})))).toMatch(/^no Apinizer server given/);
  });
});

describe('parsePlanOptions', () => {
  it('has the documented defaults and reads its own flags', () => {
    expect(parsePlanOptions(argv(planCommand, 'm/'), ctx())).toMatchObject({
      format: 'text',
      out: undefined,
      jsonOut: undefined,
      detailedExitcode: false,
      prune: false,
    });
    const o = parsePlanOptions(
      argv(planCommand, 'm/', '--format', 'markdown', '--out', 'p.md', '--json-out', 'p.json', '--detailed-exitcode'),
      ctx(),
    );
    expect(o).toMatchObject({ format: 'markdown', out: 'p.md', jsonOut: 'p.json', detailedExitcode: true });
  });

  it('refuses one file for --out and --json-out, however spelt', () => {
    expect(
      usageError(() => parsePlanOptions(argv(planCommand, 'm/', '--out', 'p.json', '--json-out', './p.json'), ctx())),
    ).toBe('--out and --json-out both name p.json: give two files');
    expect(usageError(() => parsePlanOptions(argv(planCommand, 'm/', '--format', 'html'), ctx()))).toBe(
      '--format must be text, json or markdown, got "html"',
    );
  });
});

describe('parseWatchOptions', () => {
  it('has the documented defaults', () => {
    expect(parseWatchOptions(argv(watchCommand, 'm/'), ctx())).toMatchObject({
      paths: ['m/'],
      maxDeletes: 20,
      debounceMs: 300,
      resyncSeconds: 300,
      pollMs: undefined,
      drift: 'correct',
      metricsPort: null,
      metricsHost: '127.0.0.1',
      prune: false,
      material: { expiryWarnDays: 30 },
    });
  });

  it('reads every flag', () => {
    const o = parseWatchOptions(
      argv(
        watchCommand,
        'm/',
        '--prune',
        '--debounce',
        '500',
        '--poll',
        '1000',
        '--resync',
        '60',
        '--drift',
        'warn',
        '--metrics-port',
        '0',
        '--metrics-host',
        '0.0.0.0',
        '--expiry-warn-days',
        '7',
      ),
      ctx(),
    );
    expect(o).toMatchObject({
      prune: true,
      debounceMs: 500,
      pollMs: 1000,
      resyncSeconds: 60,
      drift: 'warn',
      metricsPort: 0,
      metricsHost: '0.0.0.0',
      material: { expiryWarnDays: 7 },
    });
  });

  it('says what is wrong', () => {
    const bad = (...words: string[]) => usageError(() => parseWatchOptions(argv(watchCommand, 'm/', ...words), ctx()));
    expect(bad('--debounce', '10')).toMatch(/^--debounce must be a whole number from \d+ to 600000, got "10"$/);
    expect(bad('--poll', '1')).toMatch(/^--poll must be a whole number from \d+ to 3600000, got "1"$/);
    expect(bad('--resync', '0')).toBe('--resync must be a whole number from 1 to 604800, got "0"');
    expect(bad('--drift', 'fix')).toBe('--drift must be correct or warn, got "fix"');
    expect(bad('--metrics-port', '70000')).toBe('--metrics-port must be a whole number from 0 to 65535, got "70000"');
    expect(bad('--metrics-port', '9464', '--metrics-host', 'http://x/')).toBe(
      '--metrics-host must be an address to listen on, such as 127.0.0.1 or 0.0.0.0, got "http://x/"',
    );
    expect(bad('--metrics-host', '0.0.0.0')).toBe('--metrics-host needs --metrics-port');
  });
});

describe('parseExportOptions', () => {
  it('resolves --out against the working directory and defaults to both kinds in files', () => {
    expect(parseExportOptions(argv(exportCommand, '--project', 'Payments', '--out', 'out'), ctx())).toMatchObject({
      outDir: '/work/out',
      kinds: ['Key', 'Keystore'],
      secrets: 'file',
      recipients: [],
      force: false,
      project: 'Payments',
    });
  });

  it('takes the project from APINIZER_PROJECT when there is no flag, and the flag over it', () => {
    const env = { ...ENV, APINIZER_PROJECT: 'FromEnv' };
    expect(parseExportOptions(argv(exportCommand, '--out', 'o'), ctx(env)).project).toBe('FromEnv');
    expect(parseExportOptions(argv(exportCommand, '--out', 'o', '--project', 'P'), ctx(env)).project).toBe('P');
  });

  it('reads kinds, secrets and recipients', () => {
    const recipient = 'age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p';
    const o = parseExportOptions(
      argv(exportCommand, '--project', 'P', '--out', 'o', '--kind', 'keystores', '--sops-age', recipient, '--force'),
      ctx(),
    );
    expect(o).toMatchObject({ kinds: ['Keystore'], secrets: 'inline', recipients: [recipient], force: true });
  });

  it('says what is wrong', () => {
    const bad = (...words: string[]) => usageError(() => parseExportOptions(argv(exportCommand, ...words), ctx()));
    expect(bad('dir/')).toBe('export takes no PATH arguments (got "dir/"); give the folder with --out DIR');
    expect(bad('--project', 'P')).toBe('give the folder to write into: --out DIR');
    expect(bad('--out', 'o')).toBe('give the project to export: --project P (or APINIZER_PROJECT)');
    expect(bad('--out', 'o', '--project', 'P', '--kind', 'jwk')).toBe(
      '--kind must be Key, Keystore or several (comma-separated), got "jwk"',
    );
    expect(bad('--out', 'o', '--project', 'P', '--secrets', 'vault')).toBe(
      '--secrets must be file or env, got "vault"',
    );
  });
});

describe('parseValidateOptions', () => {
  it('needs no server, and takes --max-file-size over APINIZER_MAX_FILE_BYTES', () => {
    expect(parseValidateOptions(argv(validateCommand, 'm/'), ctx({}))).toMatchObject({
      paths: ['m/'],
      format: 'text',
      defaultProject: undefined,
      material: { expiryWarnDays: 30 },
    });
    const env = { APINIZER_MAX_FILE_BYTES: '2048', APINIZER_PROJECT: 'P' };
    expect(parseValidateOptions(argv(validateCommand, 'm/'), ctx(env))).toMatchObject({
      maxFileBytes: 2048,
      defaultProject: 'P',
    });
    expect(parseValidateOptions(argv(validateCommand, 'm/', '--max-file-size', '99'), ctx(env)).maxFileBytes).toBe(99);
  });

  it('says what is wrong, naming the flag or the variable', () => {
    expect(usageError(() => parseValidateOptions(argv(validateCommand, 'm/', '--format', 'sarif'), ctx({})))).toBe(
      '--format must be text or json, got "sarif"',
    );
    expect(
      usageError(() => parseValidateOptions(argv(validateCommand, 'm/'), ctx({ APINIZER_MAX_FILE_BYTES: '0' }))),
    ).toBe('APINIZER_MAX_FILE_BYTES must be a whole number of bytes (1 or more), got "0"');
  });
});
