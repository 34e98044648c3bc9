import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { resolveConnection, resolveDefaultProject } from '../../src/cli/connection.js';
import { UsageError, type ParsedArgs } from '../../src/cli/command.js';
import { tempTree } from '../support/tmp.js';

function args(values: ParsedArgs['values'] = {}): ParsedArgs {
  return { values, positionals: [] };
}

const TOKEN_ENV = { APINIZER_URL: 'https://apinizer.example.com', APINIZER_TOKEN: 'tok-123' };

function usageError(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('resolveConnection', () => {
  it('has the documented defaults', () => {
    expect(resolveConnection(args(), TOKEN_ENV, '/')).toEqual({
      server: 'https://apinizer.example.com',
      auth: { token: 'tok-123' },
      concurrency: 4,
      timeoutMs: 30_000,
      attempts: 4,
      allowInsecureHttp: false,
      logLevel: 'info',
    });
  });

  it('normalises the server URL: trailing slash and /apiops removed, path prefix kept', () => {
    for (const [given, expected] of [
      ['https://h.example/', 'https://h.example'],
      ['https://h.example/apiops', 'https://h.example'],
      ['https://h.example/apiops/', 'https://h.example'],
      ['https://h.example:8443/manager/', 'https://h.example:8443/manager'],
    ]) {
      expect(resolveConnection(args({ server: given }), { APINIZER_TOKEN: 't' }, '/').server).toBe(expected);
    }
  });

  it('prefers the flag over the variable over the config file', () => {
    const dir = tempTree({
      'c.yaml': 'server: https://from-config\nproject: FromConfig\nconcurrency: 8\ntimeout: 5\nretries: 2\n',
    });
    const env = { APINIZER_TOKEN: 't', APINIZER_URL: 'https://from-env', APINIZER_CONCURRENCY: '6' };
    const fromConfig = resolveConnection(args({ config: 'c.yaml' }), { APINIZER_TOKEN: 't' }, dir);
    expect(fromConfig).toMatchObject({
      server: 'https://from-config',
      project: 'FromConfig',
      concurrency: 8,
      timeoutMs: 5000,
      attempts: 2,
    });
    const fromEnv = resolveConnection(args({ config: 'c.yaml' }), env, dir);
    expect(fromEnv).toMatchObject({ server: 'https://from-env', concurrency: 6 });
    const fromFlags = resolveConnection(
      args({ config: 'c.yaml', server: 'https://from-flag', concurrency: '3', project: 'Flag' }),
      env,
      dir,
    );
    expect(fromFlags).toMatchObject({ server: 'https://from-flag', concurrency: 3, project: 'Flag' });
  });

  it('reads every setting from its variable', () => {
    const s = resolveConnection(
      args(),
      {
        ...TOKEN_ENV,
        APINIZER_PROJECT: 'Payments',
        APINIZER_CONCURRENCY: '64',
        APINIZER_TIMEOUT: '2.5',
        APINIZER_RETRIES: '1',
        APINIZER_CA_FILE: 'ca.pem',
        LOG_LEVEL: 'debug',
        LOG_FORMAT: 'json',
      },
      '/work',
    );
    expect(s).toMatchObject({
      project: 'Payments',
      concurrency: 64,
      timeoutMs: 2500,
      attempts: 1,
      caFile: '/work/ca.pem',
      logLevel: 'debug',
      logFormat: 'json',
    });
  });

  it('resolves the config file caFile against the config file folder', () => {
    const dir = tempTree({ 'conf/c.yaml': 'caFile: certs/ca.pem\nallowInsecureHttp: true\nlog-level: warn\n' });
    const s = resolveConnection(args({ config: 'conf/c.yaml' }), TOKEN_ENV, dir);
    expect(s.caFile).toBe(join(dir, 'conf/certs/ca.pem'));
    expect(s.allowInsecureHttp).toBe(true);
    expect(s.logLevel).toBe('warn');
  });

  it('takes the token from a token file, trimmed', () => {
    const dir = tempTree({ 'token.txt': '  file-token\n' });
    expect(resolveConnection(args({ server: 'https://h' }), { APINIZER_TOKEN_FILE: 'token.txt' }, dir).auth).toEqual({
      token: 'file-token',
    });
  });

  it('takes username and password when no token is set', () => {
    expect(
      resolveConnection(args({ server: 'https://h' }), { APINIZER_USERNAME: 'admin', APINIZER_PASSWORD: 'pw' }, '/')
        .auth,
    ).toEqual({
      username: 'admin',
      password: 'pw',
    });
    expect(
      resolveConnection(
        args({ server: 'https://h' }),
        { APINIZER_TOKEN: 't', APINIZER_USERNAME: 'admin', APINIZER_PASSWORD: 'pw' },
        '/',
      ).auth,
    ).toEqual({
      token: 't',
    });
  });

  it.each<[string, ParsedArgs['values'], NodeJS.ProcessEnv, RegExp]>([
    ['no server', {}, { APINIZER_TOKEN: 't' }, /set --server or APINIZER_URL/],
    [
      'no credentials',
      { server: 'https://h' },
      {},
      /APINIZER_TOKEN.*APINIZER_TOKEN_FILE.*APINIZER_USERNAME and APINIZER_PASSWORD/,
    ],
    ['username only', { server: 'https://h' }, { APINIZER_USERNAME: 'a' }, /APINIZER_PASSWORD is not/],
    [
      'unreadable token file',
      { server: 'https://h' },
      { APINIZER_TOKEN_FILE: '/nonexistent/tok' },
      /APINIZER_TOKEN_FILE "\/nonexistent\/tok": cannot read it/,
    ],
    [
      'bad url',
      { server: 'not a url' },
      { APINIZER_TOKEN: 't' },
      /--server: the server URL "not a url" is not a valid URL/,
    ],
    ['ftp url', { server: 'ftp://h' }, { APINIZER_TOKEN: 't' }, /https:\/\//],
    [
      'credentials in the URL',
      { server: 'https://u:p@h' },
      { APINIZER_TOKEN: 't' },
      /must not carry a user name or password/,
    ],
    ['insecure http', { server: 'http://apinizer.example.com' }, { APINIZER_TOKEN: 't' }, /--allow-insecure-http/],
    [
      'concurrency 0',
      { server: 'https://h', concurrency: '0' },
      { APINIZER_TOKEN: 't' },
      /--concurrency must be a whole number .* from 1 to 64, got "0"/,
    ],
    [
      'concurrency 65 from env',
      { server: 'https://h' },
      { APINIZER_TOKEN: 't', APINIZER_CONCURRENCY: '65' },
      /APINIZER_CONCURRENCY must be/,
    ],
    [
      'timeout text',
      { server: 'https://h', timeout: 'soon' },
      { APINIZER_TOKEN: 't' },
      /--timeout must be a number of seconds/,
    ],
    ['retries 0', { server: 'https://h', retries: '0' }, { APINIZER_TOKEN: 't' }, /--retries must be/],
    ['log level', { server: 'https://h', 'log-level': 'loud' }, { APINIZER_TOKEN: 't' }, /--log-level must be one of/],
    ['log format', { server: 'https://h', 'log-format': 'xml' }, { APINIZER_TOKEN: 't' }, /json or pretty/],
    [
      'missing config',
      { server: 'https://h', config: '/nonexistent.yaml' },
      { APINIZER_TOKEN: 't' },
      /--config "\/nonexistent.yaml": cannot read it/,
    ],
  ])('refuses %s', (_label, values, env, expected) => {
    expect(usageError(() => resolveConnection(args(values), env, '/'))).toMatch(expected);
  });

  it('allows http to loopback, and to anywhere with the flag', () => {
    const loopback = [
      'http://127.0.0.1:8080',
      'http://localhost:1',
      'http://[::1]:80',
      'http://127.1.2.3',
      // Other spellings of the same machine: the root's trailing dot, IPv4-mapped IPv6, shorthand IPv4.
      'http://localhost.:8080',
      'http://api.localhost.',
      'http://[::ffff:127.0.0.1]:8080',
      'http://[0:0:0:0:0:ffff:7f00:1]',
      'http://[0:0:0:0:0:0:0:1]',
      'http://127.1',
    ];
    for (const server of loopback) {
      expect(resolveConnection(args({ server }), { APINIZER_TOKEN: 't' }, '/').server).toBe(new URL(server).origin);
    }
    // Look-alikes that leave the machine are still refused.
    for (const server of ['http://localhost.evil.example', 'http://[::ffff:10.0.0.1]', 'http://127.0.0.1.nip.io']) {
      expect(usageError(() => resolveConnection(args({ server }), { APINIZER_TOKEN: 't' }, '/'))).toMatch(/http/);
    }
    expect(
      resolveConnection(args({ server: 'http://h.example', 'allow-insecure-http': true }), { APINIZER_TOKEN: 't' }, '/')
        .allowInsecureHttp,
    ).toBe(true);
  });

  it.each(['token: abc', 'password: abc', 'apiToken: abc', 'client_secret: x'])(
    'refuses a secret in the config file (%s), saying why',
    (line) => {
      const dir = tempTree({ 'c.yaml': `server: https://h\n${line}\n` });
      const message = usageError(() => resolveConnection(args({ config: 'c.yaml' }), { APINIZER_TOKEN: 't' }, dir));
      expect(message).toMatch(/not allowed in a config file, because such files get committed/);
      expect(message).toMatch(/APINIZER_TOKEN/);
      expect(message).not.toContain('abc');
    },
  );

  it('refuses unknown and malformed config files', () => {
    const dir = tempTree({ 'a.yaml': 'sever: https://h\n', 'b.yaml': '- a\n', 'c.yaml': 'a: [\n' });
    expect(usageError(() => resolveConnection(args({ config: 'a.yaml' }), { APINIZER_TOKEN: 't' }, dir))).toMatch(
      /unknown setting "sever"/,
    );
    expect(usageError(() => resolveConnection(args({ config: 'b.yaml' }), { APINIZER_TOKEN: 't' }, dir))).toMatch(
      /expected a mapping/,
    );
    expect(usageError(() => resolveConnection(args({ config: 'c.yaml' }), { APINIZER_TOKEN: 't' }, dir))).toMatch(
      /not valid YAML/,
    );
  });

  it('never puts the token or password in an error message', () => {
    const messages = [
      usageError(() => resolveConnection(args({ server: 'ftp://h' }), { APINIZER_TOKEN: 'SEKRIT-TOKEN' }, '/')),
      usageError(() =>
        resolveConnection(
          args({ server: 'https://h', concurrency: 'x' }),
          { APINIZER_USERNAME: 'u', APINIZER_PASSWORD: 'SEKRIT-PW' },
          '/',
        ),
      ),
    ];
    for (const m of messages) expect(m).not.toMatch(/SEKRIT/);
  });
});

describe('resolveDefaultProject', () => {
  it('needs no server or token', () => {
    expect(resolveDefaultProject(args(), {}, '/')).toBeUndefined();
    expect(resolveDefaultProject(args(), { APINIZER_PROJECT: 'Env' }, '/')).toBe('Env');
    expect(resolveDefaultProject(args({ project: 'Flag' }), { APINIZER_PROJECT: 'Env' }, '/')).toBe('Flag');
    const dir = tempTree({ 'c.yaml': 'project: My Project\n' });
    expect(resolveDefaultProject(args({ config: 'c.yaml' }), {}, dir)).toBe('My Project');
  });
});
