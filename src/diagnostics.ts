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
  | 'path-not-found' // a PATH given on the command line does not exist
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
 * One line per diagnostic, as SPEC §2 shows:
 * `keys/payments.yaml:14:9 Key Payments/payments-signing: spec.environments[1].name: must be ...`
 * A warning is prefixed `warning:`; the code is appended in brackets so it can be searched.
 */
export function formatDiagnostic(d: Diagnostic): string {
  const where = `${d.file}:${d.line}:${d.column}`;
  const who = d.resource ? ` ${d.resource}:` : '';
  const path = d.path ? ` ${d.path}:` : '';
  const sev = d.severity === 'warning' ? ' warning:' : '';
  return `${where}${sev}${who}${path} ${d.message} [${d.code}]`;
}

/** True when any diagnostic is an error (warnings do not fail a run). */
export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === 'error');
}

/** A GitHub Actions workflow command that shows the diagnostic as an annotation on the file. */
export function formatGithubAnnotation(d: Diagnostic): string {
  const cmd = d.severity === 'warning' ? 'warning' : 'error';
  const escapeProp = (s: string) =>
    s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A').replace(/:/g, '%3A').replace(/,/g, '%2C');
  const escapeData = (s: string) => s.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
  const text = `${d.resource ? `${d.resource}: ` : ''}${d.path ? `${d.path}: ` : ''}${d.message} [${d.code}]`;
  return `::${cmd} file=${escapeProp(d.file)},line=${d.line},col=${d.column}::${escapeData(text)}`;
}

/**
 * A diagnostic as JSON output carries it (validate and plan): exactly the Diagnostic fields, in a
 * stable order, `resource` only when known.
 */
export function diagnosticToJson(d: Diagnostic): Diagnostic {
  const out: Diagnostic = { code: d.code, severity: d.severity, message: d.message, file: d.file, line: d.line, column: d.column, path: d.path };
  if (d.resource !== undefined) out.resource = d.resource;
  return out;
}
