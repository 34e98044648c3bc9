// Pure: the index an export keeps in its output folder (SPEC §7): which files it wrote for which
// resource, so that `export --force` into the same folder can refresh it, removing the manifests
// and secret files of resources the server no longer has while leaving every file it did not write
// alone. A dot-file, so the manifest loader never reads it; JSON sorted by path, so it diffs well in
// Git. It names paths and identities only, never material.
import type { Kind, ResourceId } from '../model.js';
import type { ExportFile, ExportPlan } from './render.js';

/** Where the index lives, relative to the output folder. */
export const EXPORT_INDEX_PATH = '.apinizer-gitops-export.json';

const INDEX_FORMAT_VERSION = 1;

/** One file an export wrote, and the resource it belongs to. */
export interface IndexedFile extends ResourceId {
  path: string;
  type: 'manifest' | 'secret';
}

/** The index: every file earlier exports into this folder wrote, all projects and kinds. */
export interface ExportIndex {
  files: IndexedFile[];
}

/** What one export run covers: its project and kinds. Only their earlier files can be stale. */
export interface ExportScope {
  project: string;
  kinds: readonly Kind[];
}

/** The index in a file's text, or a sentence saying why it cannot be read (an export then removes nothing). */
export function parseExportIndex(text: string): ExportIndex | string {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    return 'not a JSON document';
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'not a JSON object';
  const d = doc as Record<string, unknown>;
  if (d.formatVersion !== INDEX_FORMAT_VERSION) return `formatVersion ${JSON.stringify(d.formatVersion)} is not 1`;
  if (!Array.isArray(d.files)) return 'no "files" list';
  const files: IndexedFile[] = [];
  for (const raw of d.files as unknown[]) {
    const f = raw as Partial<Record<keyof IndexedFile, unknown>>;
    if (
      typeof f !== 'object' ||
      f === null ||
      typeof f.path !== 'string' ||
      typeof f.kind !== 'string' ||
      typeof f.project !== 'string' ||
      typeof f.name !== 'string' ||
      (f.type !== 'manifest' && f.type !== 'secret')
    ) {
      return 'an entry of "files" is not { path, type, kind, project, name }';
    }
    files.push({ path: f.path, type: f.type, kind: f.kind, project: f.project, name: f.name });
  }
  return { files };
}

function inScope(f: IndexedFile, scope: ExportScope): boolean {
  return f.project === scope.project && scope.kinds.includes(f.kind);
}

/** The files this plan writes that belong to a resource (manifests and secrets), as index entries. */
function plannedEntries(plan: ExportPlan): IndexedFile[] {
  const out: IndexedFile[] = [];
  for (const file of plan.files) {
    const id = resourceOf(file);
    if (id) out.push({ path: file.path, type: file.type as IndexedFile['type'], ...id });
  }
  return out;
}

function resourceOf(file: ExportFile): ResourceId | null {
  if (file.type === 'manifest') return file.resource;
  if (file.type === 'secret') return file.slot.resource;
  return null;
}

/**
 * The files an earlier export of this scope wrote that this export does not write again: those of
 * resources the server no longer has, and of environments or fields they no longer hold. Files of
 * other projects or kinds are never stale here.
 */
export function staleFiles(index: ExportIndex, plan: ExportPlan, scope: ExportScope): IndexedFile[] {
  const planned = new Set(plan.files.map((f) => f.path));
  return index.files.filter((f) => inScope(f, scope) && !planned.has(f.path));
}

/**
 * The index after this export: the entries of other scopes as they were, this scope's entries
 * replaced by what the plan writes, plus `kept`: stale files that were not removed (no --force),
 * so a later refresh still knows them.
 */
export function nextExportIndex(
  index: ExportIndex,
  plan: ExportPlan,
  scope: ExportScope,
  kept: readonly IndexedFile[],
): ExportIndex {
  const byPath = new Map<string, IndexedFile>();
  for (const f of index.files) if (!inScope(f, scope)) byPath.set(f.path, f);
  for (const f of kept) byPath.set(f.path, f);
  for (const f of plannedEntries(plan)) byPath.set(f.path, f);
  return { files: [...byPath.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** The index as the file's text. */
export function renderExportIndex(index: ExportIndex): string {
  const doc = {
    comment:
      'Written by apinizer-gitops export: the files each export into this folder wrote, so that export --force ' +
      'can remove those of objects the server no longer has. Paths and names only, no key material.',
    formatVersion: INDEX_FORMAT_VERSION,
    files: index.files.map((f) => ({ path: f.path, type: f.type, kind: f.kind, project: f.project, name: f.name })),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}
