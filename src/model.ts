// The kind-neutral model: identity, locations, the desired and current state as the core sees
// them. Each kind's own fields live in its module under src/kinds/ (`defineKind<Desired, Current>()`).
import type { Secret } from './secret.js';

/**
 * A resource kind: the manifest `kind:` of a registered descriptor (src/kinds/). The core treats it
 * as a name and asks the descriptor for everything else.
 */
export type Kind = string;

/** The two generations of the Apinizer API (SPEC §2b); also the two forms a manifest can take. */
export type ApiGeneration = 'legacy' | 'current';

export const API_VERSION = 'apinizer-gitops/v1';

/** (kind, project, name): what makes a resource the same resource in Git and on the server. */
export interface ResourceId {
  kind: Kind;
  project: string;
  name: string;
}

/** A stable string for a ResourceId, for maps and messages: `Key Payments/payments-signing`. */
export function resourceLabel(id: ResourceId): string {
  return `${id.kind} ${id.project}/${id.name}`;
}

/** A stable map key for a ResourceId (names cannot contain NUL). */
export function resourceKey(id: ResourceId): string {
  return `${id.kind}\u0000${id.project}\u0000${id.name}`;
}

/** Where a resource was declared: the file (relative to the working directory) and 1-based line/column of its first key. */
export interface SourceLocation {
  file: string;
  line: number;
  column: number;
}

/**
 * Finds the source position of a field of a resource's manifest by its JSON path (e.g.
 * `['spec', 'environments', 1, 'name']`), for errors found after loading (an environment the
 * server does not have). Lazy because positions cost a second parse of the file.
 */
export type FieldLocator = (path: readonly (string | number)[]) => SourceLocation;

/**
 * A resource as the manifests declare it, secrets resolved and wrapped. Kind-specific fields
 * (`keyType`, an environment's `file` ...) are named by the kind's descriptor; the core reads them
 * through it and never by name.
 */
export interface DesiredResource extends ResourceId {
  description: string; // '' when the manifest has none (missing equals empty)
  environments: { name: string }[];
  source: SourceLocation;
  locate?: FieldLocator;
}

/** Everything the manifests ask for, validated. */
export interface DesiredState {
  /** Sorted by kind order, project, name. */
  resources: DesiredResource[];
  /** Every project a manifest names (after defaulting), sorted. */
  projects: string[];
}

/**
 * A secret as the server reports it: the value, `'masked'` when the server sent something that is
 * not base64 (such as `******`), or undefined when the field was absent, null or empty. The diff
 * decides what masked and absent mean (SPEC §4: never a reason to update on every run).
 */
export type CurrentSecret = Secret | 'masked';

/** A resource as the API reports it, server-only fields (id, projectId, environmentId) dropped. */
export interface CurrentResource extends ResourceId {
  description: string;
  environments: { name: string }[];
}

/** A field of a resource or environment by the name its descriptor gives (the core's only way in). */
export function fieldValue(holder: object, name: string): unknown {
  return (holder as Record<string, unknown>)[name];
}
