// Pure: the resolved secrets of a DesiredState as the material checks' input (SPEC §2c), and
// their findings as diagnostics. Each kind's descriptor says which of its fields hold which role
// (`materialFields`), so neither this file nor the engine in src/material/ names a kind or a field.
import type { Diagnostic } from '../diagnostics.js';
import { descriptorOf, type MaterialField } from '../kinds/index.js';
import type { MaterialFinding, MaterialForm, MaterialValue } from '../material/index.js';
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
    const fields = kind.materialFields?.(resource, kind.formOf(resource)) ?? [];
    const values = fields.map((f) => valueOf(resource, kind.formOf(resource), f));
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
  const path = ['spec', 'environments', f.environment, f.field];
  const env = resource.environments[f.environment];
  // Built here, not spread from later: a spread would read the lazy location below.
  const value = {
    ...(f.algorithm !== undefined ? { algorithm: f.algorithm } : {}),
    ...(f.keystore !== undefined ? { keystore: f.keystore } : {}),
    role: f.role,
    form,
    value: f.value,
    context: { project: resource.project, kind: resource.kind, name: resource.name, environment: env?.name ?? '' },
  } as MaterialValue;
  // Finding a value's line costs a second parse of its file: only for values something is said of.
  let location: MaterialValue['location'] | undefined;
  Object.defineProperty(value, 'location', {
    enumerable: true,
    get: () => {
      if (location === undefined) {
        const at = resource.locate ? resource.locate(path) : resource.source;
        location = { file: at.file, line: at.line, column: at.column, path: formatPath(path) };
      }
      return location;
    },
  });
  return value;
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
