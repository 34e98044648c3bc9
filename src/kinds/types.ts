// What a kind of resource is, as data the core reads. The core (manifest loading, diff, plan,
// fingerprint, apply, watch, export, renderers, log redaction) never names a kind: it asks the
// kind's descriptor. Adding a kind is a descriptor, its schema, and a line in the registry.
import type { DiagnosticCode } from '../diagnostics.js';
import type { KeystoreParameters, MaterialRole } from '../material/types.js';
import type { ApiGeneration, CurrentResource, CurrentSecret, DesiredResource } from '../model.js';
import type { Secret } from '../secret.js';
import type { HeldSecrets } from './material.js';

/**
 * What a field holds, and so how it is resolved, compared, sent and printed:
 * - `plain`: text shown in plans;
 * - `binary-secret`: key material as base64 (inline base64, a file's bytes, a variable's base64);
 * - `text-secret`: a secret that is text, such as a keystore password (inline is the text itself);
 * secrets are never printed, and compared without showing either side.
 */
export type FieldRole = 'plain' | 'binary-secret' | 'text-secret';

/** One field of a resource (`spec.keyType`) or of its environment entries (`environments[].file`). */
export interface FieldSpec {
  /** The name the manifest and the model use. */
  readonly name: string;
  readonly role: FieldRole;
  /** A plain value compared ignoring case (format names such as PKCS12 that servers re-case). */
  readonly caseInsensitive?: boolean;
  /**
   * The manifest forms in which the field is managed; absent means every form. Outside them the
   * field is neither compared nor sent (a legacy server's `alias` on a legacy-form Key is its own).
   */
  readonly forms?: readonly ApiGeneration[];
  /** An optional field the manifest may leave out to leave the server's value alone. */
  readonly unmanagedWhenUnset?: boolean;
  /** What the field must hold, as the end of "must be ..." in a schema error. */
  readonly hint?: string;
  /**
   * The reference role: a plain field whose value is the name of a resource of this kind in the
   * same project (a JWK's `key: payments-signing`). The target must be in the manifests or on the
   * server (plan checks, at the field's file:line:col), the kind must list the target kind in
   * `dependsOn` (so creates come after it and deletes before it), and prune refuses to delete a
   * target that a kept resource still references.
   */
  readonly references?: string;
  /** Equality for a binary secret when bytes may come back in another encoding (a PEM re-wrapped). */
  readonly equals?: (desired: Secret, current: Secret) => boolean;
  /** A warning for a secret written inline in the manifest, when `when` (given the spec) holds. */
  readonly inlineWarning?: {
    code: Extract<DiagnosticCode, `inline-${string}`>;
    message: string;
    when?: (spec: Record<string, unknown>) => boolean;
  };
}

/** One value of a secret field as the export renders it: a reference to write, or why there is none. */
export interface ExportSecret {
  field: string;
  value: CurrentSecret | undefined;
  /** True when a manifest of this form needs the field (an absent value is then reported). */
  required: boolean;
  /** True when the server can never give the value back (a keystore password): always a reference. */
  writeOnly?: boolean;
}

/** A resource as export writes it: its resource-level fields, then its environments. */
export interface ExportShape {
  fields: [string, string][];
  environments: { name: string; plain: [string, string][]; secrets: ExportSecret[] }[];
  /** Things the manifest will not validate with until the user fixes them. */
  warnings: string[];
}

/**
 * One resolved secret of a resource that the material checks inspect (SPEC §2c): which
 * environment and field it sits in and what it must hold. The kind decides the role (a Key's
 * `content` is a private key, a public key or secret-key bytes by its `keyType`); the checks in
 * src/material/ never name a kind or a field.
 */
export interface MaterialField {
  /** Index of the environment entry in `spec.environments`. */
  environment: number;
  /** The environment field that holds the value (for the diagnostic's path). */
  field: string;
  role: MaterialRole;
  value: Secret;
  /** For a secret key: its algorithm, to check plausible lengths. */
  algorithm?: string;
  /** For a keystore: its type, password and alias as the manifest gives them. */
  keystore?: KeystoreParameters;
  /** For one half of a key pair: the field of the same environment holding the other half. */
  pairWith?: string;
}

/** A problem a kind finds in a schema-valid manifest (SPEC §2b's cross-field rules). */
export interface ManifestProblem {
  /** Path inside the document, e.g. `['spec', 'environments', 0, 'content']`. */
  path: (string | number)[];
  message: string;
  /** The problem's code: `schema` (the default) or one of the kind's own codes. */
  code?: DiagnosticCode;
  /** Where to point: the key of the field (default), or the mapping that lacks something. */
  target?: 'key' | 'node';
}

/**
 * The query parameters a write sends besides the object (SPEC §5), e.g. what an update does to the
 * JWKs made from it. `isDefault` is true when they are what this kind always sends, so plans show
 * them only when a manifest chose otherwise.
 */
export interface WriteOptions {
  query: Readonly<Record<string, string>>;
  isDefault: boolean;
}

/** How a kind chooses the write options of its updates and deletes. */
export interface WriteOptionsHook<D extends DesiredResource = DesiredResource> {
  /** Spec fields that choose the options: kept on the desired resource, never compared or sent in the body. */
  readonly specFields: readonly { name: string; hint?: string }[];
  /** The options of an update (also a create switched to one) or a delete of `resource` on a server of `generation`. */
  options(resource: D | undefined, op: 'update' | 'delete', generation: ApiGeneration): WriteOptions;
}

/**
 * Everything the core needs to know about one kind of resource. `D` and `C` are the kind's own
 * desired and current types (declared in its module); the registry holds descriptors with the
 * defaults, and the core hands each descriptor only resources of its own kind.
 */
export interface KindDescriptor<
  D extends DesiredResource = DesiredResource,
  C extends CurrentResource = CurrentResource,
> {
  /** The manifest `kind:` value. */
  readonly kind: string;
  /** Plural for messages: `Keys`. */
  readonly plural: string;
  /** The API path segment (`/projects/{p}/keys/`) and the export folder name. */
  readonly segment: string;
  /** The manifest schema file under `schemas/`, or the schema itself (a kind defined in code). */
  readonly schema: string | Record<string, unknown>;
  /** Kinds whose resources must exist before this kind's are created (deleted after). */
  readonly dependsOn: readonly string[];
  /** Fields of `spec` other than description and environments, e.g. `keyType`. */
  readonly resourceFields: readonly FieldSpec[];
  /** Fields of an environment entry other than `name`. */
  readonly environmentFields: readonly FieldSpec[];
  /** The environment field that the current generation's export-file endpoint gives back. */
  readonly exportField?: string;
  /** The value of `exportField` from the bytes export-file answered (default: the bytes as they are). */
  materialFromExport?(resource: C, bytes: Buffer): Secret;
  /** Names of API body fields that carry secrets, for log redaction (the model's names are added). */
  readonly redactNames: readonly string[];
  /** Which manifest form a resource is in (SPEC §2b): decided by its fields. */
  formOf(resource: { environments: readonly object[] }): ApiGeneration;
  /** What to write instead when a resource in `form` meets a server of the other generation. */
  formAdvice(form: ApiGeneration): string;
  /** Rules between fields that the schema cannot say, on a schema-valid `spec`. */
  checkSpec(spec: Record<string, unknown>): ManifestProblem[];
  /** The create/update body for the server's generation, secrets revealed. */
  toApiBody(resource: D, generation: ApiGeneration): Record<string, unknown>;
  /**
   * A resource as the API reports it, in the model's shape; server-only fields dropped. `base`
   * holds identity and description, already read. Material a generation never returns is absent.
   * Binary secrets are read with readSecret and `held` (src/kinds/material.ts).
   */
  fromApiObject(raw: Record<string, unknown>, base: CurrentBase, generation: ApiGeneration, held?: HeldSecrets): C;
  /** The write options of updates and deletes; without it, writes send no query parameters. */
  readonly writeOptions?: WriteOptionsHook<D>;
  /** What an exported manifest of this resource holds. */
  exportShape(resource: C, generation: ApiGeneration): ExportShape;
  /**
   * The secrets the material checks inspect, by role (SPEC §2c); `form` is the resource's manifest
   * form. Without the hook a kind's secrets are resolved and compared but not inspected.
   */
  materialFields?(resource: D, form: ApiGeneration): MaterialField[];
  /** What plans say about this kind, in its own words (the core's sentences name no kind). */
  readonly prose?: KindProse;
}

/** A kind's sentences in plans and reports. */
export interface KindProse {
  /** A warning the plan adds, once, when it deletes resources of this kind on a server of `generation`. */
  deleteWarning?(generation: ApiGeneration): string | undefined;
  /** What the plan's "API generation:" line says this generation means for the kind. */
  generation?(generation: ApiGeneration): string;
}

/**
 * Declares a kind with its own types: the descriptor's hooks receive the kind's `Desired` and
 * `Current` shapes, with no downcast, and the registry stores it as a plain KindDescriptor. The
 * erasure is sound because the core only ever passes a descriptor resources whose `kind` is its own
 * (`descriptorOf(resource.kind)`).
 */
export function defineKind<D extends DesiredResource, C extends CurrentResource>(
  descriptor: KindDescriptor<D, C>,
): KindDescriptor {
  return descriptor;
}

/** Identity and description of a resource read from the API. */
export interface CurrentBase {
  kind: string;
  project: string;
  name: string;
  description: string;
}
