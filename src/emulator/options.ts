// The emulator's options (projects, dialect, generation, faults, tokens), their defaults and how a
// running emulator is reconfigured.
import { type DeploymentShape, DEPLOYMENT_SHAPES, type Dialect } from './dialect.js';
import { type FaultKind, isFaultKind } from './faults.js';
import type { Generation } from './kinds.js';

/** A project the emulator serves, with the environments reachable from it. */
export interface EmulatorProject {
  name: string;
  environments: string[];
}

/** How to start (and later reconfigure) an emulator. Every field is optional. */
export interface EmulatorOptions {
  /** Default 0: a free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** The static bearer token every API call may use. Default 'dev-token'. */
  token?: string;
  /** Accounts for POST /apiops/auth/token. Default admin/admin. */
  users?: { username: string; password: string }[];
  /** Default: Payments [production, staging, test], Identity [production, test]. */
  projects?: EmulatorProject[];
  /** Load at start when present; persisted atomically after writes. */
  dataFile?: string;
  /** Delay before every API answer. */
  latencyMs?: number;
  /** Fraction (0..1) of API requests (token issuance excepted) answered with a fault. */
  failRate?: number;
  /** Faults to choose from, uniformly. Default all: 500, 429, 503, reset. */
  failKinds?: FaultKind[];
  /** Seed of the fault PRNG, so a run repeats. Default 1. */
  seed?: number;
  /** `retry_after` / `Retry-After` of injected 429s, in seconds. Default 1; 0 allowed for fast tests. */
  retryAfterSeconds?: number;
  /** Reads answer "******" for privateKey, publicKey and file. */
  maskSecrets?: boolean;
  /** Default 'documented' with the legacy generation, 'status' with the current one (its pages' error shape). */
  dialect?: Dialect;
  /** How writes report their deployment (the shapes of Apinizer's own files). Default 'prose'. */
  deploymentShape?: DeploymentShape;
  /** An update keeps the stored environments its body leaves out (merge), instead of replacing the list. */
  mergeEnvironments?: boolean;
  /** Environment names whose deployment reports success:false (the object is still saved). */
  failDeploymentTo?: string[];
  /** Resource names that list calls leave out (to test the already-exist switch). */
  hideFromList?: string[];
  /** Lifetime of tokens issued by POST /apiops/auth/token. Default 3600; fractions allowed for tests. */
  tokenTtlSeconds?: number;
  /** The API generation served. Default 'legacy'. */
  generation?: Generation;
  /** Current generation: export-file answers 403 (a token without the EXPORT_IMPORT permission). */
  refuseExport?: boolean;
  /** Current generation: keystore lists carry environmentId and encrypted file/password, not names. */
  keystoreListEnvironmentIds?: boolean;
}

/** The options in force, checked and with defaults filled in. */
export interface Settings {
  port: number;
  host: string;
  token: string;
  users: { username: string; password: string }[];
  projects: Map<string, EmulatorProject>;
  dataFile: string | undefined;
  latencyMs: number;
  failRate: number;
  failKinds: FaultKind[];
  seed: number;
  retryAfterSeconds: number;
  maskSecrets: boolean;
  dialect: Dialect;
  /** Whether `dialect` was chosen; otherwise it follows the generation. */
  dialectChosen: boolean;
  deploymentShape: DeploymentShape;
  mergeEnvironments: boolean;
  failDeploymentTo: Set<string>;
  hideFromList: Set<string>;
  tokenTtlSeconds: number;
  generation: Generation;
  refuseExport: boolean;
  keystoreListEnvironmentIds: boolean;
}

export const DEFAULT_TOKEN = 'dev-token';

export const DEFAULT_PROJECTS: readonly EmulatorProject[] = [
  { name: 'Payments', environments: ['production', 'staging', 'test'] },
  { name: 'Identity', environments: ['production', 'test'] },
];

function fail(message: string): never {
  throw new TypeError(`emulator option ${message}`);
}

function number(name: string, value: unknown, min: number, max: number, integer: boolean): number {
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    fail(
      `${name} must be ${integer ? 'a whole number' : 'a number'} from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function stringList(name: string, value: unknown): string[] {
  if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) fail(`${name} must be a list of strings`);
  return value as string[];
}

function projectMap(value: unknown): Map<string, EmulatorProject> {
  if (!Array.isArray(value)) fail('projects must be a list of {name, environments}');
  const map = new Map<string, EmulatorProject>();
  for (const p of value as unknown[]) {
    const project = p as Partial<EmulatorProject> | null;
    if (!project || typeof project.name !== 'string' || project.name === '')
      fail('projects: every project needs a non-empty name');
    const environments = stringList(`projects[${project.name}].environments`, project.environments);
    if (environments.some((e) => e === ''))
      fail(`projects[${project.name}].environments must not contain an empty name`);
    map.set(project.name, { name: project.name, environments: [...new Set(environments)] });
  }
  return map;
}

/** Applies option changes on top of settings (or defaults), checking each; throws a TypeError naming the option. */
export function applyOptions(base: Settings | undefined, changes: EmulatorOptions): Settings {
  const s: Settings = base
    ? { ...base }
    : {
        port: 0,
        host: '127.0.0.1',
        token: DEFAULT_TOKEN,
        users: [{ username: 'admin', password: 'admin' }],
        projects: projectMap(DEFAULT_PROJECTS),
        dataFile: undefined,
        latencyMs: 0,
        failRate: 0,
        failKinds: ['500', '429', '503', 'reset'],
        seed: 1,
        retryAfterSeconds: 1,
        maskSecrets: false,
        dialect: 'documented',
        dialectChosen: false,
        deploymentShape: 'prose',
        mergeEnvironments: false,
        failDeploymentTo: new Set(),
        hideFromList: new Set(),
        tokenTtlSeconds: 3600,
        generation: 'legacy',
        refuseExport: false,
        keystoreListEnvironmentIds: false,
      };
  const c = changes;
  if (c.port !== undefined) s.port = number('port', c.port, 0, 65535, true);
  if (c.host !== undefined)
    s.host = typeof c.host === 'string' && c.host !== '' ? c.host : fail('host must be a non-empty string');
  if (c.token !== undefined)
    s.token = typeof c.token === 'string' && c.token !== '' ? c.token : fail('token must be a non-empty string');
  if (c.users !== undefined) {
    if (
      !Array.isArray(c.users) ||
      c.users.some((u) => typeof u?.username !== 'string' || typeof u.password !== 'string' || u.username === '')
    ) {
      fail('users must be a list of {username, password}');
    }
    s.users = c.users.map((u) => ({ username: u.username, password: u.password }));
  }
  if (c.projects !== undefined) s.projects = projectMap(c.projects);
  if (c.dataFile !== undefined)
    s.dataFile =
      typeof c.dataFile === 'string' && c.dataFile !== '' ? c.dataFile : fail('dataFile must be a file path');
  if (c.latencyMs !== undefined) s.latencyMs = number('latencyMs', c.latencyMs, 0, 600_000, false);
  if (c.failRate !== undefined) s.failRate = number('failRate', c.failRate, 0, 1, false);
  if (c.failKinds !== undefined) {
    const kinds = stringList('failKinds', c.failKinds);
    const bad = kinds.find((k) => !isFaultKind(k));
    if (bad !== undefined) fail(`failKinds: unknown fault "${bad}" (choose from 500, 429, 503, reset)`);
    if (kinds.length === 0) fail('failKinds must name at least one fault');
    s.failKinds = kinds as FaultKind[];
  }
  if (c.seed !== undefined) s.seed = number('seed', c.seed, -(2 ** 53), 2 ** 53, true);
  if (c.retryAfterSeconds !== undefined)
    s.retryAfterSeconds = number('retryAfterSeconds', c.retryAfterSeconds, 0, 86_400, true);
  if (c.maskSecrets !== undefined) s.maskSecrets = c.maskSecrets === true;
  if (c.dialect !== undefined) {
    if (c.dialect !== 'documented' && c.dialect !== 'status')
      fail(`dialect must be "documented" or "status", got ${JSON.stringify(c.dialect)}`);
    s.dialect = c.dialect;
    s.dialectChosen = true;
  }
  if (c.deploymentShape !== undefined) {
    if (!DEPLOYMENT_SHAPES.includes(c.deploymentShape))
      fail(`deploymentShape must be one of ${DEPLOYMENT_SHAPES.join(', ')}, got ${JSON.stringify(c.deploymentShape)}`);
    s.deploymentShape = c.deploymentShape;
  }
  if (c.mergeEnvironments !== undefined) s.mergeEnvironments = c.mergeEnvironments === true;
  if (c.failDeploymentTo !== undefined)
    s.failDeploymentTo = new Set(stringList('failDeploymentTo', c.failDeploymentTo));
  if (c.hideFromList !== undefined) s.hideFromList = new Set(stringList('hideFromList', c.hideFromList));
  if (c.tokenTtlSeconds !== undefined)
    s.tokenTtlSeconds = number('tokenTtlSeconds', c.tokenTtlSeconds, 0, 10 * 365 * 86_400, false);
  if (c.generation !== undefined) {
    if (c.generation !== 'legacy' && c.generation !== 'current') {
      fail(`generation must be "legacy" or "current", got ${JSON.stringify(c.generation)}`);
    }
    s.generation = c.generation;
  }
  if (c.refuseExport !== undefined) s.refuseExport = c.refuseExport === true;
  if (c.keystoreListEnvironmentIds !== undefined) s.keystoreListEnvironmentIds = c.keystoreListEnvironmentIds === true;
  // The current pages show their errors as HTTP 400 {"status": "FAILURE", "resultMessage": ...}.
  if (!s.dialectChosen) s.dialect = s.generation === 'current' ? 'status' : 'documented';
  return s;
}
