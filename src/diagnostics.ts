// One Diagnostic type for every user-facing problem, its codes, and the one formatter of it
// (text lines, GitHub annotations, JSON), with the escaping that keeps terminals and CI logs safe.
import type { MaterialFindingCode } from './material/types.js';

/**
 * The codes a kind adds for its own problems (src/kinds/): each kind's module declares its codes
 * by merging into this interface (`declare module '../diagnostics.js' { interface
 * KindDiagnosticCodes { 'inline-private-key': true } }`), so the union stays checked by the
 * compiler without listing any kind's codes here.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface KindDiagnosticCodes {}

/** Every kind of problem a user can cause, as a stable code (printed, and in JSON output). */
export type DiagnosticCode =
  | CoreDiagnosticCode
  | MaterialFindingCode // the material checks of SPEC §2c (src/material/types.ts lists them)
  | keyof KindDiagnosticCodes; // the registered kinds' own codes

/** The codes of problems the core finds, whatever the kind. */
export type CoreDiagnosticCode =
  | 'yaml-syntax' // the YAML parser rejected the text
  | 'yaml-tab' // a tab used for indentation
  | 'yaml-alias' // alias expansion limit exceeded (alias bomb)
  | 'yaml-tag' // a custom or unknown tag such as !!js/function
  | 'not-a-mapping' // a document that is a list or a scalar
  | 'unknown-kind' // kind / apiVersion not ours
  | 'schema' // JSON Schema violation (type, required, enum, pattern, unknown field ...)
  | 'invalid-base64' // an inline or fromEnv base64 value that is not base64
  | 'duplicate-environment' // two environments with the same name in one resource
  | 'duplicate-identity' // the same (kind, project, name) twice
  | 'missing-project' // no metadata.project and no --project / APINIZER_PROJECT
  | 'file-not-found' // fromFile target missing
  | 'file-outside-root' // fromFile resolves outside the manifest root (also through symlinks)
  | 'file-is-directory' // fromFile names a directory
  | 'file-unreadable' // fromFile cannot be read (permissions, I/O)
  | 'env-unset' // fromEnv variable not set (or empty)
  | 'file-too-large' // a manifest larger than the configured limit
  | 'binary-file' // a manifest that is not text
  | 'path-not-found' // a PATH given on the command line does not exist (or is a dangling link)
  | 'manifest-unreadable' // a manifest, or a folder or link that may hold some, cannot be read
  | 'yaml-merge-key' // a `<<` merge key: not supported
  | 'encrypted-no-identity' // a SOPS or age file with no identity (or sops binary) that opens it
  | 'sops-tampered' // a SOPS file whose MAC or a value's AAD does not verify, or a plain value where an encrypted one belongs
  | 'sops-invalid' // SOPS metadata that cannot be read, or a layout this tool does not read
  | 'age-invalid' // a fromFile target that starts like an age file but is not a valid one
  | 'form-generation-mismatch' // plan: a manifest form the server's API generation cannot take
  | 'unknown-environment' // plan: an environment the project does not have
  | 'unknown-project' // plan: a project the server does not know
  | 'unknown-reference' // plan: a reference field names a resource neither the manifests nor the server have
  | 'referenced-by-kept' // plan: prune would delete a resource that a kept resource still references
  | 'api-error'; // plan --format json: the server could not be read (no file: file "", line 0)

export type Severity = 'error' | 'warning';

/**
 * One user-facing problem. `line`/`column` are 1-based; `path` is the JSON path inside the
 * document (e.g. `spec.environments[1].name`), empty for a problem about the whole file.
 * `resource` names the resource when known (`Key Payments/payments-signing`).
 */
export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  file: string;
  line: number;
  column: number;
  path: string;
  resource?: string;
}

/** Sorts by file, then line, then column, then message, so output is stable across runs. */
export function sortDiagnostics(diagnostics: readonly Diagnostic[]): Diagnostic[] {
  return [...diagnostics].sort(
    (a, b) =>
      (a.file < b.file ? -1 : a.file > b.file ? 1 : 0) ||
      a.line - b.line ||
      a.column - b.column ||
      (a.message < b.message ? -1 : a.message > b.message ? 1 : 0),
  );
}

/**
 * Characters that must never reach a terminal, a CI log or a pull-request comment as themselves:
 * C0 controls (newline, carriage return, ESC ...), DEL, C1 controls (NEL included), the Unicode line
 * and paragraph separators, the bidirectional marks, embeddings, overrides and isolates that make
 * text display in another order than it reads, the zero-width characters that hide text or glue a
 * look-alike together (ZWSP, ZWNJ, ZWJ, word joiner, invisible operators, BOM, Mongolian vowel
 * separator), the interlinear annotation marks, and the tag characters that carry hidden text.
 */
const UNPRINTABLE =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb\u{e0000}-\u{e007f}]/gu;

/**
 * `text` with every unprintable character written as a visible escape (`\n`, `\r`, `\t`,
 * `\u001b`, or `\u{e0041}` beyond the BMP), so that a file name, a server message or any user value
 * stays on its own line, shows what it holds, and cannot inject terminal sequences or CI workflow
 * commands (`::warning ...` at a line start). The one copy: every output (text, markdown, logs) uses it.
 */
export function printable(text: string): string {
  return text.replace(UNPRINTABLE, (c) => {
    if (c === '\n') return '\\n';
    if (c === '\r') return '\\r';
    if (c === '\t') return '\\t';
    const code = c.codePointAt(0) ?? 0;
    return code > 0xffff ? `\\u{${code.toString(16)}}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Longest user value a message quotes in full; longer ones are cut (a 10,000-character name helps no reader). */
export const MAX_QUOTED_CHARS = 80;

/** A user value as a message quotes it: JSON-quoted (so control characters are escaped), cut at MAX_QUOTED_CHARS with "…". */
export function quoteValue(value: string, max = MAX_QUOTED_CHARS): string {
  return JSON.stringify(clipText(value, max));
}

/** `text` cut to `max` characters with "…": for user values echoed in messages (a 10,000-character name). */
export function clipText(text: string, max = MAX_QUOTED_CHARS): string {
  const chars = [...text];
  return chars.length > max ? `${chars.slice(0, max - 1).join('')}…` : text;
}

/** The part of a diagnostic line after `file:line:col`: severity, resource, path, message and code. */
export function formatDiagnosticBody(d: Diagnostic): string {
  const who = d.resource ? ` ${clipText(d.resource, 2 * MAX_QUOTED_CHARS)}:` : '';
  const path = d.path ? ` ${d.path}:` : '';
  const sev = d.severity === 'warning' ? ' warning:' : '';
  return printable(`${sev}${who}${path} ${d.message} [${d.code}]`.slice(1));
}

/**
 * One line per diagnostic, as SPEC §2 shows:
 * `keys/payments.yaml:14:9 Key Payments/payments-signing: spec.environments[1].name: must be ...`
 * A warning is prefixed `warning:`; the code is appended in brackets so it can be searched.
 * Every part is made printable here, once, so no caller can print a raw control character.
 */
export function formatDiagnostic(d: Diagnostic): string {
  return `${printable(d.file)}:${d.line}:${d.column} ${formatDiagnosticBody(d)}`;
}

/** Diagnostics alike (same severity, code and message) that text output prints one by one; more are grouped. */
export const GROUP_LIMIT = 10;
/** How many of a group's diagnostics text output still prints in full, so the first places are in view. */
export const GROUP_SHOWN = 5;

/** A line of grouped text output: a diagnostic in full, or how many more of its group were left out. */
export type GroupedLine = { diagnostic: Diagnostic } | { more: number; like: Diagnostic };

function groupKey(d: Diagnostic): string {
  return `${d.severity}\u0000${d.code}\u0000${d.message}`;
}

/**
 * Diagnostics for text output, with many alike grouped: a group of more than GROUP_LIMIT
 * diagnostics with the same severity, code and message (36,000 "could not be read" warnings over
 * a tree of placeholder keys) keeps its first GROUP_SHOWN in full, in their places, followed by one
 * line saying how many more there are. Order is kept; a group of GROUP_LIMIT or fewer is printed
 * whole. `--format json` never groups: it lists every diagnostic.
 */
export function groupDiagnostics(diagnostics: readonly Diagnostic[]): GroupedLine[] {
  const sizes = new Map<string, number>();
  for (const d of diagnostics) {
    const k = groupKey(d);
    sizes.set(k, (sizes.get(k) ?? 0) + 1);
  }
  const seen = new Map<string, number>();
  const out: GroupedLine[] = [];
  for (const d of diagnostics) {
    const k = groupKey(d);
    const size = sizes.get(k) ?? 0;
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    if (size <= GROUP_LIMIT || n <= GROUP_SHOWN) out.push({ diagnostic: d });
    if (size > GROUP_LIMIT && n === GROUP_SHOWN) out.push({ more: size - GROUP_SHOWN, like: d });
  }
  return out;
}

/** `... and 35,990 more like this: warning: <message> [code] (--format json lists every one)` */
export function formatMoreLikeThis(more: number, like: Diagnostic): string {
  const sev = like.severity === 'warning' ? 'warning: ' : '';
  return printable(
    `... and ${more.toLocaleString('en-US')} more like this: ${sev}${like.message} [${like.code}] (--format json lists every one)`,
  );
}

/** Text lines for diagnostics, alike ones grouped (groupDiagnostics); `annotate` adds each printed one's GitHub annotation. */
export function formatDiagnosticLines(diagnostics: readonly Diagnostic[], annotate = false): string[] {
  const lines: string[] = [];
  for (const line of groupDiagnostics(diagnostics)) {
    if ('more' in line) {
      lines.push(formatMoreLikeThis(line.more, line.like));
      continue;
    }
    lines.push(formatDiagnostic(line.diagnostic));
    if (annotate) lines.push(formatGithubAnnotation(line.diagnostic));
  }
  return lines;
}

/** True when any diagnostic is an error (warnings do not fail a run). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/**
 * GitHub's escaping of a workflow command's data (the message): `%`, CR and LF as %25, %0D, %0A;
 * any other unprintable character made visible.
 */
export function escapeGithubData(text: string): string {
  return printable(text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A'));
}

/** GitHub's escaping of a workflow command's property value (file=...): the data escapes plus `:` and `,`. */
export function escapeGithubProperty(text: string): string {
  return escapeGithubData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

/** A GitHub Actions workflow command that shows the diagnostic as an annotation on the file. */
export function formatGithubAnnotation(d: Diagnostic): string {
  const cmd = d.severity === 'warning' ? 'warning' : 'error';
  const text = `${d.resource ? `${clipText(d.resource, 2 * MAX_QUOTED_CHARS)}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message} [${d.code}]`;
  return `::${cmd} file=${escapeGithubProperty(d.file)},line=${d.line},col=${d.column}::${escapeGithubData(text)}`;
}

/**
 * A diagnostic as JSON output carries it (validate and plan): exactly the Diagnostic fields, in a
 * stable order, `resource` only when known.
 */
export function diagnosticToJson(d: Diagnostic): Diagnostic {
  const out: Diagnostic = {
    code: d.code,
    severity: d.severity,
    message: d.message,
    file: d.file,
    line: d.line,
    column: d.column,
    path: d.path,
  };
  if (d.resource !== undefined) out.resource = d.resource;
  return out;
}
