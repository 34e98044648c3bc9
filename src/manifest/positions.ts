// Pure: where each key and value of a plain YAML file starts, from one js-yaml pass, for the files
// the fast path read (parse.ts). Positions are needed only for findings, but a tree of placeholder
// keys has tens of thousands of them, and locating them by building `yaml`'s syntax tree of every
// file cost a third of such a run (2.5 s of 7.6 s at 10,000 resources). js-yaml reads the same
// text about ten times faster and reports every node it composes to a listener, at its start; this
// module keeps only the offsets. Whenever the structure it saw does not account for every value
// (anything unusual), it gives up and the caller locates through `yaml`, as before.
import jsyaml from 'js-yaml';
import type { LocateTarget, PathSegments, Position } from './parse.js';

/** A node of the index: where it starts, and its children when it is a mapping or a sequence. */
interface IndexNode {
  /** Offset where js-yaml opened the node; a value after `key:` opens before its leading spaces. */
  open: number;
  /** A mapping's keys (as the loaded value names them) with the key's offset and the value's node. */
  pairs?: Map<string, { key: number; value: IndexNode }>;
  /** A sequence's items. */
  items?: IndexNode[];
}

/** The offsets of one file's documents, by document index (empty documents included). */
export interface PositionIndex {
  /** The position of `path` in document `index`, as parse.ts's locate() defines it; undefined: not known here. */
  locate(index: number, path: PathSegments, target: LocateTarget): Position | undefined;
}

interface Frame {
  open: number;
  children: Frame[];
  kind: string | null;
  result: unknown;
}

/**
 * Indexes `source` (text the fast path already loaded without error, with the same `schema`); undefined when js-yaml
 * rejects it or when any mapping or sequence has children the listener did not report one for one.
 */
export function indexPositions(source: string, schema: jsyaml.Schema): PositionIndex | undefined {
  const roots: Frame[] = [];
  const stack: Frame[] = [];
  try {
    jsyaml.loadAll(source, undefined, {
      schema, // the fast path's, so keys read the same
      json: false,
      listener(event, state) {
        if (event === 'open') {
          stack.push({ open: state.position, children: [], kind: null, result: undefined });
          return;
        }
        const frame = stack.pop();
        if (!frame) throw new Error('unbalanced listener events');
        frame.kind = state.kind;
        frame.result = state.result;
        const parent = stack[stack.length - 1];
        if (parent) parent.children.push(frame);
        else roots.push(frame);
      },
    });
  } catch {
    return undefined;
  }
  const documents: (IndexNode | null)[] = [];
  for (const root of roots) {
    if (root.kind === null && (root.result === null || root.result === undefined)) {
      documents.push(null); // an empty document: it has no positions, and parse.ts never locates in one
      continue;
    }
    const node = toNode(root);
    if (node === undefined) return undefined;
    documents.push(node);
  }
  const lineStarts = [0];
  for (let i = source.indexOf('\n'); i !== -1; i = source.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const at = (offset: number): Position => {
    // The last line start at or before the offset (binary search).
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((lineStarts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - (lineStarts[lo] ?? 0) + 1 };
  };
  return {
    locate(index, path, target) {
      const root = documents[index];
      if (!root) return undefined;
      const best = walk(source, root, path, target);
      return best === undefined ? undefined : at(best);
    },
  };
}

/** The index node of a frame; undefined when its children do not match its loaded value. */
function toNode(frame: Frame): IndexNode | undefined {
  const node: IndexNode = { open: frame.open };
  // A collection's reader tries to compose one more node where it ends (at `---`, say), which
  // finds nothing: such attempts come last and have no kind.
  const expected =
    frame.kind === 'mapping'
      ? 2 * Object.keys(frame.result as object).length
      : frame.kind === 'sequence'
        ? (frame.result as unknown[]).length
        : 0;
  while (frame.children.length > expected && frame.children[frame.children.length - 1]?.kind === null)
    frame.children.pop();
  if (frame.kind === 'mapping') {
    const value = frame.result as Record<string, unknown>;
    if (frame.children.length !== expected) return undefined;
    node.pairs = new Map();
    for (let i = 0; i < frame.children.length; i += 2) {
      const key = frame.children[i];
      const child = frame.children[i + 1];
      if (!key || !child || key.kind !== 'scalar') return undefined;
      const name = String(key.result);
      const inner = toNode(child);
      if (inner === undefined || !Object.hasOwn(value, name) || node.pairs.has(name)) return undefined;
      node.pairs.set(name, { key: key.open, value: inner });
    }
  } else if (frame.kind === 'sequence') {
    if (frame.children.length !== expected) return undefined;
    node.items = [];
    for (const child of frame.children) {
      const inner = toNode(child);
      if (inner === undefined) return undefined;
      node.items.push(inner);
    }
  } else if (frame.result === null) {
    // An empty value: `yaml` places it differently; let it.
    return undefined;
  }
  return node;
}

/** Where a value starts: js-yaml opens a block value before the spaces, line breaks and comments that precede it. */
function valueStart(source: string, offset: number): number {
  let i = offset;
  for (;;) {
    const c = source.charCodeAt(i);
    if (c === 32 || c === 10 || c === 13) i += 1;
    else if (c === 35 /* # */) {
      const end = source.indexOf('\n', i);
      if (end === -1) return source.length;
      i = end + 1;
    } else return i;
  }
}

/** parse.ts's locateIn over the index: the key at the path's end (target 'key'), else the deepest value start reached. */
function walk(source: string, root: IndexNode, path: PathSegments, target: LocateTarget): number | undefined {
  let node: IndexNode | undefined = root;
  let best = valueStart(source, root.open);
  for (let i = 0; i < path.length && node; i += 1) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (node.pairs) {
      const pair = node.pairs.get(String(seg));
      if (!pair) break;
      if (last && target === 'key') return pair.key;
      best = valueStart(source, pair.value.open);
      node = pair.value;
    } else if (node.items && typeof seg === 'number') {
      const item: IndexNode | undefined = node.items[seg];
      if (!item) break;
      best = valueStart(source, item.open);
      node = item;
    } else {
      break;
    }
  }
  return best;
}
