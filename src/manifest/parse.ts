// Pure: manifest text -> YAML documents as plain values, with a way back from a JSON path to the
// line and column it came from. Problems are recorded by path and turned into positions late, from
// the parsed nodes (as Spectral does), so that validation never has to know about YAML.
import type { Document, LineCounter, Node, YAMLError } from 'yaml';
import { yamlLibrary } from '../yaml-lazy.js';
import jsyaml from 'js-yaml';
import type { Diagnostic, DiagnosticCode } from '../diagnostics.js';
import { indexPositions, type PositionIndex } from './positions.js';

/** A 1-based line and column. */
export interface Position {
  line: number;
  column: number;
}

/** A JSON path as segments: `['spec', 'environments', 1, 'name']`. */
export type PathSegments = readonly (string | number)[];

/**
 * Where a diagnostic points: `key` is the key of the field at the path (for a list item, the item
 * itself); `node` is the start of the value at the path (for a mapping, its first key).
 */
export type LocateTarget = 'key' | 'node';

/** One non-empty YAML document of a manifest file. */
export interface ParsedDocument {
  /** The file as diagnostics name it (relative to the working directory). */
  file: string;
  /** 0-based index of the document in its file. */
  index: number;
  /** The document as plain JSON-like data. */
  value: unknown;
  /** Position of the document's first key (or of its first value when it is not a mapping). */
  start: Position;
  /** The position of the field or value at `path`, as near as the document allows. */
  locate: (path: PathSegments, target?: LocateTarget) => Position;
}

export interface ParseResult {
  documents: ParsedDocument[];
  diagnostics: Diagnostic[];
  /** True when the fast path read the file (see fastParse); the caller re-parses with `fast: false` if it finds problems. */
  fast: boolean;
}

export interface ParseOptions {
  /** How many alias expansions a document may make before it counts as an alias bomb. */
  maxAliasCount?: number;
  /** Try the fast path first (default true). */
  fast?: boolean;
}

/** Default alias expansion limit: far above any honest manifest, far below a billion laughs. */
export const DEFAULT_MAX_ALIAS_COUNT = 100;

/** Longest slice of a YAML parser message we pass on: its messages can quote source text. */
const MAX_PARSER_MESSAGE = 120;

/** Parses the text of one manifest file into its non-empty documents and the problems found. */
export function parseManifestText(text: string, file: string, options: ParseOptions = {}): ParseResult {
  const source = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const tooDeep = nestingProblem(source);
  if (!tooDeep && options.fast !== false) {
    const fast = fastParse(source, file);
    if (fast) return fast;
  }
  // The full path: the `yaml` library (loaded on first use; the fast path never needs it).
  const lineCounter = new (yamlLibrary().LineCounter)();
  const diagnostics: Diagnostic[] = [];
  const documents: ParsedDocument[] = [];
  const at = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const report = (code: DiagnosticCode, pos: Position, message: string, path = '') =>
    diagnostics.push({ code, severity: 'error', message, file, line: pos.line, column: pos.column, path });
  if (tooDeep) {
    // Checked before parsing: the parser recurses once per level, and near the stack's end V8 can
    // abort the whole process instead of throwing. No manifest is more than a few levels deep.
    for (let i = 0; i < source.length; i = source.indexOf('\n', i) + 1 || source.length) lineCounter.addNewLine(i);
    report('yaml-syntax', at(tooDeep.offset), tooDeep.message);
    return { documents, diagnostics, fast: false };
  }
  const docs = parseDocuments(source, lineCounter);
  const locator = fileLocator(source);

  let index = -1;
  for (const doc of docs) {
    index += 1;
    const tagProblems = foreignTags(doc);
    for (const [offset, tag] of tagProblems) {
      report('yaml-tag', at(offset), `the tag ${tag} is not allowed: manifests hold plain values only; remove the tag`);
    }
    const syntax = doc.errors.filter((e) => e.code !== 'TAG_RESOLVE_FAILED');
    const reported = new Set<string>(); // one mistake (a tab above all) often trips several parser checks
    for (const e of syntax) {
      const tab = tabIndentation(source, e.pos[0], lineCounter);
      const key = tab ? `tab:${tab.line}:${tab.column}` : `${e.pos[0]}`;
      if (reported.has(key)) continue;
      reported.add(key);
      if (tab)
        report(
          'yaml-tab',
          tab,
          'a tab is used for indentation; YAML indents with spaces only: replace the tab with spaces',
        );
      else report('yaml-syntax', at(e.pos[0]), syntaxMessage(e));
    }
    const merges = syntax.length > 0 ? [] : mergeKeys(doc);
    for (const offset of merges) {
      report(
        'yaml-merge-key',
        at(offset),
        'a `<<` merge key is not supported: write the merged fields out in full (or quote "<<" if it is meant as a name)',
      );
    }
    // A document with syntax errors has an unreliable structure, and a tagged value or a merge
    // stands for something other than what it reads as: checking further would only add noise.
    if (syntax.length > 0 || tagProblems.size > 0 || merges.length > 0) continue;
    const contents = doc.contents as Node | null;
    if (contents === null) continue;
    let value: unknown;
    try {
      value = doc.toJS({ maxAliasCount: options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      const alias = firstAlias(doc);
      const pos = alias?.range ? at(alias.range[0]) : at(contents.range?.[0] ?? 0);
      if (/alias count/i.test(message)) {
        report(
          'yaml-alias',
          pos,
          `too many alias expansions (more than ${options.maxAliasCount ?? DEFAULT_MAX_ALIAS_COUNT}); this looks like an alias bomb: write the values out instead of repeating aliases`,
        );
      } else {
        report('yaml-syntax', pos, `${clip(message)}; fix the alias or anchor`);
      }
      continue;
    }
    if (value === null || value === undefined) continue; // `---` followed by nothing, or a bare `~`
    const start = at(contents.range?.[0] ?? 0);
    documents.push({ file, index, value, start, locate: locator(index, start) });
  }
  return { documents, diagnostics, fast: false };
}

/**
 * Text the fast path leaves to the full parser, where the two parsers' rules differ or where only
 * the full path's checks apply: an anchor, alias or tag (`&`, `*`, `!` after a space, bracket,
 * comma, colon or dash, or at a line's start), any tab, an explicit key (`? `), and a flow
 * collection used as a key (`[a]: x`), and a `<<` merge key (js-yaml would merge it, the full path
 * refuses it), and the text forms the property test in `test/manifest/yaml-meaning.test.ts`
 * found js-yaml to read differently from `yaml` (nested dash items, quoted scalars that run past
 * their line or have text glued to their closing quote). Base64 and names never hold these; a
 * description may, and then that file simply takes the full path.
 */
const FULL_PATH_ONLY = [
  /(?:^|[\s[\]{},:-])[&*!]/m,
  /\t/,
  /(?:^|\s)\?(?:\s|$)/m,
  /[\]}] *:(?:\s|$)/m,
  /(?:^|[\s{,])<<\s*:/m,
  // A dash item holding a dash item (`- -`): js-yaml nests the next sibling item into it.
  /(?:^|\s)- +-(?:\s|$)/m,
  // A quoted scalar that runs past its line: js-yaml takes continuation lines `yaml` refuses.
  /(?:^|[\s[{,])"(?:[^"\\\n]|\\[^\n])*\\?$/m,
  /(?:^|[\s[{,])'(?:[^'\n]|'')*$/m,
  // A quoted scalar with text glued to its closing quote (`'a'#b`): js-yaml reads on, `yaml` refuses.
  /(?:^|[\s[{,])"(?:[^"\\\n]|\\[^\n])*"[^\s:,\]}]/m,
  /(?:^|[\s[{,])'(?:[^'\n]|'')*'[^\s:,\]}']/m,
];

/**
 * Characters at least one of which a FULL_PATH_ONLY form needs to match, by the form's source.
 * The forms try an alternation at every offset of the file, about 10 ms per form per 1,000 files;
 * `includes` is a native scan several times faster, and most files hold none of these characters
 * (quotes above all). Keyed by the form's exact source, so a form edited or added above without an
 * entry here is always run.
 */
const NEEDS: ReadonlyMap<string, readonly string[]> = new Map([
  [/(?:^|[\s[\]{},:-])[&*!]/m.source, ['&', '*', '!']],
  [/(?:^|\s)\?(?:\s|$)/m.source, ['?']],
  [/[\]}] *:(?:\s|$)/m.source, [']', '}']],
  [/(?:^|[\s{,])<<\s*:/m.source, ['<<']],
  [/(?:^|[\s[{,])"(?:[^"\\\n]|\\[^\n])*\\?$/m.source, ['"']],
  [/(?:^|[\s[{,])'(?:[^'\n]|'')*$/m.source, ["'"]],
  [/(?:^|[\s[{,])"(?:[^"\\\n]|\\[^\n])*"[^\s:,\]}]/m.source, ['"']],
  [/(?:^|[\s[{,])'(?:[^'\n]|'')*'[^\s:,\]}']/m.source, ["'"]],
]);

function mayMatch(re: RegExp, source: string): boolean {
  const needs = NEEDS.get(re.source);
  return needs === undefined || needs.some((c) => source.includes(c));
}

/**
 * The YAML 1.2 core schema exactly as the `yaml` package resolves it (`yaml/dist/schema/core`),
 * given to js-yaml so that both parsers give a plain scalar one meaning. js-yaml's own CORE_SCHEMA
 * is YAML 1.1-flavoured: it reads `0b101`, `-0x10` and `1_000`-style numbers that `yaml` leaves as
 * text, and leaves `+.5` as text where `yaml` reads a float, so one file meant one thing when read
 * fast and another when an unrelated anchor sent it to the full parser. Each test below is the
 * regular expression of the `yaml` tag of the same name; `test/manifest/yaml-meaning.test.ts`
 * checks the two parsers against each other over generated scalars.
 */
const scalarType = (
  tag: string,
  // A cheap test every text of the type passes, so that the usual scalar (a name, base64) skips the
  // forms: js-yaml tries every implicit type on every plain scalar, and running the forms there was
  // a third of the parse's time.
  mayBe: (text: string) => boolean,
  forms: [RegExp, (text: string) => unknown][],
) =>
  // One type per tag: js-yaml keeps only the last of several implicit types with the same tag.
  new jsyaml.Type(`tag:yaml.org,2002:${tag}`, {
    kind: 'scalar',
    resolve: (text: unknown) => {
      if (typeof text !== 'string' || !mayBe(text)) return false;
      for (const [test] of forms) if (test.test(text)) return true;
      return false;
    },
    construct: (text: string) => {
      for (const [test, make] of forms) if (test.test(text)) return make(text);
      return undefined;
    },
  });
/** `0`-`9`, `+`, `-` or `.`: how every number form (and `.inf`, `.nan`) begins. */
const mayBeNumber = (text: string) => {
  const c = text.charCodeAt(0);
  return (c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46;
};
const CORE_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    scalarType('null', (t) => t.length <= 4, [[/^(?:~|[Nn]ull|NULL)?$/, () => null]]),
    scalarType('bool', (t) => t.length === 4 || t.length === 5, [
      [/^(?:[Tt]rue|TRUE|[Ff]alse|FALSE)$/, (t) => t[0] === 't' || t[0] === 'T'],
    ]),
    scalarType('int', mayBeNumber, [
      [/^0o[0-7]+$/, (t) => parseInt(t.slice(2), 8)],
      [/^[-+]?[0-9]+$/, (t) => parseInt(t, 10)],
      [/^0x[0-9a-fA-F]+$/, (t) => parseInt(t.slice(2), 16)],
    ]),
    scalarType('float', mayBeNumber, [
      [
        /^(?:[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$/,
        (t) => (t.slice(-3).toLowerCase() === 'nan' ? NaN : t.startsWith('-') ? -Infinity : Infinity),
      ],
      [/^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$/, (t) => parseFloat(t)],
      [/^[-+]?(?:\.[0-9]+|[0-9]+\.[0-9]*)$/, (t) => parseFloat(t)],
    ]),
  ],
});

/**
 * A mapping key the two parsers may read differently: `yaml` (with `stringKeys`) keeps a key's
 * source text (`0x10`, `~`, `True`), js-yaml resolves it first and keys the object by the result
 * (`16`, `null`, `true`). Any key that could be such a result sends the file to the full parser;
 * no manifest field is named like a number, a boolean or null.
 */
const RESOLVED_KEY = /^(?:[-+]?[0-9.]|-?Infinity$|NaN$|null$|true$|false$)/;

function hasResolvedKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (Array.isArray(value)) {
    for (const item of value) if (hasResolvedKey(item)) return true;
    return false;
  }
  // No entries array per mapping, and the expression only for a key whose first character could
  // start one of its forms: this walks every mapping of every document.
  const record = value as Record<string, unknown>;
  for (const k in record) {
    if (!Object.prototype.hasOwnProperty.call(record, k)) continue;
    if (MAY_RESOLVE.has(k.charCodeAt(0)) && RESOLVED_KEY.test(k)) return true;
    if (hasResolvedKey(record[k])) return true;
  }
  return false;
}

/** First characters of RESOLVED_KEY's forms: a sign, a digit, `.`, `I`nfinity, `N`aN, `n`ull, `t`rue, `f`alse. */
const MAY_RESOLVE: ReadonlySet<number> = new Set([...'+-.0123456789INntf'].map((c) => c.charCodeAt(0)));

/**
 * The fast path for the common case, a file of plain well-formed documents: js-yaml reads the
 * values about ten times faster than `yaml` builds its syntax trees, which is most of the time of
 * a large run. Anything unusual (anchors, aliases, tags, or any text js-yaml rejects) returns
 * undefined, and the full path with its exact diagnostics reads the file instead. The caller
 * re-parses with `fast: false` when validation finds any problem, so diagnostics never depend on
 * which path read the file; `locate()` finds positions through js-yaml's node offsets
 * (positions.ts), and parses the file with `yaml` on first use only for what those cannot place.
 */
function fastParse(source: string, file: string): ParseResult | undefined {
  if (FULL_PATH_ONLY.some((re) => mayMatch(re, source) && re.test(source))) return undefined;
  // Each document's root node is opened at depth 0, in order, empty documents included: that
  // gives each document's start (its first key) without a syntax tree.
  const roots: Position[] = [];
  let depth = 0;
  let values: unknown[];
  // js-yaml reads a copy of the text (it appends a NUL), and every longer string it returns is a
  // slice of that copy, which therefore lives as long as the resources do. The locator below
  // keeps that copy too (when it is the text plus the NUL), not the text as well: one copy of
  // each file held instead of two, 6.6 MB at 10,000 resources.
  let input: string | undefined;
  try {
    values = jsyaml.loadAll(source, undefined, {
      schema: CORE_SCHEMA,
      json: false, // duplicate keys are errors
      listener(event, state) {
        input ??= state.input;
        if (event === 'open') {
          if (depth === 0) roots.push({ line: state.line + 1, column: state.position - state.lineStart + 1 });
          depth += 1;
        } else {
          depth -= 1;
        }
      },
    });
  } catch {
    return undefined;
  }
  if (roots.length !== values.length || values.some(hasResolvedKey)) return undefined;
  const same = input !== undefined && input.length === source.length + 1 && input.startsWith(source);
  const locator = fileLocator(same ? (input as string).slice(0, source.length) : source, true);
  const documents: ParsedDocument[] = [];
  values.forEach((value, index) => {
    const start = roots[index];
    if (value !== null && value !== undefined && start)
      documents.push({ file, index, value, start, locate: locator(index, start) });
  });
  return { documents, diagnostics: [], fast: true };
}

/**
 * Makes each document's locate(). Positions are needed only for problems, which are rare: rather
 * than keep every document's syntax tree alive until the end of a run (most of a large run's
 * memory and GC time), the file is parsed again with `yaml` on the first locate() call for any of
 * its documents, and that parse is shared by all of them.
 */
export function fileLocator(
  source: string,
  fast = false,
): (index: number, start: Position) => ParsedDocument['locate'] {
  let parsed: { docs: Document.Parsed[]; at: (offset: number) => Position } | undefined;
  // A file the fast path read is located through js-yaml's node offsets (positions.ts), about ten
  // times cheaper than `yaml`'s syntax tree; whatever that index cannot place falls through to it.
  let index: PositionIndex | null | undefined = fast ? undefined : null;
  return (docIndex, start) =>
    (path, target = 'key') => {
      if (index === undefined) index = indexPositions(source, CORE_SCHEMA) ?? null;
      const quick = index?.locate(docIndex, path, target);
      if (quick !== undefined) return quick;
      if (!parsed) {
        const lineCounter = new (yamlLibrary().LineCounter)();
        const docs = parseDocuments(source, lineCounter);
        parsed = {
          docs,
          at: (offset) => {
            const { line, col } = lineCounter.linePos(offset);
            return { line, column: col };
          },
        };
      }
      const doc = parsed.docs[docIndex];
      const root = doc?.contents as Node | null | undefined;
      return (doc && root && locateIn(doc, root, path, target, parsed.at)) || start;
    };
}

/** Deepest nesting of flow collections ([ or {) accepted; manifests use two or three. */
export const MAX_FLOW_DEPTH = 64;
/** Widest indentation accepted, in spaces; manifests use a dozen or so. */
export const MAX_INDENT = 256;

/** A line whose indentation and block indicators alone exceed MAX_INDENT (or a longer run of such characters). */
const LONG_INDENT = new RegExp(`^[ \\t?:-]{${MAX_INDENT + 1}}`, 'm');

/**
 * A cheap superset of nestingProblem, so that the usual file skips its character-by-character walk
 * (a fifth of the fast path's own time): a flow depth over MAX_FLOW_DEPTH needs more opening
 * brackets than that in the file, and an indentation over MAX_INDENT needs a line that starts with
 * more than that many spaces, tabs and indicators.
 */
function mayNestTooDeep(source: string): boolean {
  let openers = 0;
  for (const bracket of ['[', '{']) {
    for (let i = source.indexOf(bracket); i !== -1; i = source.indexOf(bracket, i + 1)) {
      openers += 1;
      if (openers > MAX_FLOW_DEPTH) return true;
    }
  }
  return LONG_INDENT.test(source);
}

/**
 * A nesting too deep for any manifest, found without parsing. Flow brackets are counted (also
 * inside quotes, which only makes the check stricter for text no manifest holds); a line's depth
 * is the column where its content starts, after spaces and the block indicators "- ", "? ", ": "
 * that nest on one line (`- - - x`).
 */
function nestingProblem(source: string): { offset: number; message: string } | undefined {
  if (!mayNestTooDeep(source)) return undefined;
  const isBlank = (c: number) => c === 32 || c === 9;
  let depth = 0;
  let i = 0;
  while (i < source.length) {
    // Start of a line: skip its indentation and block indicators.
    const begin = i;
    for (;;) {
      const c = source.charCodeAt(i);
      if (c === 32) i += 1;
      else if ((c === 45 /* - */ || c === 63 /* ? */ || c === 58) /* : */ && isBlank(source.charCodeAt(i + 1))) i += 2;
      else break;
      if (i - begin > MAX_INDENT) {
        return {
          offset: i,
          message: `a line is indented or nested more than ${MAX_INDENT} columns deep; manifests are only a few levels deep: check the indentation`,
        };
      }
    }
    // Rest of the line: flow brackets.
    for (; i < source.length; i += 1) {
      const c = source.charCodeAt(i);
      if (c === 10 /* \n */) {
        i += 1;
        break;
      }
      if (c === 91 /* [ */ || c === 123 /* { */) {
        depth += 1;
        if (depth > MAX_FLOW_DEPTH) {
          return {
            offset: i,
            message: `brackets are nested more than ${MAX_FLOW_DEPTH} levels deep; manifests are only a few levels deep: check for unbalanced [ or {`,
          };
        }
      } else if ((c === 93 /* ] */ || c === 125) /* } */ && depth > 0) {
        depth -= 1;
      }
    }
  }
  return undefined;
}

/** The parser settings, in one place because a file may be parsed twice (see treeOf). */
export function parseDocuments(source: string, lineCounter: LineCounter): Document.Parsed[] {
  // prettyErrors off: the pretty form appends an excerpt of the source line, which may hold a secret.
  return Array.from(
    yamlLibrary().parseAllDocuments(source, {
      lineCounter,
      prettyErrors: false,
      schema: 'core',
      merge: false,
      strict: true,
      stringKeys: true,
      uniqueKeys: true,
      resolveKnownTags: false,
    }),
  );
}

function clip(message: string): string {
  const first = message.split('\n', 1)[0] ?? '';
  return first.length > MAX_PARSER_MESSAGE ? `${first.slice(0, MAX_PARSER_MESSAGE)}…` : first;
}

function syntaxMessage(e: YAMLError): string {
  switch (e.code) {
    case 'DUPLICATE_KEY':
      return 'a key appears twice in the same mapping; keep one of them';
    case 'NON_STRING_KEY':
      return 'a mapping key must be plain text, not a list or mapping';
    case 'MULTIPLE_DOCS':
      return 'unexpected document content; separate documents with a line of ---';
    default:
      return `invalid YAML: ${clip(e.message)}`;
  }
}

/** Offsets of every plain `<<` key (a YAML 1.1 merge key) in the document. */
function mergeKeys(doc: Document.Parsed): number[] {
  const found: number[] = [];
  yamlLibrary().visit(doc, {
    Pair(_, pair) {
      const key = pair.key;
      if (yamlLibrary().isScalar(key) && key.value === '<<' && key.type === 'PLAIN' && key.range)
        found.push(key.range[0]);
    },
  });
  return found;
}

/**
 * Every tag outside the core schema, by the offset of the tag. With resolveKnownTags off, the
 * YAML 1.1 tags (!!binary, !!set, !!timestamp) are as unresolvable as !!js/function or !custom.
 */
function foreignTags(doc: Document.Parsed): Map<number, string> {
  const found = new Map<number, string>();
  const add = (offset: number, raw: string) => {
    const tag = raw.startsWith('tag:yaml.org,2002:') ? `!!${raw.slice('tag:yaml.org,2002:'.length)}` : raw;
    found.set(offset, tag.length > 60 ? `${tag.slice(0, 60)}…` : tag);
  };
  for (const e of [...doc.errors, ...doc.warnings]) {
    if (e.code !== 'TAG_RESOLVE_FAILED') continue;
    add(e.pos[0], /Unresolved tag: (\S+)/.exec(e.message)?.[1] ?? 'unknown');
  }
  return found;
}

/** When the parser's complaint sits on a line indented with a tab, the position of that tab. */
function tabIndentation(source: string, offset: number, lc: LineCounter): Position | undefined {
  const { line } = lc.linePos(offset);
  // The parser sometimes reports the error at the line after the tab; look at both.
  for (const l of [line, line - 1]) {
    const begin = lc.lineStarts[l - 1];
    if (begin === undefined) continue;
    let i = begin;
    while (i < source.length && (source[i] === ' ' || source[i] === '\t')) {
      if (source[i] === '\t') {
        // A tab after "- " or inside a line is allowed as separation; only leading ones indent.
        return { line: l, column: i - begin + 1 };
      }
      i += 1;
    }
  }
  return undefined;
}

function firstAlias(doc: Document.Parsed): Node | undefined {
  let found: Node | undefined;
  yamlLibrary().visit(doc, {
    Alias(_key, node) {
      found = node;
      return yamlLibrary().visit.BREAK;
    },
  });
  return found;
}

/** Walks the document's nodes along `path`; returns the best position reached. */
function locateIn(
  doc: Document.Parsed,
  contents: Node,
  path: PathSegments,
  target: LocateTarget,
  at: (offset: number) => Position,
): Position | undefined {
  const Y = yamlLibrary();
  let node: Node | null = contents;
  let best: number | undefined = contents.range?.[0];
  for (let i = 0; i < path.length; i += 1) {
    const seg = path[i];
    const last = i === path.length - 1;
    if (node && Y.isAlias(node)) node = (node.resolve(doc) as Node | undefined) ?? null;
    if (node && Y.isMap(node)) {
      const pair = node.items.find((p) => Y.isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      const keyNode = pair.key as Node;
      const valueNode = pair.value as Node | null;
      if (last && target === 'key') return keyNode.range ? at(keyNode.range[0]) : undefined;
      best = valueNode?.range?.[0] ?? keyNode.range?.[0] ?? best;
      node = valueNode;
      if (!valueNode) break;
    } else if (node && Y.isSeq(node) && typeof seg === 'number') {
      const item = node.items[seg] as Node | null | undefined;
      if (!item) break;
      best = item.range?.[0] ?? best;
      node = item;
    } else {
      break;
    }
  }
  return best === undefined ? undefined : at(best);
}
