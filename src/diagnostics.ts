import type { MaterialFindingCode } from './material/types.js';

/** Every kind of problem a user can cause, as a stable code (printed, and in JSON output). */
export type DiagnosticCode =
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
  | 'inline-private-key' // warning: private key material written in the manifest
  | 'inline-secret' // warning: a password written in the manifest
  | 'form-generation-mismatch' // plan: a manifest form the server's API generation cannot take
  | 'unknown-environment' // plan: an environment the project does not have
  | 'unknown-project' // plan: a project the server does not know
  | MaterialFindingCode; // the material checks of SPEC §2c (src/material/types.ts lists them)

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
