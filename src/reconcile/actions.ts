// The port the core needs from the Management API: apply, plan, watch and export are written
// against this interface, src/api/client.ts implements it over HTTP, and the tests' in-memory fake
// implements it in memory. Defined here, in the core, so the dependency points from api to core.
import type { Result, WriteResult } from '../api/types.js';
import type { HeldSecrets } from '../kinds/material.js';
import type { ApiGeneration, CurrentResource, DesiredResource, Kind, ResourceId } from '../model.js';

/**
 * The query parameters of a write besides the object (SPEC §5), as the kind's descriptor chose them
 * for the plan (src/kinds/): the client sends them as given and knows nothing of what they mean.
 */
export type WriteQuery = Readonly<Record<string, string>>;

/** How a list is read. */
export interface ListOptions {
  /**
   * Binary secrets the caller holds (the manifests' own): a listed value equal to one of
   * them comes back as that very Secret, so the server's copy of unchanged material is never kept
   * (tens of MB in a large no-op plan). Secrets are immutable and compared by value: sharing one
   * changes no outcome, and an implementation may ignore this.
   */
  held?: HeldSecrets;
}

/**
 * The calls the reconciler makes: the port the core defines, implemented over HTTP by src/api/client.ts. Apply, watch
 * and export depend on this interface only, so pure logic can be tested with an in-memory fake.
 * Every method resolves (never rejects) with a Result.
 */
export interface ResourceActions {
  /** All resources of one kind in a project. A project the server does not know: `not-found`. */
  list(project: string, kind: Kind, options?: ListOptions): Promise<Result<CurrentResource[]>>;
  /** One resource, or null when the server says it does not exist (404, or 400 "not found"). */
  get(id: ResourceId): Promise<Result<CurrentResource | null>>;
  /** POST the complete object. "Already exist" comes back as error kind `already-exists`. */
  create(resource: DesiredResource): Promise<Result<WriteResult>>;
  /** PUT the complete object. A missing object comes back as error kind `not-found`. */
  update(resource: DesiredResource, query?: WriteQuery): Promise<Result<WriteResult>>;
  /** DELETE. A missing object comes back as error kind `not-found` (the caller counts it as done). */
  delete(id: ResourceId, query?: WriteQuery): Promise<Result<WriteResult>>;
  /** Names of the environments reachable from a project. Unknown project: `not-found`. */
  environments(project: string): Promise<Result<string[]>>;
  /**
   * The API generation the server speaks for a project (SPEC §2b), found once per project by the
   * environments probe, or fixed by configuration.
   */
  generation(project: string): Promise<Result<ApiGeneration>>;
  /**
   * The raw material of one environment of an object through the current generation's
   * export-file endpoint: a PEM, a secret key, or keystore bytes. Refused: `unauthorized` /
   * `forbidden`; no such endpoint, object or material: `not-found`.
   */
  exportMaterial(id: ResourceId, environment: string): Promise<Result<Buffer>>;
  /**
   * The same calls, whose waits before a retry that the server did not ask for go through
   * `pause`. Apply runs each write holding a concurrency slot; a write that met a fault of its own
   * (a 500, a reset connection, a timeout) lends its slot to the next write while it waits, so
   * scattered faults do not idle the slots. A wait the server asked for (Retry-After) keeps the
   * slot: the server asked for less, not for the same from another write. Optional: an
   * implementation without it simply waits in its slot.
   */
  pausing?(pause: Pause): ResourceActions;
}

/**
 * Gives the caller's concurrency slot away while `wait` runs and resolves once the caller holds
 * one again (see `ResourceActions.pausing` and the limiter's `run`).
 */
export type Pause = (wait: () => Promise<void>) => Promise<void>;
