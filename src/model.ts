import type { Secret } from './secret.js';

/** The resource kinds this tool manages. */
export type Kind = 'Key' | 'Keystore';

/**
 * The order between kinds, declared once. Creates and updates run in this order, deletes in the
 * reverse. Keys and Keystores are independent today; JWKs or certificates made from them would be
 * appended after them.
 *
 *     create/update  ──►  Key, Keystore  (then JWK, ...)
 *     delete         ◄──  Key, Keystore
 */
export const KIND_ORDER: readonly Kind[] = ['Key', 'Keystore'];

/**
 * What each kind's resources need to exist before they can be written, declared once as data:
 * apply creates and updates a kind only after the kinds it depends on, and deletes it only after
 * the kinds that depend on it. Keys and Keystores depend on nothing, so they are written side by
 * side with no barrier; a JWK made from a Key would declare `['Key']`.
 */
export const KIND_DEPENDS_ON: Readonly<Record<Kind, readonly Kind[]>> = { Key: [], Keystore: [] };

export const API_VERSION = 'apinizer-gitops/v1';

/** `updateReferencedJwks` scope sent with an update so JWKs made from the object follow it. */
export type JwksScope = 'SAME_PROJECT' | 'ALL_PROJECTS';

export type KeystoreType = 'JKS' | 'PKCS12';

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

export interface KeyEnvironment {
  name: string;
  publicKey?: Secret;
  privateKey?: Secret;
}

export interface KeystoreEnvironment {
  name: string;
  type: KeystoreType;
  file: Secret;
}

/**
 * Finds the source position of a field of a resource's manifest by its JSON path (e.g.
 * `['spec', 'environments', 1, 'name']`), for errors found after loading (an environment the
 * server does not have). Lazy because positions cost a second parse of the file.
 */
export type FieldLocator = (path: readonly (string | number)[]) => SourceLocation;

/** A Key as the manifests declare it, secrets resolved to base64 and wrapped. */
export interface DesiredKey extends ResourceId {
  kind: 'Key';
  description: string; // '' when the manifest has none (missing equals empty)
  keyType: string;
  environments: KeyEnvironment[];
  updateReferencedJwks?: JwksScope;
  source: SourceLocation;
  locate?: FieldLocator;
}

/** A Keystore as the manifests declare it. */
export interface DesiredKeystore extends ResourceId {
  kind: 'Keystore';
  description: string;
  environments: KeystoreEnvironment[];
  updateReferencedJwks?: JwksScope;
  source: SourceLocation;
  locate?: FieldLocator;
}

export type DesiredResource = DesiredKey | DesiredKeystore;

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

export interface CurrentKeyEnvironment {
  name: string;
  publicKey?: CurrentSecret;
  privateKey?: CurrentSecret;
}

export interface CurrentKeystoreEnvironment {
  name: string;
  type: string;
  file?: CurrentSecret;
}

/** A Key as the API reports it, server-only fields (id, projectId, environmentId, alias) dropped. */
export interface CurrentKey extends ResourceId {
  kind: 'Key';
  description: string;
  keyType: string;
  environments: CurrentKeyEnvironment[];
}

export interface CurrentKeystore extends ResourceId {
  kind: 'Keystore';
  description: string;
  environments: CurrentKeystoreEnvironment[];
}

export type CurrentResource = CurrentKey | CurrentKeystore;
