/**
 * Where the connection settings come from (SPEC §3): a flag wins over an environment variable,
 * which wins over the `--config FILE` YAML file. Tokens and passwords come only from environment
 * variables (or a token file named by one): never a flag, never the config file, which tends to
 * be committed.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { yamlLibrary } from '../yaml-lazy.js';
import { type ParsedArgs, UsageError, booleanFlag, stringFlag } from './command.js';
import type { AuthSettings } from '../api/auth.js';
import type { ApiGeneration } from '../model.js';
import { apiBase, describeUnsafeCharacter, isDotSegment, isHeaderSafe, isLoopbackHost } from '../api/url.js';

/** Everything a command needs to build the client and its logger. */
export interface ConnectionSettings {
  /** Manager URL without /apiops and without a trailing slash. */
  server: string;
  auth: AuthSettings;
  project?: string;
  concurrency: number;
  timeoutMs: number;
  attempts: number;
  allowInsecureHttp: boolean;
  /** Absolute path of the CA bundle. */
  caFile?: string;
  logLevel: string;
  logFormat?: 'json' | 'pretty';
  /** The API generation to speak, skipping the probe (SPEC §2b); found per project when absent. */
  apiGeneration?: ApiGeneration;
}

const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

/** Config file keys, in their canonical spelling; kebab-case spellings of the flags are accepted too. */
const CONFIG_KEYS = [
  'server',
  'project',
  'concurrency',
  'timeout',
  'retries',
  'caFile',
  'allowInsecureHttp',
  'logLevel',
  'logFormat',
  'username',
  'apiGeneration',
] as const;
type ConfigKey = (typeof CONFIG_KEYS)[number];
const ALIASES: Record<string, ConfigKey> = {
  url: 'server',
  'ca-file': 'caFile',
  'allow-insecure-http': 'allowInsecureHttp',
  'log-level': 'logLevel',
  'log-format': 'logFormat',
  'api-generation': 'apiGeneration',
  attempts: 'retries',
};

interface ConfigFile {
  path: string;
  values: Partial<Record<ConfigKey, unknown>>;
}

/** A setting's value and where it came from, so an error can name the flag, variable or file. */
interface Sourced {
  value: unknown;
  source: string;
}

function envValue(env: NodeJS.ProcessEnv, name: string): string | undefined {
  const v = env[name];
  return v !== undefined && v.trim() !== '' ? v.trim() : undefined;
}

function readConfig(args: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): ConfigFile | undefined {
  const given = stringFlag(args, 'config') ?? envValue(env, 'APINIZER_CONFIG');
  if (given === undefined) return undefined;
  const path = resolve(cwd, given);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new UsageError(
      `--config "${given}": cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
    );
  }
  let data: unknown;
  try {
    data = yamlLibrary().parse(text);
  } catch (err) {
    throw new UsageError(`--config "${given}": not valid YAML: ${(err as Error).message.split('\n')[0] ?? ''}`);
  }
  if (data === null || data === undefined) return { path, values: {} };
  if (typeof data !== 'object' || Array.isArray(data))
    throw new UsageError(`--config "${given}": expected a mapping of settings (server, project, ...)`);
  const values: Partial<Record<ConfigKey, unknown>> = {};
  for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
    if (/token|password|secret|credential/i.test(key)) {
      throw new UsageError(
        `--config "${given}": "${key}" is not allowed in a config file, because such files get committed and shared; ` +
          'set APINIZER_TOKEN or APINIZER_TOKEN_FILE (or APINIZER_USERNAME and APINIZER_PASSWORD) in the environment instead',
      );
    }
    const canonical = (CONFIG_KEYS as readonly string[]).includes(key) ? (key as ConfigKey) : ALIASES[key];
    if (canonical === undefined)
      throw new UsageError(`--config "${given}": unknown setting "${key}"; known: ${CONFIG_KEYS.join(', ')}`);
    values[canonical] = value;
  }
  return { path, values };
}

/** The first of flag, environment variable, config key that is set. */
function pick(
  args: ParsedArgs,
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  variable: string | undefined,
  config: ConfigFile | undefined,
  key: ConfigKey,
): Sourced | undefined {
  if (flag !== undefined) {
    const v = stringFlag(args, flag);
    if (v !== undefined) return { value: v, source: `--${flag}` };
  }
  if (variable !== undefined) {
    const v = envValue(env, variable);
    if (v !== undefined) return { value: v, source: variable };
  }
  if (config !== undefined) {
    const v = config.values[key];
    if (v !== undefined && v !== null && v !== '') return { value: v, source: `${key} in ${config.path}` };
  }
  return undefined;
}

function asString(s: Sourced): string {
  if (typeof s.value === 'string') return s.value.trim();
  if (typeof s.value === 'number' || typeof s.value === 'boolean') return String(s.value);
  throw new UsageError(`${s.source} must be a text value`);
}

function numberSetting(
  s: Sourced | undefined,
  fallback: number,
  min: number,
  max: number,
  integer: boolean,
  what: string,
): number {
  if (s === undefined) return fallback;
  const raw = typeof s.value === 'number' ? s.value : Number(asString(s));
  if (!Number.isFinite(raw) || (integer && !Number.isInteger(raw)) || raw < min || raw > max) {
    throw new UsageError(
      `${s.source} must be ${integer ? 'a whole number' : 'a number'} of ${what} from ${min} to ${max}, got "${asString(s)}"`,
    );
  }
  return raw;
}

function booleanSetting(s: Sourced | undefined): boolean {
  if (s === undefined) return false;
  if (typeof s.value === 'boolean') return s.value;
  const t = asString(s).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(t)) return true;
  if (['0', 'false', 'no', 'off'].includes(t)) return false;
  throw new UsageError(`${s.source} must be true or false, got "${t}"`);
}

function resolveServer(s: Sourced | undefined): string {
  if (s === undefined)
    throw new UsageError(
      'no Apinizer server given: set --server or APINIZER_URL (the Manager URL, e.g. https://apinizer.example.com)',
    );
  const text = asString(s);
  let base;
  try {
    base = apiBase(text);
  } catch (err) {
    throw new UsageError(`${s.source}: ${(err as Error).message}`);
  }
  if (base.url.search !== '' || base.url.hash !== '')
    throw new UsageError(`${s.source}: the server URL must not have a query or fragment`);
  return `${base.origin}${base.basePath.replace(/\/apiops$/, '')}`;
}

function resolveAuth(env: NodeJS.ProcessEnv, cwd: string, config: ConfigFile | undefined): AuthSettings {
  // A token is a secret: it comes only from the environment, and is never echoed in a message.
  const token = env.APINIZER_TOKEN?.trim();
  if (token) return { token: checkedToken(token, 'APINIZER_TOKEN') };
  const tokenFile = envValue(env, 'APINIZER_TOKEN_FILE');
  if (tokenFile !== undefined) {
    let text: string;
    try {
      text = readFileSync(resolve(cwd, tokenFile), 'utf8');
    } catch (err) {
      throw new UsageError(
        `APINIZER_TOKEN_FILE "${tokenFile}": cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    const fromFile = text.trim();
    if (fromFile === '') throw new UsageError(`APINIZER_TOKEN_FILE "${tokenFile}" is empty: it must hold the token`);
    // A trailing line break (every editor adds one) is trimmed above; one inside is an error.
    return { token: checkedToken(fromFile, `the token in APINIZER_TOKEN_FILE "${tokenFile}"`) };
  }
  const configUser = config?.values.username;
  const username =
    envValue(env, 'APINIZER_USERNAME') ??
    (typeof configUser === 'string' && configUser.trim() !== '' ? configUser.trim() : undefined);
  const password = env.APINIZER_PASSWORD;
  if (username !== undefined && password !== undefined && password !== '') return { username, password };
  if (username !== undefined)
    throw new UsageError(
      'APINIZER_USERNAME is set but APINIZER_PASSWORD is not: set both, or set APINIZER_TOKEN instead',
    );
  if (password !== undefined && password !== '')
    throw new UsageError(
      'APINIZER_PASSWORD is set but APINIZER_USERNAME is not: set both, or set APINIZER_TOKEN instead',
    );
  throw new UsageError(
    'no credentials: set APINIZER_TOKEN (a personal API access token), or APINIZER_TOKEN_FILE (a file holding it), or APINIZER_USERNAME and APINIZER_PASSWORD',
  );
}

/** The project setting, refused when it is `.` or `..` (also URL-encoded): a path segment a proxy would resolve away. */
function checkedProject(s: Sourced): string {
  const project = asString(s);
  if (isDotSegment(project))
    throw new UsageError(
      `${s.source} must name a project, not ${JSON.stringify(project)} (a path segment that means "this" or "the parent" folder)`,
    );
  return project;
}

/** `token` when an HTTP header can carry it; else a UsageError saying where the bad character is (never the token). */
function checkedToken(token: string, what: string): string {
  if (isHeaderSafe(token)) return token;
  throw new UsageError(
    `${what} has invalid characters (${describeUnsafeCharacter(token)}): a token is one line of printable ASCII; copy it again without line breaks`,
  );
}

/** The connection settings from flags, environment and config file; throws UsageError naming what is wrong. */
export function resolveConnection(args: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): ConnectionSettings {
  const config = readConfig(args, env, cwd);
  const server = resolveServer(pick(args, 'server', env, 'APINIZER_URL', config, 'server'));
  const allowInsecureHttp =
    booleanFlag(args, 'allow-insecure-http') ||
    booleanSetting(pick(args, undefined, env, 'APINIZER_ALLOW_INSECURE_HTTP', config, 'allowInsecureHttp'));
  const url = new URL(server);
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname) && !allowInsecureHttp) {
    throw new UsageError(
      `refusing plain http:// to ${url.hostname}: the token would cross the network unencrypted. Use https://, or pass --allow-insecure-http if you accept that`,
    );
  }
  const auth = resolveAuth(env, cwd, config);
  const concurrency = numberSetting(
    pick(args, 'concurrency', env, 'APINIZER_CONCURRENCY', config, 'concurrency'),
    4,
    1,
    64,
    true,
    'parallel calls',
  );
  const timeoutSeconds = numberSetting(
    pick(args, 'timeout', env, 'APINIZER_TIMEOUT', config, 'timeout'),
    30,
    0.1,
    3600,
    false,
    'seconds',
  );
  const attempts = numberSetting(
    pick(args, 'retries', env, 'APINIZER_RETRIES', config, 'retries'),
    4,
    1,
    20,
    true,
    'attempts',
  );

  const settings: ConnectionSettings = {
    server,
    auth,
    concurrency,
    timeoutMs: Math.round(timeoutSeconds * 1000),
    attempts,
    allowInsecureHttp,
    logLevel: 'info',
  };
  const project = pick(args, 'project', env, 'APINIZER_PROJECT', config, 'project');
  if (project !== undefined) settings.project = checkedProject(project);

  const caFlag = stringFlag(args, 'ca-file');
  const caEnv = envValue(env, 'APINIZER_CA_FILE');
  const caConfig = config?.values.caFile;
  if (caFlag !== undefined) settings.caFile = resolve(cwd, caFlag);
  else if (caEnv !== undefined) settings.caFile = resolve(cwd, caEnv);
  else if (typeof caConfig === 'string' && caConfig !== '' && config)
    settings.caFile = resolve(dirname(config.path), caConfig);

  const level = pick(args, 'log-level', env, 'LOG_LEVEL', config, 'logLevel');
  if (level !== undefined) {
    const l = asString(level).toLowerCase();
    if (!LOG_LEVELS.includes(l))
      throw new UsageError(`${level.source} must be one of ${LOG_LEVELS.join('|')}, got "${l}"`);
    settings.logLevel = l;
  }
  const format = pick(args, 'log-format', env, 'LOG_FORMAT', config, 'logFormat');
  if (format !== undefined) {
    const f = asString(format).toLowerCase();
    if (f !== 'json' && f !== 'pretty') throw new UsageError(`${format.source} must be json or pretty, got "${f}"`);
    settings.logFormat = f;
  }
  const generation = pick(args, 'api-generation', env, 'APINIZER_API_GENERATION', config, 'apiGeneration');
  if (generation !== undefined) {
    const g = asString(generation).toLowerCase();
    if (g !== 'legacy' && g !== 'current') {
      throw new UsageError(`${generation.source} must be legacy or current (or unset, to detect it), got "${g}"`);
    }
    settings.apiGeneration = g;
  }
  return settings;
}

/** The project for manifests that name none (--project, APINIZER_PROJECT, config), without needing a server. */
export function resolveDefaultProject(args: ParsedArgs, env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const config = readConfig(args, env, cwd);
  const project = pick(args, 'project', env, 'APINIZER_PROJECT', config, 'project');
  return project !== undefined ? checkedProject(project) : undefined;
}
