// `emulator`: serves the local Management API (src/emulator/) until SIGINT/SIGTERM, from memory or
// from --data FILE, with the fault and dialect switches the tests and the demo use.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { parseEmulatorConfig } from '../../emulator/config.js';
import {
  DEFAULT_PROJECTS,
  type EmulatorOptions,
  type EmulatorProject,
  type RunningEmulator,
  startEmulator,
} from '../../emulator/index.js';
import { isFaultKind, type FaultKind } from '../../emulator/faults.js';
import { DEPLOYMENT_SHAPES, type DeploymentShape } from '../../emulator/dialect.js';
import { type Command, type ParsedArgs, EXIT, UsageError, booleanFlag, integerFlag, stringFlag } from '../command.js';

const DESCRIPTION = `Serves a local Apinizer Management API (keys, keystores, projects, environments, token issuance)
from memory, or from --data FILE so that state survives a restart. For the demo, tests and
benchmarks. Prints its URL and a token hint, and runs until SIGINT/SIGTERM (Ctrl-C).`;

const NOTES = `Endpoints: /apiops/... as in the Management API docs, plus GET /__emulator/stats (request counts
by route and by query, writes, faults, export calls, most requests in flight), GET
/__emulator/requests (method, path, query and status of each API request; never bodies) and
POST /__emulator/reset-stats, without auth.

Exit status: 0 after a clean stop on SIGINT/SIGTERM, 1 when it cannot start.`;

function listFlag(args: ParsedArgs, name: string): string[] {
  const v = args.values[name];
  const all = Array.isArray(v) ? v : v === undefined ? [] : [v];
  return all.filter((x): x is string => typeof x === 'string');
}

function numberFlag(args: ParsedArgs, name: string, min: number, max: number): number | undefined {
  const raw = stringFlag(args, name);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number from ${min} to ${max}, got "${raw}"`);
  return n;
}

function projectFlag(raw: string): EmulatorProject {
  const colon = raw.indexOf(':');
  const name = colon === -1 ? raw : raw.slice(0, colon);
  const environments =
    colon === -1
      ? []
      : raw
          .slice(colon + 1)
          .split(',')
          .map((e) => e.trim())
          .filter((e) => e !== '');
  if (name === '' || environments.length === 0)
    throw new UsageError(`--project must be NAME:ENV[,ENV...], e.g. Payments:production,test; got "${raw}"`);
  return { name, environments };
}

function userFlag(raw: string): { username: string; password: string } {
  const colon = raw.indexOf(':');
  if (colon <= 0) throw new UsageError(`--user must be NAME:PASSWORD, got a value without a name and colon`);
  return { username: raw.slice(0, colon), password: raw.slice(colon + 1) };
}

/** Builds the emulator options from the config file (if any) and the flags; flags win. */
async function emulatorOptions(args: ParsedArgs, cwd: string): Promise<EmulatorOptions> {
  const configPath = stringFlag(args, 'config');
  let options: EmulatorOptions = {};
  if (configPath !== undefined) {
    const file = resolve(cwd, configPath);
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new UsageError(
        `--config ${configPath}: cannot read it (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`,
      );
    }
    try {
      options = parseEmulatorConfig(text, configPath);
    } catch (err) {
      throw new UsageError(`--config ${(err as Error).message}`);
    }
  }
  if (args.values.port !== undefined) options.port = integerFlag(args, 'port', 0, 0, 65535);
  const host = stringFlag(args, 'host');
  if (host !== undefined) options.host = host;
  const token = stringFlag(args, 'token');
  if (token !== undefined) {
    if (token === '') throw new UsageError('--token must not be empty');
    options.token = token;
  }
  const users = listFlag(args, 'user').map(userFlag);
  if (users.length > 0) options.users = users;
  const projects = listFlag(args, 'project').map(projectFlag);
  if (projects.length > 0) {
    // Flags add to the config's projects, replacing one of the same name.
    const byName = new Map((options.projects ?? []).map((p) => [p.name, p]));
    for (const p of projects) byName.set(p.name, p);
    options.projects = [...byName.values()];
  }
  const data = stringFlag(args, 'data');
  if (data !== undefined) options.dataFile = resolve(cwd, data);
  else if (options.dataFile !== undefined && configPath !== undefined)
    options.dataFile = resolve(cwd, options.dataFile);
  const latency = numberFlag(args, 'latency', 0, 600_000);
  if (latency !== undefined) options.latencyMs = latency;
  const rate = numberFlag(args, 'fail-rate', 0, 1);
  if (rate !== undefined) options.failRate = rate;
  const kinds = stringFlag(args, 'fail-kinds');
  if (kinds !== undefined) {
    const list = kinds
      .split(',')
      .map((k) => k.trim())
      .filter((k) => k !== '');
    const bad = list.find((k) => !isFaultKind(k));
    if (bad !== undefined || list.length === 0)
      throw new UsageError(`--fail-kinds takes a comma-separated list of 500, 429, 503, reset; got "${kinds}"`);
    options.failKinds = list as FaultKind[];
  }
  if (args.values.seed !== undefined) options.seed = integerFlag(args, 'seed', 1, -(2 ** 31), 2 ** 32);
  if (args.values['retry-after'] !== undefined)
    options.retryAfterSeconds = integerFlag(args, 'retry-after', 1, 0, 86_400);
  if (booleanFlag(args, 'mask-secrets')) options.maskSecrets = true;
  const dialect = stringFlag(args, 'dialect');
  if (dialect !== undefined) {
    if (dialect !== 'documented' && dialect !== 'status')
      throw new UsageError(`--dialect must be documented or status, got "${dialect}"`);
    options.dialect = dialect;
  }
  const shape = stringFlag(args, 'deployment-shape');
  if (shape !== undefined) {
    if (!(DEPLOYMENT_SHAPES as readonly string[]).includes(shape))
      throw new UsageError(`--deployment-shape must be one of ${DEPLOYMENT_SHAPES.join(', ')}, got "${shape}"`);
    options.deploymentShape = shape as DeploymentShape;
  }
  if (booleanFlag(args, 'merge-environments')) options.mergeEnvironments = true;
  const failDeployment = listFlag(args, 'fail-deployment');
  if (failDeployment.length > 0) options.failDeploymentTo = failDeployment;
  const hide = listFlag(args, 'hide-from-list');
  if (hide.length > 0) options.hideFromList = hide;
  const ttl = numberFlag(args, 'token-ttl', 0, 10 * 365 * 86_400);
  if (ttl !== undefined) options.tokenTtlSeconds = ttl;
  const generation = stringFlag(args, 'generation');
  if (generation !== undefined) {
    if (generation !== 'legacy' && generation !== 'current') {
      throw new UsageError(`--generation must be legacy or current, got "${generation}"`);
    }
    options.generation = generation;
  }
  if (booleanFlag(args, 'refuse-export')) options.refuseExport = true;
  if (booleanFlag(args, 'keystore-env-ids')) options.keystoreListEnvironmentIds = true;
  return options;
}

function startFailure(err: unknown, options: EmulatorOptions): string {
  const e = err as NodeJS.ErrnoException;
  const where = `${options.host ?? '127.0.0.1'}:${options.port ?? 0}`;
  if (e.code === 'EADDRINUSE')
    return `cannot listen on ${where}: the port is in use; choose another with --port (0 picks a free one)`;
  if (e.code === 'EACCES') return `cannot listen on ${where}: permission denied; choose a port above 1023`;
  if (e.code === 'EADDRNOTAVAIL' || e.code === 'ENOTFOUND')
    return `cannot listen on ${where}: no such local address; check --host`;
  return e.message;
}

/** `emulator`: run the local Management API until a signal, then stop cleanly. */
export const emulatorCommand: Command = {
  name: 'emulator',
  summary: 'run a local Apinizer Management API emulator (demo, tests, benchmarks)',
  usage: '[flags]',
  description: DESCRIPTION,
  options: {
    port: {
      type: 'string',
      value: 'N',
      description: 'port to listen on; 0 is a free port, and the URL printed says which',
      default: '0',
    },
    host: { type: 'string', value: 'H', description: 'address to listen on', default: '127.0.0.1' },
    token: {
      type: 'string',
      value: 'T',
      description: "bearer token API calls must send (the emulator's own, not a secret)",
      default: 'dev-token',
    },
    user: {
      type: 'string',
      multiple: true,
      value: 'NAME:PASSWORD',
      description: 'account for POST /apiops/auth/token',
      default: 'admin:admin',
    },
    project: {
      type: 'string',
      multiple: true,
      value: 'NAME:ENV,ENV',
      description: 'a project and its environments',
      default: 'Payments:production,staging,test and Identity:production,test',
    },
    config: {
      type: 'string',
      value: 'FILE',
      description:
        'YAML or JSON file: projects ({Name: [env, ...]} or [{name, environments}]), users ({name: password} or ' +
        '[{username, password}]), token, and any other option by its API name (latencyMs, failRate, ...); flags win',
    },
    data: {
      type: 'string',
      value: 'FILE',
      description: 'load state from FILE if it exists; save it there atomically after writes',
    },
    latency: { type: 'string', value: 'MS', description: 'delay every API answer by MS milliseconds', default: '0' },
    'fail-rate': {
      type: 'string',
      value: 'R',
      description: 'answer a fraction R (0..1) of API requests with a fault',
      default: '0',
    },
    'fail-kinds': {
      type: 'string',
      value: 'LIST',
      description: 'faults to choose from, comma-separated: 500,429,503,reset',
      default: '500,429,503,reset',
    },
    seed: {
      type: 'string',
      value: 'N',
      description: 'seed of the fault sequence (same seed, same faults)',
      default: '1',
    },
    'retry-after': {
      type: 'string',
      value: 'S',
      description: 'retry_after / Retry-After of injected 429s in seconds',
      default: '1',
    },
    'mask-secrets': { type: 'boolean', description: 'reads answer "******" for privateKey, publicKey and file' },
    dialect: {
      type: 'string',
      value: 'documented|status',
      description:
        'documented: success/error_description; status: "SUCCESS", errors as HTTP 400 with resultMessage ' +
        '(the default with --generation current)',
      default: 'documented',
    },
    'deployment-shape': {
      type: 'string',
      value: 'prose|openapi|openapi-nested|summary',
      description:
        'how writes report deployments: deploymentResult.environmentResults[] (prose), the OpenAPI ' +
        'DeploymentResult with detailList[] at the top level (openapi) or under deploymentResult ' +
        '(openapi-nested), or only a top-level success/status and message (summary)',
      default: 'prose',
    },
    'merge-environments': {
      type: 'boolean',
      description: 'an update keeps the stored environments its body leaves out (merge instead of replace)',
    },
    'fail-deployment': {
      type: 'string',
      multiple: true,
      value: 'ENV',
      description: 'deployments to ENV report success:false; objects are saved',
    },
    'hide-from-list': {
      type: 'string',
      multiple: true,
      value: 'NAME',
      description: 'list calls leave out objects named NAME',
    },
    'token-ttl': { type: 'string', value: 'S', description: 'lifetime of issued tokens in seconds', default: '3600' },
    generation: {
      type: 'string',
      value: 'legacy|current',
      description:
        'API generation to speak; current is the 2026 reference: /apiops/projects/{p}/environments/, ' +
        'content/password bodies, reads without material, partial PUT, JWK parameters, export-file',
      default: 'legacy',
    },
    'refuse-export': {
      type: 'boolean',
      description: '(current) export-file answers 403, as for a token without EXPORT_IMPORT',
    },
    'keystore-env-ids': {
      type: 'boolean',
      description:
        '(current) keystore lists carry environmentId and encrypted file/password instead of environmentName ' +
        '(the single GET still carries names)',
    },
  },
  examples: [
    'apinizer-gitops emulator --port 8080',
    '# state kept across restarts, and one fault in ten',
    'apinizer-gitops emulator --data emulator-state.json --fail-rate 0.1 --seed 7',
  ],
  notes: NOTES,
  async run(args, ctx) {
    if (args.positionals.length > 0) throw new UsageError(`emulator takes no paths, got "${args.positionals[0]}"`);
    const options = await emulatorOptions(args, ctx.cwd);
    let emulator: RunningEmulator;
    try {
      emulator = await startEmulator(options);
    } catch (err) {
      ctx.stderr.write(`apinizer-gitops emulator: ${startFailure(err, options)}\n`);
      return EXIT.error;
    }
    const projects = options.projects ?? DEFAULT_PROJECTS;
    ctx.stdout.write(
      `Apinizer emulator listening on ${emulator.url}\n` +
        `APINIZER_URL=${emulator.url} APINIZER_TOKEN=${emulator.token}\n` +
        `API generation: ${options.generation ?? 'legacy'}\n` +
        `Projects: ${projects.map((p) => `${p.name} (${p.environments.join(', ')})`).join('; ')}\n` +
        (options.dataFile ? `Data: ${options.dataFile}\n` : '') +
        `Stats: ${emulator.url}/__emulator/stats. Stop with Ctrl-C.\n`,
    );
    await new Promise<void>((done) => {
      if (ctx.signal.aborted) done();
      else ctx.signal.addEventListener('abort', () => done(), { once: true });
    });
    try {
      await emulator.close();
    } catch (err) {
      ctx.stderr.write(`apinizer-gitops emulator: stopped, but ${(err as Error).message}\n`);
      return EXIT.error;
    }
    ctx.stderr.write(`Emulator stopped (${ctx.signalName() ?? 'signal'}).\n`);
    return EXIT.ok;
  },
};
