// An in-memory Apinizer for tests of code that talks to ResourceActions (apply, watch cycles):
// projects with their environments, the objects each holds, a log of every call, failures
// injected by rule, deployments that fail per environment, and calls that can be held in flight.
// Every method resolves (never rejects) with a Result, as the real client does; no real timers.
import {
  ApiError,
  type ApiErrorKind,
  type Result,
  type ResourceActions,
  type WriteResult,
} from '../../src/api/types.js';
import { descriptorOf, secretFieldsOf } from '../../src/kinds/index.js';
import {
  fieldValue,
  resourceKey,
  type ApiGeneration,
  type CurrentResource,
  type DesiredResource,
  type Kind,
  type ResourceId,
} from '../../src/model.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import type { CurrentKeystore } from '../../src/kinds/keystore.js';
import type { Secret } from '../../src/secret.js';
import { BUILDER_KINDS, currentOf, type SecretReadMode } from './builders.js';

export type FakeMethod = 'list' | 'get' | 'create' | 'update' | 'delete' | 'environments';

/** One call as the fake saw it. */
export interface FakeCall {
  method: FakeMethod;
  project: string;
  kind?: Kind;
  name?: string;
}

/** A failure to inject: calls matching every given field fail with `error` (default `server`, HTTP 500). */
export interface FailureRule {
  method?: FakeMethod | FakeMethod[];
  name?: string;
  project?: string;
  error?: ApiErrorKind;
  status?: number | null;
  /** How many matching calls fail; default: all of them until the rule is removed. */
  times?: number;
}

export interface FakeActionsOptions {
  /** Project -> environment names; default Payments (production, test) and Identity (production). */
  projects?: Record<string, string[]>;
  /** How reads report secret fields (`masked` as a real server does for private keys); default plain. */
  secrets?: SecretReadMode;
  /**
   * The API generation the fake speaks; default legacy (material in the reads, no export-file).
   * A current fake answers export-file with the material last written to the kind's `exportField`.
   */
  generation?: ApiGeneration;
}

export interface FakeActions {
  actions: ResourceActions;
  /** Every call, in order. */
  calls: FakeCall[];
  /** Calls of one method (optionally of one name). */
  count(method: FakeMethod, name?: string): number;
  /** Writes so far (create, update, delete), successful or not. */
  writes(): number;
  /** What the server holds for an identity. */
  held(id: ResourceId): CurrentResource | undefined;
  /** Every object held. */
  all(): CurrentResource[];
  /** Puts an object on the server directly (seeding, or drift made outside Git). */
  put(r: DesiredResource | CurrentResource): void;
  /** Removes an object directly. */
  remove(id: ResourceId): void;
  /** Adds a failure rule; returns a function removing it. */
  fail(rule: FailureRule): () => void;
  /** Replaces the projects and their environments. */
  setProjects(projects: Record<string, string[]>): void;
  /** Environments whose deployment reports success: false on writes. */
  failDeploymentTo: Set<string>;
  /** Holds every call until the returned release function is called. */
  hold(): () => void;
  /** Calls currently in flight (held). */
  inFlight(): number;
}

const DEFAULT_PROJECTS: Record<string, string[]> = { Payments: ['production', 'test'], Identity: ['production'] };

function failure(
  kind: ApiErrorKind,
  status: number | null,
  message: string,
  request: string,
): { ok: false; error: ApiError } {
  return { ok: false, error: new ApiError(kind, status, null, message, `hint for ${kind}`, request, 1) };
}

/** Creates an empty in-memory server. */
export function fakeActions(options: FakeActionsOptions = {}): FakeActions {
  let projects = new Map(Object.entries(options.projects ?? DEFAULT_PROJECTS));
  const secrets = options.secrets ?? 'plain';
  const generation = options.generation ?? 'legacy';
  const store = new Map<string, CurrentResource>();
  /** Material written per (object, environment), for a current fake's export-file. */
  const material = new Map<string, Secret>();
  const calls: FakeCall[] = [];
  const rules: { rule: FailureRule; left: number }[] = [];
  const failDeploymentTo = new Set<string>();
  let gate: Promise<void> | null = null;
  let inFlight = 0;

  const matching = (call: FakeCall) => {
    for (const r of rules) {
      const { rule } = r;
      const methods = rule.method === undefined ? undefined : Array.isArray(rule.method) ? rule.method : [rule.method];
      if (methods && !methods.includes(call.method)) continue;
      if (rule.name !== undefined && rule.name !== call.name) continue;
      if (rule.project !== undefined && rule.project !== call.project) continue;
      if (r.left <= 0) continue;
      r.left -= 1;
      return rule;
    }
    return undefined;
  };

  const call = async <T>(c: FakeCall, answer: () => Result<T>): Promise<Result<T>> => {
    calls.push(c);
    inFlight += 1;
    try {
      while (gate) await gate;
      const rule = matching(c);
      const request = `${c.method} /apiops/projects/${c.project}/${c.name ?? ''}`;
      if (rule)
        return failure(
          rule.error ?? 'server',
          rule.status === undefined ? 500 : rule.status,
          `injected ${rule.error ?? 'server'} failure`,
          request,
        );
      if (!projects.has(c.project)) return failure('not-found', 404, `project ${c.project} not found`, request);
      return answer();
    } finally {
      inFlight -= 1;
    }
  };

  const deployment = (envs: string[]): Result<WriteResult> => ({
    ok: true,
    value: {
      deployment: envs.map((environment) => ({
        environment,
        success: !failDeploymentTo.has(environment),
        message: failDeploymentTo.has(environment) ? 'gateway unreachable' : 'Deployed successfully',
      })),
    },
  });

  /** A write naming an environment the project lacks is refused, as the server does (HTTP 400). */
  const checkEnvironments = (r: DesiredResource): Result<WriteResult> | null => {
    const known = projects.get(r.project) ?? [];
    const missing = r.environments.find((e) => !known.includes(e.name));
    return missing
      ? failure('bad-request', 400, `environment ${missing.name} not found`, `POST /apiops/projects/${r.project}/`)
      : null;
  };

  const actions: ResourceActions = {
    list: (project, kind) =>
      call({ method: 'list', project, kind }, () => ({
        ok: true,
        value: [...store.values()].filter((o) => o.project === project && o.kind === kind).map((o) => read(o)),
      })),
    get: (id) =>
      call({ method: 'get', project: id.project, kind: id.kind, name: id.name }, () => {
        const o = store.get(resourceKey(id));
        return { ok: true, value: o ? read(o) : null };
      }),
    create: (r) =>
      call({ method: 'create', project: r.project, kind: r.kind, name: r.name }, () => {
        if (store.has(resourceKey(r)))
          return failure(
            'already-exists',
            400,
            `${r.kind} (name: ${r.name}) is already exist!`,
            `POST /apiops/projects/${r.project}/`,
          );
        const refused = checkEnvironments(r);
        if (refused) return refused;
        keep(r);
        return deployment(r.environments.map((e) => e.name));
      }),
    update: (r) =>
      call({ method: 'update', project: r.project, kind: r.kind, name: r.name }, () => {
        if (!store.has(resourceKey(r)))
          return failure('not-found', 404, 'not found', `PUT /apiops/projects/${r.project}/`);
        const refused = checkEnvironments(r);
        if (refused) return refused;
        keep(r);
        return deployment(r.environments.map((e) => e.name));
      }),
    delete: (id) =>
      call({ method: 'delete', project: id.project, kind: id.kind, name: id.name }, () => {
        if (!store.delete(resourceKey(id)))
          return failure('not-found', 404, 'not found', `DELETE /apiops/projects/${id.project}/`);
        return deployment([]);
      }),
    environments: (project) =>
      call({ method: 'environments', project }, () => ({ ok: true, value: [...(projects.get(project) ?? [])] })),
    generation: () => Promise.resolve({ ok: true, value: generation }),
    exportMaterial: (id, environment) => {
      const request = `GET /apiops/projects/${id.project}/`;
      // A legacy server: material is in the reads, so there is nothing to export.
      if (generation === 'legacy')
        return Promise.resolve(failure('not-found', 404, 'no export-file on a legacy server', request));
      const held = material.get(materialKey(id, environment));
      if (!held) return Promise.resolve(failure('not-found', 404, 'no material to export', request));
      return Promise.resolve({ ok: true, value: Buffer.from(held.reveal(), 'base64') });
    },
  };

  function materialKey(id: ResourceId, environment: string): string {
    return `${resourceKey(id)}\u0000${environment}`;
  }

  /** Stores a written object as the server would hold it, and its exportable material. */
  function keep(r: DesiredResource): void {
    store.set(resourceKey(r), stored(r));
    const field = descriptorOf(r.kind).exportField;
    for (const e of r.environments) {
      const value = field === undefined ? undefined : fieldValue(e, field);
      if (value !== undefined) material.set(materialKey(r, e.name), value as Secret);
      else material.delete(materialKey(r, e.name));
    }
  }

  /**
   * A written object as the server holds it. The builders model the shipped kinds; any other kind
   * (a test's own) goes through its descriptor both ways, over JSON, as a real server's would.
   */
  function stored(r: DesiredResource): CurrentResource {
    if (BUILDER_KINDS.includes(r.kind)) return currentOf(r);
    const kind = descriptorOf(r.kind);
    const body = JSON.parse(JSON.stringify(kind.toApiBody(r, generation))) as Record<string, unknown>;
    const base = { kind: r.kind, project: r.project, name: r.name, description: r.description };
    return kind.fromApiObject(body, base, generation);
  }

  /** An object as a read reports it: secrets as the options say. */
  function read(resource: CurrentResource): CurrentResource {
    if (secrets === 'plain') return resource;
    if (!BUILDER_KINDS.includes(resource.kind)) {
      // Any other kind: its secret fields as the mode says, by their roles.
      const hidden = secretFieldsOf(descriptorOf(resource.kind)).map((f) => f.name);
      const environments = resource.environments.map((e) => {
        const out: Record<string, unknown> = { ...e };
        for (const name of hidden) {
          if (out[name] === undefined) continue;
          if (secrets === 'masked') out[name] = 'masked';
          else delete out[name];
        }
        return out as { name: string };
      });
      return { ...resource, environments };
    }
    const o = resource as CurrentKey | CurrentKeystore;
    if (o.kind === 'Key') {
      return {
        ...o,
        environments: o.environments.map((e) => ({
          name: e.name,
          ...(e.publicKey ? { publicKey: e.publicKey } : {}),
          ...(secrets === 'masked' && e.privateKey ? { privateKey: 'masked' as const } : {}),
        })),
      };
    }
    return {
      ...o,
      environments: o.environments.map((e) => ({
        name: e.name,
        type: e.type,
        ...(secrets === 'masked' && e.file ? { file: 'masked' as const } : {}),
      })),
    };
  }

  return {
    actions,
    calls,
    count: (method, name) => calls.filter((c) => c.method === method && (name === undefined || c.name === name)).length,
    writes: () => calls.filter((c) => c.method === 'create' || c.method === 'update' || c.method === 'delete').length,
    held: (id) => store.get(resourceKey(id)),
    all: () => [...store.values()],
    put: (r) => {
      if ('source' in r) keep(r);
      else store.set(resourceKey(r), r);
    },
    remove: (id) => {
      store.delete(resourceKey(id));
    },
    fail: (rule) => {
      const entry = { rule, left: rule.times ?? Number.POSITIVE_INFINITY };
      rules.push(entry);
      return () => {
        const i = rules.indexOf(entry);
        if (i >= 0) rules.splice(i, 1);
      };
    },
    setProjects: (p) => {
      projects = new Map(Object.entries(p));
    },
    failDeploymentTo,
    hold: () => {
      let release: () => void = () => undefined;
      const held = new Promise<void>((r) => (release = r));
      gate = held;
      return () => {
        if (gate === held) gate = null;
        release();
      };
    },
    inFlight: () => inFlight,
  };
}
