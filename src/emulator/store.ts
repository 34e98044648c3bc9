// The emulator's in-memory store: projects, environments and the stored objects of each kind,
// exactly as the API keeps and returns them, with snapshots for --data FILE.
import { createHash, randomBytes } from 'node:crypto';
import { EMULATED_KINDS, type EmulatedKind as Kind } from './kinds.js';
import { isRecord } from '../text.js';

/** A key or keystore exactly as the API stores and returns it (JSON). */
export type RawObject = Readonly<Record<string, unknown>>;

/** The field that holds the per-environment entries of each kind (from its handler). */
export const ENVIRONMENT_LIST_FIELD: Readonly<Record<Kind, string>> = Object.fromEntries(
  EMULATED_KINDS.map((h) => [h.kind, h.listField]),
) as Record<Kind, string>;

/** What `--data FILE` holds. */
export interface StoreSnapshot {
  format: 'apinizer-emulator-data';
  version: 1;
  /** Per project, the objects of each kind under the kind's path segment (`keys`, `keystores`). */
  projects: Record<string, Record<string, RawObject[]>>;
}

const idCache = new Map<string, string>();

/** A stable 24-hex id (the shape of a MongoDB ObjectId, as Apinizer uses) for a project or environment name. */
export function stableId(scope: 'project' | 'environment', name: string): string {
  const key = `${scope}\u0000${name}`;
  let id = idCache.get(key);
  if (id === undefined) {
    id = createHash('sha1').update(key).digest('hex').slice(0, 24);
    idCache.set(key, id);
  }
  return id;
}

function newObjectId(): string {
  return randomBytes(12).toString('hex');
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value as object)) deepFreeze(v);
  }
  return value;
}

type ProjectData = Record<Kind, Map<string, RawObject>>;

/**
 * The emulator's state: raw API objects per project and kind, by name (case-sensitive). Pure memory,
 * no I/O. Stored objects are deep-frozen, so reads hand out references without copying and nobody
 * can change a stored object behind the store's back; a write replaces the object.
 */
export class EmulatorStore {
  readonly #projects = new Map<string, ProjectData>();
  readonly #listeners = new Set<() => void>();

  /** The objects of a kind in a project, in creation order. */
  list(project: string, kind: Kind): RawObject[] {
    const data = this.#projects.get(project);
    return data ? Array.from(data[kind].values()) : [];
  }

  /** One object by name, or undefined. */
  get(project: string, kind: Kind, name: string): RawObject | undefined {
    return this.#projects.get(project)?.[kind].get(name);
  }

  /**
   * Stores an object as given (no validation: this is how tests seed data or make drift), filling
   * the server-only fields a real server adds when missing: `id` (kept from the object it replaces),
   * `projectId`, and `environmentId` per environment entry. Returns the stored, frozen object.
   */
  put(project: string, kind: Kind, object: Record<string, unknown>): RawObject {
    const name = object.name;
    if (typeof name !== 'string' || name === '')
      throw new TypeError('EmulatorStore.put: the object needs a non-empty string "name"');
    let data = this.#projects.get(project);
    if (!data) {
      data = Object.fromEntries(EMULATED_KINDS.map((h) => [h.kind, new Map()])) as ProjectData;
      this.#projects.set(project, data);
    }
    const previous = data[kind].get(name);
    const stored = withServerFields(project, kind, object, previous);
    data[kind].set(name, deepFreeze(stored));
    this.#changed();
    return stored;
  }

  /** Removes an object; returns what was removed, or undefined when there was nothing. */
  delete(project: string, kind: Kind, name: string): RawObject | undefined {
    const map = this.#projects.get(project)?.[kind];
    const previous = map?.get(name);
    if (map && previous) {
      map.delete(name);
      this.#changed();
    }
    return previous;
  }

  /** Removes everything. */
  clear(): void {
    this.#projects.clear();
    this.#changed();
  }

  /** How many objects are stored, over all projects and kinds. */
  size(): number {
    let n = 0;
    for (const data of this.#projects.values()) for (const h of EMULATED_KINDS) n += data[h.kind].size;
    return n;
  }

  /** The whole state as a JSON-ready value (objects are shared, not copied: serialise it at once). */
  snapshot(): StoreSnapshot {
    const projects: StoreSnapshot['projects'] = {};
    for (const [name, data] of this.#projects) {
      if (EMULATED_KINDS.every((h) => data[h.kind].size === 0)) continue;
      projects[name] = Object.fromEntries(EMULATED_KINDS.map((h) => [h.segment, Array.from(data[h.kind].values())]));
    }
    return { format: 'apinizer-emulator-data', version: 1, projects };
  }

  /** Replaces the state with a snapshot read from `--data FILE`; throws a TypeError naming what is wrong. */
  load(snapshot: unknown): void {
    if (!isRecord(snapshot) || snapshot.format !== 'apinizer-emulator-data' || !isRecord(snapshot.projects)) {
      throw new TypeError(
        'not an emulator data file (expected {"format": "apinizer-emulator-data", "projects": {...}})',
      );
    }
    const loaded: [string, Kind, Record<string, unknown>][] = [];
    for (const [project, data] of Object.entries(snapshot.projects)) {
      if (!isRecord(data)) throw new TypeError(`projects.${project} must be an object`);
      for (const { segment: field, kind } of EMULATED_KINDS) {
        const list = data[field] ?? [];
        if (!Array.isArray(list)) throw new TypeError(`projects.${project}.${field} must be a list`);
        list.forEach((item, i) => {
          if (!isRecord(item) || typeof item.name !== 'string' || item.name === '') {
            throw new TypeError(`projects.${project}.${field}[${i}] must be an object with a name`);
          }
          loaded.push([project, kind, item]);
        });
      }
    }
    this.#projects.clear();
    for (const [project, kind, item] of loaded) this.put(project, kind, item);
    this.#changed();
  }

  /** Calls the listener after every change; returns a function that removes it. */
  onChange(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #changed(): void {
    for (const listener of this.#listeners) listener();
  }
}

function withServerFields(
  project: string,
  kind: Kind,
  object: Record<string, unknown>,
  previous: RawObject | undefined,
): Record<string, unknown> {
  const listField = ENVIRONMENT_LIST_FIELD[kind];
  const id = typeof previous?.id === 'string' ? previous.id : typeof object.id === 'string' ? object.id : newObjectId();
  const stored: Record<string, unknown> = { id, ...object };
  stored.id = id;
  if (stored.projectId === undefined) stored.projectId = stableId('project', project);
  const list = object[listField];
  if (Array.isArray(list)) {
    stored[listField] = list.map((entry: unknown) => {
      if (!isRecord(entry)) return entry;
      if (entry.environmentId !== undefined || typeof entry.environmentName !== 'string') return { ...entry };
      return { environmentId: stableId('environment', entry.environmentName), ...entry };
    });
  }
  return stored;
}
