// I/O orchestration shared by plan, apply and watch: manifests -> one round of reads (one
// environments call per project and one list call per (project, kind), sent together) ->
// environment check -> buildPlan. Failures are values: manifest
// and preflight problems come back as a plan whose diagnostics hold the errors (renderable in
// every format), an API failure as the ApiError with what was being read.
import { isTransientFailure } from '../api/retry.js';
import type { ApiError, Result } from '../api/types.js';
import type { ResourceActions } from './actions.js';
import { systemClock, type Clock } from '../clock.js';
import { hasErrors, sortDiagnostics, type Diagnostic } from '../diagnostics.js';
import { loadManifests, type ExpiredMaterial, type LoadResult } from '../manifest/load.js';
import { descriptorOf, type FieldSpec } from '../kinds/index.js';
import { heldSecrets, type HeldSecrets } from '../kinds/material.js';
import {
  fieldValue,
  resourceKey,
  resourceLabel,
  type ApiGeneration,
  type CurrentResource,
  type DesiredResource,
  type DesiredState,
} from '../model.js';
import { Secret } from '../secret.js';
import { withCertificates, type FoundCertificate } from './certificates.js';
import { judgeExpiredMaterial } from './expiry.js';
import { readMaterial, type MaterialRequest } from './material.js';
import { buildPlan, checkEnvironments, listScopes, type ListScope } from './plan.js';
import { checkPrunedReferences, checkReferences } from './references.js';
import { asSentence } from './render/common.js';
import type { Plan } from './types.js';

export interface PlanOptions {
  prune: boolean;
  allowEmptyPrune: boolean;
  /** Projects named outside the manifests (`--project`), for `--allow-empty-prune`. */
  extraProjects: string[];
  /** The Manager URL, recorded in the plan (no credentials). */
  server: string;
  clock?: Clock;
  /** Calls in flight at most while reading material (export-file); default 4. */
  concurrency?: number;
  /** Certificates the material checks found, shown with the actions that change them. */
  certificates?: readonly FoundCertificate[];
  /** The API generation was set by --api-generation / APINIZER_API_GENERATION, not detected. */
  generationForced?: boolean;
  /**
   * Expired certificates of the load (SPEC §2c): an error, stopping the run before any write, only
   * where the plan would send one; otherwise a warning in the plan.
   */
  expired?: readonly ExpiredMaterial[];
}

/**
 * What planning produced. `plan` is set unless an API call failed; a plan with error diagnostics
 * (invalid manifests, unknown environments or projects) has no actions and must not be applied.
 * `stage` says how far it got: 'load' (manifests invalid, no API call made), 'preflight'
 * (environments), 'list', or 'planned'.
 */
export type PlanOutcome =
  | { ok: true; plan: Plan; stage: 'planned' }
  | { ok: false; plan: Plan; stage: 'load' | 'preflight'; diagnostics: Diagnostic[] }
  | { ok: false; plan: null; stage: 'preflight' | 'list'; error: ApiError; what: string };

/** Loads manifests and plans them against the API; see `readPlan`. Makes no API call when a manifest is invalid. */
export async function computePlan(
  paths: string[],
  actions: ResourceActions,
  options: PlanOptions & { cwd: string; env: NodeJS.ProcessEnv; defaultProject?: string },
): Promise<PlanOutcome & { load: LoadResult }> {
  const load = await loadManifests(paths, {
    cwd: options.cwd,
    env: options.env,
    ...(options.defaultProject !== undefined ? { defaultProject: options.defaultProject } : {}),
  });
  if (load.state === null || hasErrors(load.diagnostics)) {
    return {
      ok: false,
      stage: 'load',
      plan: errorPlan(load.diagnostics, options),
      diagnostics: load.diagnostics,
      load,
    };
  }
  return { ...(await readPlan(load.state, actions, { ...options, diagnostics: load.diagnostics })), load };
}

/**
 * Plans a valid desired state against the API: one environments call per project and one list
 * call per scope `listScopes` names, all in one round; then the environment check (an unknown
 * environment or project is a plan error pointing at the manifest, and nothing is planned),
 * then `buildPlan`. Manifest warnings in `diagnostics`
 * are carried into the plan.
 */
export async function readPlan(
  desired: DesiredState,
  actions: ResourceActions,
  options: PlanOptions & { diagnostics?: Diagnostic[] },
): Promise<PlanOutcome> {
  const clock = options.clock ?? systemClock;
  const warnings = options.diagnostics ?? [];

  // One round: the environments of every project and every list go out together (bounded by the
  // client's connection pool), so planning costs one round trip, not two. The environment check
  // is made on the answers; an unknown project or environment is still an error before any write.
  const projects = [...new Set(desired.resources.map((r) => r.project))].sort();
  const scopes: ListScope[] = listScopes(desired, options);
  // A read whose every attempt met a transient fault is sent once more, as apply does with writes.
  const twice = <T>(call: () => Promise<Result<T>>) =>
    call().then((r) => (r.ok || !isTransientFailure(r.error) ? r : call()));
  const envCalls = projects.map((p) => twice(() => actions.environments(p)));
  const held = desiredSecrets(desired);
  const listCalls = scopes.map((s) => twice(() => actions.list(s.project, s.kind, { held })));
  // The plan itself needs the lists and each project's generation, not the environments. On a
  // legacy server the environments call goes out only once the probe has answered (a round trip
  // after the lists), so the plan is built while that call is in flight, and used below only
  // when every check passes as it would have (same inputs, same plan).
  const listsIn = Promise.all(listCalls);
  const early = Promise.all([listsIn, Promise.all(projects.map((p) => actions.generation(p)))])
    .then(([answers, found]) => planBeforeEnvironments(desired, scopes, answers, projects, found, options, clock))
    .catch(() => null);
  const [envAnswers, lists] = await Promise.all([Promise.all(envCalls), listsIn]);

  const environments = new Map<string, string[]>();
  for (const [i, result] of envAnswers.entries()) {
    const project = projects[i] ?? '';
    if (result.ok) environments.set(project, result.value);
    // A project the server does not know is left out of the map: checkEnvironments reports it with file:line.
    else if (result.error.kind !== 'not-found' && result.error.kind !== 'project-not-found') {
      return {
        ok: false,
        plan: null,
        stage: 'preflight',
        error: result.error,
        what: `the environments of project ${project}`,
      };
    }
  }
  const preflight = checkEnvironments(desired, environments, options.generationForced === true);
  if (hasErrors(preflight)) {
    const diagnostics = sortDiagnostics([...warnings, ...preflight]);
    return { ok: false, stage: 'preflight', plan: errorPlan(diagnostics, options), diagnostics };
  }

  // The generation each project is served by (the environments call above found it), and every
  // manifest whose form the server cannot take: an error before any write (SPEC §2b).
  const generations = new Map<string, ApiGeneration>();
  for (const project of projects) {
    const g = await actions.generation(project);
    if (!g.ok)
      return {
        ok: false,
        plan: null,
        stage: 'preflight',
        error: g.error,
        what: `the API generation of project ${project}`,
      };
    generations.set(project, g.value);
  }
  // A plan built early passed these checks on the same inputs: they are not made twice.
  const built = await early;
  const mismatches = built === null ? checkForms(desired, generations, options.server) : [];
  if (hasErrors(mismatches)) {
    const diagnostics = sortDiagnostics([...warnings, ...mismatches]);
    return { ok: false, stage: 'preflight', plan: errorPlan(diagnostics, options), diagnostics };
  }

  const current: CurrentResource[] = [];
  for (const [i, result] of lists.entries()) {
    const scope = scopes[i];
    if (!scope) continue;
    if (result.ok) {
      for (const r of result.value) current.push(r);
    } else if (
      (result.error.kind === 'not-found' || result.error.kind === 'project-not-found') &&
      !projects.includes(scope.project)
    ) {
      // A project named only by --project for --allow-empty-prune that the server does not have:
      // there is nothing in it to prune.
      continue;
    } else {
      const what = `the ${descriptorOf(scope.kind).plural} of project ${scope.project}`;
      return { ok: false, plan: null, stage: 'list', error: result.error, what };
    }
  }

  // A reference to a resource that neither the manifests nor the server have: an error at the
  // referencing field, before any write (and before reading material back).
  const dangling = built === null ? checkReferences(desired, current) : [];
  if (hasErrors(dangling)) {
    const diagnostics = sortDiagnostics([...warnings, ...preflight, ...dangling]);
    return { ok: false, stage: 'preflight', plan: errorPlan(diagnostics, options), diagnostics };
  }

  // A current server's reads carry no material: read it back for what the manifests manage.
  const material = await readMaterial(
    materialRequests(desired, current, generations),
    actions,
    options.concurrency ?? 4,
  );
  if (material.error) return { ok: false, plan: null, stage: 'list', ...material.error };

  const plan =
    built !== null
      ? { ...built, diagnostics: sortDiagnostics([...warnings, ...preflight]) }
      : buildPlan({
          desired,
          current,
          scopes,
          prune: options.prune,
          allowEmptyPrune: options.allowEmptyPrune,
          extraProjects: options.extraProjects,
          server: options.server,
          createdAt: new Date(clock.now()).toISOString(),
          diagnostics: [...warnings, ...preflight],
          generations,
        });
  // Prune must not delete what a kept resource still references: refuse the whole plan, naming both.
  const pruned = checkPrunedReferences(desired, plan.actions);
  if (hasErrors(pruned)) {
    const diagnostics = sortDiagnostics([...warnings, ...preflight, ...pruned]);
    return { ok: false, stage: 'preflight', plan: errorPlan(diagnostics, options), diagnostics };
  }
  plan.warnings.push(...material.unknown);
  if (options.expired && options.expired.length > 0) {
    const verdict = judgeExpiredMaterial(plan.actions, options.expired);
    if (verdict.errors.length > 0) {
      const diagnostics = sortDiagnostics([...warnings, ...preflight, ...verdict.warnings, ...verdict.errors]);
      return { ok: false, stage: 'preflight', plan: errorPlan(diagnostics, options), diagnostics };
    }
    plan.diagnostics = sortDiagnostics([...plan.diagnostics, ...verdict.warnings]);
  }
  return { ok: true, plan: withCertificates(plan, options.certificates ?? []), stage: 'planned' };
}

/**
 * The plan as `readPlan` builds it, from the lists and generations alone (its diagnostics left for
 * the caller), or null when anything on the way would stop or change it: a failed list or probe, a
 * form the server cannot take, a dangling reference, or material to read back (a current server,
 * whose probe answer already carried the environments, so there is no wait to use).
 */
function planBeforeEnvironments(
  desired: DesiredState,
  scopes: ListScope[],
  lists: readonly Result<CurrentResource[]>[],
  projects: readonly string[],
  found: readonly Result<ApiGeneration>[],
  options: PlanOptions,
  clock: Clock,
): Plan | null {
  const generations = new Map<string, ApiGeneration>();
  for (const [i, g] of found.entries()) {
    if (!g.ok || g.value !== 'legacy') return null;
    generations.set(projects[i] ?? '', g.value);
  }
  const current: CurrentResource[] = [];
  for (const r of lists) {
    if (!r.ok) return null;
    for (const c of r.value) current.push(c);
  }
  if (hasErrors(checkForms(desired, generations, options.server))) return null;
  if (hasErrors(checkReferences(desired, current))) return null;
  if (materialRequests(desired, current, generations).length > 0) return null;
  return buildPlan({
    desired,
    current,
    scopes,
    prune: options.prune,
    allowEmptyPrune: options.allowEmptyPrune,
    extraProjects: options.extraProjects,
    server: options.server,
    createdAt: new Date(clock.now()).toISOString(),
    diagnostics: [],
    generations,
  });
}

/**
 * The binary secrets of the desired state, for the lists (ListOptions.held): the server's copy of
 * material that has not changed is then read as the manifest's own Secret, never scanned nor kept.
 * In a no-op plan over 10,000 keys that is most of what the lists carry (about 45 MB), held twice
 * until the end of the run without this.
 */
export function desiredSecrets(desired: DesiredState): HeldSecrets {
  const secrets = new Set<Secret>();
  const fieldsOf = new Map<string, { resource: string[]; environment: string[] }>();
  const add = (holder: object, names: readonly string[]) => {
    for (const name of names) {
      const v = fieldValue(holder, name);
      if (v instanceof Secret) secrets.add(v);
    }
  };
  for (const r of desired.resources) {
    let fields = fieldsOf.get(r.kind);
    if (fields === undefined) {
      const kind = descriptorOf(r.kind);
      const binary = (f: FieldSpec) => f.role === 'binary-secret';
      fields = {
        resource: kind.resourceFields.filter(binary).map((f) => f.name),
        environment: kind.environmentFields.filter(binary).map((f) => f.name),
      };
      fieldsOf.set(r.kind, fields);
    }
    add(r, fields.resource);
    for (const e of r.environments) add(e, fields.environment);
  }
  return heldSecrets(secrets);
}

/** The (object, environment) pairs whose material a current-generation plan reads back. */
export function materialRequests(
  desired: DesiredState,
  current: readonly CurrentResource[],
  generations: ReadonlyMap<string, ApiGeneration>,
): MaterialRequest[] {
  // A legacy server's reads carry the material: nothing to read back, and no index to build.
  if (![...generations.values()].includes('current')) return [];
  const byKey = new Map(current.map((c) => [resourceKey(c), c]));
  const out: MaterialRequest[] = [];
  for (const d of desired.resources) {
    if (generations.get(d.project) !== 'current') continue;
    const c = byKey.get(resourceKey(d));
    const field = descriptorOf(d.kind).exportField;
    if (c === undefined || field === undefined) continue;
    const held = new Set(c.environments.map((e) => e.name));
    const environments = d.environments
      .filter((e) => held.has(e.name) && fieldValue(e, field) !== undefined)
      .map((e) => e.name);
    if (environments.length > 0) out.push({ current: c, environments });
  }
  return out;
}

/** An error for every resource whose manifest form the server's generation cannot take. */
export function checkForms(
  desired: DesiredState,
  generations: ReadonlyMap<string, ApiGeneration>,
  server: string,
): Diagnostic[] {
  const out: Diagnostic[] = [];
  for (const r of desired.resources) {
    const generation = generations.get(r.project);
    if (generation === undefined) continue;
    const kind = descriptorOf(r.kind);
    const form = kind.formOf(r);
    if (form === generation) continue;
    const path = formEvidence(r, form, generation);
    const at = r.locate?.(path) ?? r.source;
    out.push({
      code: 'form-generation-mismatch',
      severity: 'error',
      file: at.file,
      line: at.line,
      column: at.column,
      path: formatFieldPath(path),
      resource: resourceLabel(r),
      message: `is written in the ${form} form, but ${server} (project ${r.project}) speaks the ${generation} API generation; ${kind.formAdvice(form)} (or set --api-generation if the detection is wrong)`,
    });
  }
  return out;
}

/**
 * Where a manifest shows its form (SPEC §2: a diagnostic about a field points at that field): the
 * first field managed only in `form` that it sets (`publicKey` of a legacy Key, `content` or
 * `password` of a current one), else its first environment, which lacks what `generation` needs.
 */
function formEvidence(r: DesiredResource, form: ApiGeneration, generation: ApiGeneration): (string | number)[] {
  const only = (f: FieldSpec) => f.forms !== undefined && f.forms.includes(form) && !f.forms.includes(generation);
  const kind = descriptorOf(r.kind);
  for (const [i, env] of r.environments.entries()) {
    for (const f of kind.environmentFields) {
      if (only(f) && fieldValue(env, f.name) !== undefined) return ['spec', 'environments', i, f.name];
    }
  }
  for (const f of kind.resourceFields) if (only(f) && fieldValue(r, f.name) !== undefined) return ['spec', f.name];
  return r.environments.length > 0 ? ['spec', 'environments', 0] : ['spec', 'environments'];
}

/** `spec.environments[0].content` for a path of segments. */
function formatFieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** A plan that carries only problems: no actions, so nothing can be applied from it. */
export function errorPlan(diagnostics: Diagnostic[], options: { server: string; clock?: Clock }): Plan {
  return {
    actions: [],
    summary: { create: 0, update: 0, delete: 0, noop: 0 },
    warnings: [],
    diagnostics: sortDiagnostics(diagnostics),
    server: options.server,
    createdAt: new Date((options.clock ?? systemClock).now()).toISOString(),
  };
}

/** One sentence for an API failure while planning: what was being read, the server's words, the hint. */
export function describePlanError(outcome: { error: ApiError; what: string }, server: string): string {
  const e = outcome.error;
  const status = e.status !== null ? ` (HTTP ${e.status})` : '';
  const message = e.message.replace(/\.+$/, '');
  const hint = e.hint ? ` ${asSentence(e.hint)}` : '';
  // A refused token request is not a failure to read what was being read: say what failed.
  const what = /\/auth\/token$/.test(e.request) ? 'get a token' : `read ${outcome.what}`;
  return `cannot ${what} from ${server}: ${message}${status}.${hint}`;
}
