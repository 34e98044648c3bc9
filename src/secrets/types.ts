// What a secret source is (SPEC §2, §2d; STYLE "secrets/"): one way a manifest's secret value can be
// written besides inline text: `{ fromFile: PATH }`, `{ fromEnv: NAME }`, ... A source declares its
// manifest form and schema fragment, what it references for the loader to fetch (I/O, in load.ts),
// and how it resolves (pure, given what was fetched). Adding a source is one module and one line
// in the registry (index.ts); validation hints, the schema check and export read them from there.
import type { DiagnosticCode, Severity } from '../diagnostics.js';
import type { FieldSpec } from '../kinds/types.js';
import type { Secret } from '../secret.js';

/** Where a manifest is: `fromFile` paths are relative to its folder and stay inside its root. */
export interface ManifestPlace {
  /** Absolute folder of the manifest file. */
  dir: string;
  /** Real path of the manifest root (the PATH given on the command line that found the file). */
  root: string;
}

/** Something a source needs read before it can resolve (a file): fetched once per run per key. */
export interface SecretReference {
  /** Which source fetches it. */
  source: string;
  /** Identity of the thing fetched: equal keys are fetched once. */
  key: string;
  /** The lexical absolute target and the real root it must stay inside. */
  target: string;
  root: string;
}

/** The outcome of fetching one reference: the bytes as base64, or why they cannot be used. */
export type Fetched =
  | { ok: true; base64: string }
  | {
      ok: false;
      code: DiagnosticCode;
      message: string;
      /** A warning when the value is absent on purpose (an encrypted file without identity in validate). */
      severity?: Severity;
    };

/** What resolving needs besides the value as written: all of it already read, so resolving is pure. */
export interface ResolveContext {
  field: FieldSpec;
  place: ManifestPlace;
  env: NodeJS.ProcessEnv;
  fetched: ReadonlyMap<string, Fetched>;
  /** How a value absent on purpose counts (an unset variable): an error, or a warning in validate. */
  missing: Severity;
  /** Per-run memo a source may use (a variable shared by many manifests is decoded once). */
  memo: Map<string, unknown>;
}

/** A resolved value, or the problem at a sub-key of the value (`fromFile`) and how it counts. */
export type Resolution =
  | { ok: true; secret: Secret }
  | {
      ok: false;
      code: DiagnosticCode;
      message: string;
      at: string;
      severity: Severity;
      /** Already said for another value (an encrypted file many manifests name): not reported again. */
      repeated?: boolean;
    };

/** One secret source: a reference form of a secret value. */
export interface SecretSource<Spec extends Record<string, unknown> = Record<string, unknown>> {
  /** The key that selects it in a manifest: `fromFile`. */
  readonly key: string;
  /** How messages write the form: `{ fromFile: PATH }`. */
  readonly form: string;
  /** The long form for "must be ..." messages, with its options: `{ fromEnv: NAME, encoding: base64|utf8 }`. */
  readonly formWithOptions?: string;
  /** What each of its keys must hold, for schema errors ("must be <hint>"), by key. */
  readonly hints: Readonly<Record<string, string>>;
  /** Its branch of the secret value's `anyOf` in the manifest schemas (schemas/*.schema.json). */
  readonly schema: Readonly<Record<string, unknown>>;
  /** Its row in the docs' table of secret forms (docs/manifests.md). */
  readonly meaning: string;
  /** Narrows a written value to this source's form. */
  matches(spec: Record<string, unknown>): spec is Spec;
  /** What the loader must fetch for this value (none for a source that reads nothing). */
  references(spec: Spec, place: ManifestPlace): SecretReference[];
  /** How the value resolves, pure: from the fetched references and the environment. */
  resolve(spec: Spec, context: ResolveContext): Resolution;
  /** The form export writes for a value it stores under `target` (a relative path or a name). */
  render?(target: string): Record<string, string>;
}
