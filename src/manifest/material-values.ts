// Pure: the resolved secrets of a DesiredState as the material checks' input (SPEC §2c), and
// their findings as diagnostics. Each kind's descriptor says which of its fields hold which role
// (`materialFields`), so neither this file nor the engine in src/material/ names a kind or a field.
import type { Diagnostic } from '../diagnostics.js';
import { descriptorOf, type MaterialField } from '../kinds/index.js';
import type { MaterialFinding, MaterialForm, MaterialLocation, MaterialValue } from '../material/index.js';
import { resourceLabel, type DesiredResource, type DesiredState } from '../model.js';
import { formatPath } from './validate.js';

/** Certificates expiring within this many days are warnings unless told otherwise (`--expiry-warn-days`). */
export const DEFAULT_EXPIRY_WARN_DAYS = 30;

/**
 * Every resolved secret value of `state` that the material checks can inspect, located in its
 * manifest. Which fields hold which role is each kind's `materialFields` hook.
 */
export function materialValues(state: DesiredState): MaterialValue[] {
  const out: MaterialValue[] = [];
  for (const resource of state.resources) {
    const kind = descriptorOf(resource.kind);
    const form = kind.formOf(resource);
    const fields = kind.materialFields?.(resource, form) ?? [];
    const values = fields.map((f) => valueOf(resource, form, f));
    // The halves of a key pair point at each other, so the match is checked once per pair.
    fields.forEach((f, i) => {
      if (f.pairWith === undefined) return;
      const other = fields.findIndex((g) => g.environment === f.environment && g.field === f.pairWith);
      const value = values[i];
      const partner = values[other];
      if (value && partner) value.pairWith = partner;
    });
    out.push(...values);
  }
  return out;
}

/** A material field of a resource as the checks' input, with its location and context filled in. */
function valueOf(resource: DesiredResource, form: MaterialForm, f: MaterialField): MaterialValue {
  return new LocatedValue(resource, form, f);
}

/**
 * A material value whose location is found when first read: finding a value's line costs a second
 * parse of its file, so it is paid only for values something is said of. A class with the getter
 * on its prototype, not a getter defined on each object: 20,000 values with an own accessor each
 * were a measurable part of validate (bench figure 1b).
 */
class LocatedValue implements MaterialValue {
  readonly role: MaterialValue['role'];
  readonly value: MaterialValue['value'];
  readonly keystore?: MaterialValue['keystore'];
  readonly algorithm?: string;
  readonly context: MaterialValue['context'];
  pairWith?: MaterialValue;
  #location: MaterialLocation | undefined;

  constructor(
    private readonly resource: DesiredResource,
    readonly form: MaterialForm,
    private readonly field: MaterialField,
  ) {
    this.role = field.role;
    this.value = field.value;
    if (field.keystore !== undefined) this.keystore = field.keystore;
    if (field.algorithm !== undefined) this.algorithm = field.algorithm;
    const env = resource.environments[field.environment];
    this.context = {
      project: resource.project,
      kind: resource.kind,
      name: resource.name,
      environment: env?.name ?? '',
    };
  }

  get location(): MaterialLocation {
    if (this.#location === undefined) {
      const path = ['spec', 'environments', this.field.environment, this.field.field];
      const at = this.resource.locate ? this.resource.locate(path) : this.resource.source;
      this.#location = { file: at.file, line: at.line, column: at.column, path: formatPath(path) };
    }
    return this.#location;
  }
}

/** A material finding as a diagnostic at its value's file:line:col (messages hold no secret). */
export function findingToDiagnostic(f: MaterialFinding): Diagnostic {
  return {
    code: f.code,
    severity: f.severity,
    message: f.message,
    file: f.location.file,
    line: f.location.line,
    column: f.location.column,
    path: f.location.path,
    resource: resourceLabel({ kind: f.context.kind, project: f.context.project, name: f.context.name }),
  };
}
