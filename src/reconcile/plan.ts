// Pure: (desired state, current state) -> a Plan value (SPEC §4). No I/O: the command lists the
// scopes `listScopes` names, checks environments with `checkEnvironments`, and hands the results in.
import { sortDiagnostics } from '../diagnostics.js';
import type { Diagnostic } from '../diagnostics.js';
import { descriptorOf, kindNames, kindRank } from '../kinds/index.js';
import { resourceKey, resourceLabel, type ApiGeneration } from '../model.js';
import type { CurrentResource, DesiredResource, DesiredState, Kind, ResourceId } from '../model.js';
import { compareText, diffResource } from './diff.js';
import { fingerprintCurrent, fingerprintDesired, fingerprintKey } from './fingerprint.js';
import { referenceScopes } from './references.js';
import type { ActionType, Plan, PlanAction, PlanSummary } from './types.js';

/** One list call: all resources of one kind in one project. */
export interface ListScope {
  project: string;
  kind: Kind;
}

/** Everything buildPlan needs; `current` holds what the list calls of `scopes` returned. */
export interface PlanInput {
  desired: DesiredState;
  current: CurrentResource[];
  /** The scopes that were listed; prune only deletes what these lists returned. */
  scopes: ListScope[];
  prune: boolean;
  allowEmptyPrune: boolean;
  /** Projects named outside the manifests (`--project`), for `--allow-empty-prune`. */
  extraProjects: string[];
  server: string;
  createdAt: string;
  /** Problems found before or while planning (manifest warnings, unknown environments ...). */
  diagnostics?: Diagnostic[];
  /** The API generation each project is served by (SPEC §2b); legacy when absent. */
  generations?: ReadonlyMap<string, ApiGeneration>;
}

interface ScopeOptions {
  prune: boolean;
  allowEmptyPrune: boolean;
  extraProjects: string[];
}

/**
 * The (project, kind) pairs to list: those the manifests touch, or, with prune and
 * allowEmptyPrune, both kinds of every project a manifest or extraProjects names.
 * Sorted by project, then kind order.
 */
export function listScopes(desired: DesiredState, options: ScopeOptions): ListScope[] {
  const scopes = options.prune ? pruneScopes(desired, options) : touchedScopes(desired);
  // The scopes of reference targets are listed too, to find targets that only the server has;
  // listing a scope does not put it in prune scope (buildPlan recomputes that).
  const listed = new Set(scopes.map(scopeKey));
  const targets = referenceScopes(desired).filter((s) => !listed.has(scopeKey(s)));
  return targets.length === 0 ? scopes : sortScopes([...scopes, ...targets]);
}

/** The scopes prune may delete in (SPEC §4): never a kind the manifests hold nothing of, unless allowed. */
function pruneScopes(desired: DesiredState, options: ScopeOptions): ListScope[] {
  if (!options.allowEmptyPrune) return touchedScopes(desired);
  const projects = namedProjects(desired, options.extraProjects);
  return sortScopes(projects.flatMap((project) => kindNames().map((kind) => ({ project, kind }))));
}

function touchedScopes(desired: DesiredState): ListScope[] {
  const seen = new Map<string, ListScope>();
  for (const r of desired.resources) seen.set(scopeKey(r), { project: r.project, kind: r.kind });
  return sortScopes([...seen.values()]);
}

function namedProjects(desired: DesiredState, extra: readonly string[]): string[] {
  return [...new Set([...desired.projects, ...desired.resources.map((r) => r.project), ...extra])].sort(compareText);
}

function sortScopes(scopes: ListScope[]): ListScope[] {
  return scopes.sort((a, b) => compareText(a.project, b.project) || kindRank(a.kind) - kindRank(b.kind));
}

function scopeKey(s: { project: string; kind: Kind }): string {
  return `${s.kind}\u0000${s.project}`;
}

/**
 * Builds the plan: one action per desired resource (create / update / noop) and, with prune, a
 * delete for every listed current resource in prune scope that no manifest declares. Creates,
 * updates and noops come in kind order, then project, then name; deletes after them, kinds reversed.
 */
export function buildPlan(input: PlanInput): Plan {
  const { desired } = input;
  const warnings: string[] = [];

  const currentByKey = new Map<string, CurrentResource>();
  for (const c of input.current) {
    const key = resourceKey(c);
    if (!currentByKey.has(key)) currentByKey.set(key, c);
  }
  // The input is sorted by the loader; sort again so the plan never depends on the caller's order
  // (checking first: n - 1 comparisons instead of n log n when it is).
  const desiredSorted = isSorted(desired.resources, forwardOrder)
    ? [...desired.resources]
    : [...desired.resources].sort(forwardOrder);

  const generationOf = (project: string): ApiGeneration => input.generations?.get(project) ?? 'legacy';
  // Write options depend on the generation: only a plan that knows it can say what a write sends.
  const known = input.generations !== undefined;
  const actions: PlanAction[] = desiredSorted.map((d) =>
    actionFor(d, currentByKey.get(resourceKey(d)), generationOf(d.project), known),
  );

  if (input.prune) {
    const desiredKeys = new Set(desiredSorted.map(resourceKey));
    const inScope = new Set(pruneScopes(desired, input).map(scopeKey));
    // Only what was actually listed can be judged missing from Git: a scope not listed is unknown.
    const listed = new Set(input.scopes.map(scopeKey));
    const deletes = [...currentByKey.values()]
      .filter((c) => inScope.has(scopeKey(c)) && listed.has(scopeKey(c)) && !desiredKeys.has(resourceKey(c)))
      .sort(reverseKindOrder)
      .map((c) => actionFor(undefined, c, generationOf(c.project), known));
    actions.push(...deletes);

    if (!input.allowEmptyPrune) {
      for (const project of namedProjects(desired, input.extraProjects)) {
        for (const kind of kindNames()) {
          if (inScope.has(scopeKey({ project, kind }))) continue;
          warnings.push(
            `${kind} in project ${project}: no manifests, so prune leaves it alone (use --allow-empty-prune to include it)`,
          );
        }
      }
    }
  }

  // What deleting a kind's resources means beyond the delete (JWKs left without a source ...), in
  // the kind's words, once per sentence.
  const deleteWarnings = new Set<string>();
  for (const a of actions) {
    if (a.action !== 'delete') continue;
    const warning = descriptorOf(a.kind).prose?.deleteWarning?.(generationOf(a.project));
    if (warning !== undefined) deleteWarnings.add(warning);
  }
  warnings.push(...deleteWarnings);
  warnings.push(...environmentRemovalWarnings(actions));
  // No project at all (an empty folder): the server was not asked, so no generation is claimed.
  const asked = namedProjects(desired, input.extraProjects).filter((p) => input.generations?.has(p) ?? false);
  const generations = [...new Set((asked.length > 0 ? asked : desired.projects).map(generationOf))];
  return {
    actions,
    summary: summarise(actions),
    warnings,
    ...(input.generations && generations.length > 0
      ? { apiGeneration: generations.length === 1 ? generations[0]! : 'mixed' }
      : {}),
    diagnostics: sortDiagnostics(input.diagnostics ?? []),
    server: input.server,
    createdAt: input.createdAt,
  };
}

function actionFor(
  desired: DesiredResource | undefined,
  current: CurrentResource | undefined,
  generation: ApiGeneration,
  generationKnown: boolean,
): PlanAction {
  const id = (desired ?? current) as ResourceId;
  const { changes, unknownFields } = diffResource(desired, current, generation);
  const action: ActionType =
    desired === undefined ? 'delete' : current === undefined ? 'create' : changes.length > 0 ? 'update' : 'noop';
  const planned: PlanAction = {
    action,
    kind: id.kind,
    project: id.project,
    name: id.name,
    changes,
    unknownFields,
    fingerprints: NO_FINGERPRINTS,
  };
  if (generationKnown) {
    const hook = descriptorOf(id.kind).writeOptions;
    planned.writeOptions = hook?.options(desired, action === 'delete' ? 'delete' : 'update', generation) ?? {
      query: {},
      isDefault: true,
    };
  }
  planned.fingerprints = new LazyFingerprints(desired, current, generation);
  if (desired) {
    planned.source = desired.source;
    planned.desired = desired;
  }
  if (current) planned.current = current;
  return planned;
}

const NO_FINGERPRINTS = { desired: null, current: null };

/**
 * An action's fingerprints, computed on first read: hashing both sides of every resource is most
 * of a large no-op plan's time, and only a saved (JSON) plan and its check need them. A class, so
 * that the getters are shared (a getter defined on each of 10,000 actions cost more than the rest
 * of building them).
 */
class LazyFingerprints {
  #computed: { desired: string | null; current: string | null } | undefined;
  readonly #desired: DesiredResource | undefined;
  readonly #current: CurrentResource | undefined;
  readonly #generation: ApiGeneration;

  constructor(desired: DesiredResource | undefined, current: CurrentResource | undefined, generation: ApiGeneration) {
    this.#desired = desired;
    this.#current = current;
    this.#generation = generation;
  }

  get desired(): string | null {
    return this.#compute().desired;
  }

  get current(): string | null {
    return this.#compute().current;
  }

  #compute(): { desired: string | null; current: string | null } {
    if (this.#computed) return this.#computed;
    const desired = this.#desired;
    const current = this.#current;
    // Both sides are keyed by the resource's desired secrets (by the server's, for a delete).
    const key = fingerprintKey((desired ?? current) as DesiredResource | CurrentResource);
    return (this.#computed = {
      desired: desired ? fingerprintDesired(desired, key) : null,
      current: current
        ? fingerprintCurrent(current, key, desired ? descriptorOf(desired.kind).formOf(desired) : this.#generation)
        : null,
    });
  }

  toJSON(): { desired: string | null; current: string | null } {
    return { desired: this.desired, current: this.current };
  }
}

/** How many actions of each type a plan holds. */
export function summarise(actions: readonly PlanAction[]): PlanSummary {
  const summary: PlanSummary = { create: 0, update: 0, delete: 0, noop: 0 };
  for (const a of actions) summary[a.action] += 1;
  return summary;
}

function isSorted<T>(items: readonly T[], order: (a: T, b: T) => number): boolean {
  for (let i = 1; i < items.length; i += 1) if (order(items[i - 1] as T, items[i] as T) > 0) return false;
  return true;
}

function forwardOrder(a: ResourceId, b: ResourceId): number {
  return kindRank(a.kind) - kindRank(b.kind) || compareText(a.project, b.project) || compareText(a.name, b.name);
}

function reverseKindOrder(a: ResourceId, b: ResourceId): number {
  return kindRank(b.kind) - kindRank(a.kind) || compareText(a.project, b.project) || compareText(a.name, b.name);
}

/**
 * Checks that every environment a manifest names exists in its project (SPEC §4 preflight).
 * `environmentsByProject` holds what the server answered; a project missing from it is unknown.
 * Diagnostics point at the environment entry's name in the manifest when the resource can locate
 * its fields, else at the resource.
 */
export function checkEnvironments(
  desired: DesiredState,
  environmentsByProject: Map<string, string[]>,
  generationForced = false,
): Diagnostic[] {
  // A forced generation that is wrong asks the wrong environments path, which looks like no project.
  const forced = generationForced
    ? '; or --api-generation / APINIZER_API_GENERATION names the wrong API generation: unset it to detect it'
    : '';
  const out: Diagnostic[] = [];
  // Once per project, not per resource: 10,000 resources share two or three projects.
  const projects = new Map<string, { has: Set<string>; sorted: string[] }>();
  for (const [project, known] of environmentsByProject) {
    const has = new Set(known);
    projects.set(project, { has, sorted: [...has].sort(compareText) });
  }
  for (const r of desired.resources) {
    const project = projects.get(r.project);
    if (project !== undefined && r.environments.every((env) => project.has.has(env.name))) continue;
    const at = {
      file: r.source.file,
      line: r.source.line,
      column: r.source.column,
      resource: resourceLabel(r),
    };
    if (project === undefined) {
      // At the field that names the project (or, when a flag or variable gave it, near it).
      const where = r.locate?.(['metadata', 'project']) ?? r.source;
      out.push({
        ...at,
        file: where.file,
        line: where.line,
        column: where.column,
        code: 'unknown-project',
        severity: 'error',
        path: 'metadata.project',
        message: `project "${r.project}" does not exist on the server (check metadata.project, --project or APINIZER_PROJECT${forced})`,
      });
      continue;
    }
    const { has, sorted: sortedKnown } = project;
    r.environments.forEach((env, i) => {
      if (has.has(env.name)) return;
      const where = r.locate?.(['spec', 'environments', i, 'name']) ?? r.source;
      out.push({
        ...at,
        file: where.file,
        line: where.line,
        column: where.column,
        code: 'unknown-environment',
        severity: 'error',
        path: `spec.environments[${i}].name`,
        message:
          `environment "${env.name}" does not exist in project ${r.project}` +
          (sortedKnown.length > 0 ? ` (it has: ${sortedKnown.join(', ')})` : ' (it has no environments)'),
      });
    });
  }
  return sortDiagnostics(out);
}

/**
 * An update that leaves out an environment the server holds. Apinizer does not say whether an
 * update replaces or merges the environment list (SPEC §5): on a server that merges, the removal
 * never happens and every later plan shows it again. Apply reads such a resource back and fails it
 * with the manual fix; the plan says up front why the change may come back, so a reader of a plan
 * that repeats it is not left guessing.
 */
function environmentRemovalWarnings(actions: readonly PlanAction[]): string[] {
  const warnings: string[] = [];
  for (const a of actions) {
    if (a.action !== 'update' || a.desired === undefined || a.current === undefined) continue;
    const kept = new Set(a.desired.environments.map((e) => e.name));
    const removed = a.current.environments.map((e) => e.name).filter((n) => !kept.has(n));
    if (removed.length === 0) continue;
    const list = removed.map((n) => `"${n}"`).join(', ');
    const noun = removed.length === 1 ? 'environment' : 'environments';
    warnings.push(
      `${resourceLabel(a)}: the update removes ${noun} ${list}; if this change is planned again after apply, the server merges environment lists instead of replacing them (apply then reports the resource failed): remove ${removed.length === 1 ? 'it' : 'them'} by hand in the Apinizer Manager`,
    );
  }
  return warnings;
}
