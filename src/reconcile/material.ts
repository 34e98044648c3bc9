// I/O orchestration: reading key material back from a current-generation server (SPEC §2b). Its
// reads carry no material, so the plan, watch and export fetch it through the documented raw
// export, one call per (object, environment), under the concurrency limit, never twice in a run.
// When the export is refused or absent the material is unknown: the field is marked as the server
// masking it (never a change), and one sentence per cause says why.
import pLimit from 'p-limit';
import { EXPORT_PERMISSION } from '../api/errors.js';
import type { ApiError } from '../api/types.js';
import type { ResourceActions } from './actions.js';
import { descriptorOf } from '../kinds/index.js';
import { resourceLabel, type CurrentResource } from '../model.js';
import { Secret } from '../secret.js';

/** One object whose material to read, and the environments to read it for. */
export interface MaterialRequest {
  current: CurrentResource;
  environments: readonly string[];
}

/** What reading material found: why some could not be read, and a failure that stops the plan. */
export interface MaterialOutcome {
  /** One sentence per cause (refused, absent ...), with how many objects it affected. */
  unknown: string[];
  /** A failure that outlasted the retries (network, server): the plan cannot be trusted. */
  error?: { error: ApiError; what: string };
}

/** Reads the material of each request through export-file and fills it into the current objects. */
export async function readMaterial(
  requests: readonly MaterialRequest[],
  actions: ResourceActions,
  concurrency: number,
): Promise<MaterialOutcome> {
  const limit = pLimit(Math.max(1, concurrency));
  const causes = new Map<string, Set<string>>();
  let failure: MaterialOutcome['error'];
  const calls: Promise<void>[] = [];
  for (const { current, environments } of requests) {
    const kind = descriptorOf(current.kind);
    const field = kind.exportField;
    if (field === undefined) continue;
    for (const envName of environments) {
      const env = current.environments.find((e) => e.name === envName) as Record<string, unknown> | undefined;
      if (env === undefined) continue;
      calls.push(
        limit(async () => {
          if (failure) return;
          const r = await actions.exportMaterial(current, envName);
          if (r.ok) {
            env[field] = kind.materialFromExport?.(current, r.value) ?? new Secret(r.value.toString('base64'));
            return;
          }
          if (holdsNoMaterial(r.error)) {
            // The server names the environment and says it holds nothing there: not unknown but
            // absent, so the plan sends the manifest's material (a change) instead of never
            // sending it. (Apinizer: "(x) has no material for environment (prod)! Available: ...")
            // An empty value, not a missing one: a missing secret reads as unknown (SPEC §4).
            env[field] = new Secret('');
            return;
          }
          const cause = unknownCause(r.error);
          if (cause === null) {
            failure ??= { error: r.error, what: `the material of ${resourceLabel(current)} in ${envName}` };
            return;
          }
          env[field] = 'masked';
          const objects = causes.get(cause) ?? new Set<string>();
          objects.add(resourceLabel(current));
          causes.set(cause, objects);
        }),
      );
    }
  }
  await Promise.all(calls);
  const unknown = [...causes].map(
    ([cause, objects]) =>
      `material of ${objects.size === 1 ? [...objects][0] : `${objects.size} objects`} could not be compared: ${cause}; ` +
      'it is shown as unknown, never as a change (apply --redeploy pushes it)',
  );
  return failure ? { unknown, error: failure } : { unknown };
}

/** An export-file answer that says the object holds no material for the environment asked. */
function holdsNoMaterial(e: ApiError): boolean {
  return (e.kind === 'bad-request' || e.kind === 'not-found') && /\bhas no material for environment\b/i.test(e.message);
}

/** Why an export failure leaves material unknown, or null when it is a real failure of the run. */
function unknownCause(e: ApiError): string | null {
  const status = e.status !== null ? ` (HTTP ${e.status})` : '';
  switch (e.kind) {
    case 'unauthorized':
    case 'forbidden':
      return `the server refused export-file${status}: ${EXPORT_PERMISSION}`;
    case 'not-found':
      return `the server has no export-file for it${status}`;
    case 'bad-request':
      return `the server refused export-file${status}: ${e.message}`;
    default:
      return null;
  }
}
