// Pure: references between resources (a field with the reference role names another resource of
// the same project, such as a JWK's `key`). Like go-database-reconciler's builder, a reference to
// nothing is an error before any write, at the referencing field's file:line:col; and prune never
// deletes a resource that a kept one still references, naming both. Order comes from the kinds'
// dependsOn (the registry refuses a reference whose target kind is not listed there).
import type { Diagnostic } from '../diagnostics.js';
import { descriptorOf } from '../kinds/index.js';
import { formatPath } from '../manifest/validate.js';
import { fieldValue, resourceKey, resourceLabel } from '../model.js';
import type { CurrentResource, DesiredResource, DesiredState, ResourceId } from '../model.js';
import type { PlanAction } from './types.js';

/** One reference a desired resource makes: the field that holds it and the resource it names. */
export interface ResourceReference {
  from: DesiredResource;
  /** Path of the referencing field in the manifest, e.g. `['spec', 'key']`. */
  path: (string | number)[];
  target: ResourceId;
}

/** Every reference `resource` makes, in field order (resource fields, then each environment's). */
export function referencesOf(resource: DesiredResource): ResourceReference[] {
  const kind = descriptorOf(resource.kind);
  const out: ResourceReference[] = [];
  const add = (holder: object, path: (string | number)[], targetKind: string, field: string) => {
    const name = fieldValue(holder, field);
    if (typeof name !== 'string' || name === '') return;
    out.push({ from: resource, path, target: { kind: targetKind, project: resource.project, name } });
  };
  for (const f of kind.resourceFields) {
    if (f.references !== undefined) add(resource, ['spec', f.name], f.references, f.name);
  }
  for (const f of kind.environmentFields) {
    if (f.references === undefined) continue;
    const target = f.references;
    resource.environments.forEach((env, i) => add(env, ['spec', 'environments', i, f.name], target, f.name));
  }
  return out;
}

/** The (project, kind) scopes that hold reference targets: plan lists them to find targets on the server. */
export function referenceScopes(desired: DesiredState): { project: string; kind: string }[] {
  const seen = new Map<string, { project: string; kind: string }>();
  for (const r of desired.resources) {
    for (const ref of referencesOf(r)) seen.set(`${ref.target.kind}\u0000${ref.target.project}`, ref.target);
  }
  return [...seen.values()].map(({ project, kind }) => ({ project, kind }));
}

/** A diagnostic at the referencing field. */
function at(ref: ResourceReference, code: Diagnostic['code'], message: string): Diagnostic {
  const where = ref.from.locate?.(ref.path) ?? ref.from.source;
  return {
    code,
    severity: 'error',
    message,
    file: where.file,
    line: where.line,
    column: where.column,
    path: formatPath(ref.path),
    resource: resourceLabel(ref.from),
  };
}

/**
 * An error for every reference whose target is neither declared in the manifests nor on the
 * server (`current` holds the listed scopes of every target, see referenceScopes).
 */
export function checkReferences(desired: DesiredState, current: readonly CurrentResource[]): Diagnostic[] {
  const refs = desired.resources.flatMap(referencesOf);
  // Most trees reference nothing: then there is no need to index 20,000 resources by key.
  if (refs.length === 0) return [];
  const exists = new Set<string>();
  for (const r of desired.resources) exists.add(resourceKey(r));
  for (const c of current) exists.add(resourceKey(c));
  const out: Diagnostic[] = [];
  for (const ref of refs) {
    if (exists.has(resourceKey(ref.target))) continue;
    const targets = descriptorOf(ref.target.kind).plural;
    out.push(
      at(
        ref,
        'unknown-reference',
        `names ${resourceLabel(ref.target)}, which neither the manifests nor the server have: ` +
          `check the name against the project's ${targets}, or add a manifest for it`,
      ),
    );
  }
  return out;
}

/**
 * An error for every delete of the plan whose resource a kept (declared) resource still
 * references: prune would leave the reference pointing at nothing. Names both resources.
 */
export function checkPrunedReferences(desired: DesiredState, actions: readonly PlanAction[]): Diagnostic[] {
  const deleted = new Set(actions.filter((a) => a.action === 'delete').map(resourceKey));
  if (deleted.size === 0) return [];
  const out: Diagnostic[] = [];
  for (const r of desired.resources) {
    for (const ref of referencesOf(r)) {
      if (!deleted.has(resourceKey(ref.target))) continue;
      out.push(
        at(
          ref,
          'referenced-by-kept',
          `${resourceLabel(r)} references ${resourceLabel(ref.target)}, which prune would delete because no ` +
            `manifest declares it: add a manifest for ${resourceLabel(ref.target)}, or change or remove this reference`,
        ),
      );
    }
  }
  return out;
}
