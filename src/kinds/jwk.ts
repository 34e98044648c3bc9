// The write options of Keys and Keystores (SPEC §2, §2b, §5): the query parameters that tell the
// server what an update or a delete does to the JWKs made from the object. They are chosen by two
// optional spec fields, are not part of the object (never compared, never in the body), and change
// what a write does, so the plan carries them per action and `apply --plan` compares them.
// Only this module (and the emulator) names a JWK parameter.
import type { ApiGeneration, DesiredResource } from '../model.js';
import { fieldValue } from '../model.js';
import type { ManifestProblem, WriteOptions, WriteOptionsHook } from './types.js';

/** `updateReferencedJwks`: the scope in which JWKs made from the object follow it. */
export type JwksScope = 'SAME_PROJECT' | 'ALL_PROJECTS';

/** `referencedJwks` (current generation): what an update does to the JWKs made from the object. */
export type ReferencedJwks = 'UPDATE' | 'NULLIFY';

function scopeOf(resource: DesiredResource | undefined): JwksScope | undefined {
  const v = resource === undefined ? undefined : fieldValue(resource, 'updateReferencedJwks');
  return v === 'SAME_PROJECT' || v === 'ALL_PROJECTS' ? v : undefined;
}

function referencedOf(resource: DesiredResource | undefined): ReferencedJwks | undefined {
  const v = resource === undefined ? undefined : fieldValue(resource, 'referencedJwks');
  return v === 'UPDATE' || v === 'NULLIFY' ? v : undefined;
}

/** The spec fields that choose the JWK write options, as a desired Key or Keystore holds them. */
export interface JwkWriteFields {
  updateReferencedJwks?: JwksScope;
  referencedJwks?: ReferencedJwks;
}

/** The JWK write options shared by Keys and Keystores. */
export const jwkWriteOptions: WriteOptionsHook = {
  specFields: [
    { name: 'updateReferencedJwks', hint: 'SAME_PROJECT or ALL_PROJECTS' },
    { name: 'referencedJwks', hint: 'UPDATE or NULLIFY' },
  ],
  options(resource: DesiredResource | undefined, op: 'update' | 'delete', generation: ApiGeneration): WriteOptions {
    const scope = scopeOf(resource);
    if (generation === 'current') {
      // The current API's defaults (NULLIFY) silently detach the JWKs made from the object; an
      // update says UPDATE unless the manifest opts out, a delete says NULLIFY (the plan warns).
      if (op === 'delete') return { query: { jwkDeleteAction: 'NULLIFY' }, isDefault: true };
      if (referencedOf(resource) === 'NULLIFY') return { query: { jwkUpdateAction: 'NULLIFY' }, isDefault: false };
      return {
        query: { jwkUpdateAction: 'UPDATE', updateScope: scope ?? 'SAME_PROJECT' },
        isDefault: (scope ?? 'SAME_PROJECT') === 'SAME_PROJECT',
      };
    }
    // The legacy API: JWKs follow only when asked, in the scope asked.
    if (op === 'delete' || scope === undefined) return { query: {}, isDefault: true };
    return { query: { updateReferencedJwks: 'true', updateScope: scope }, isDefault: false };
  },
};

/** The rule between the two JWK fields that the schema cannot say: part of each kind's checkSpec. */
export function jwkSpecProblems(spec: Record<string, unknown>): ManifestProblem[] {
  if (spec.referencedJwks !== 'NULLIFY' || spec.updateReferencedJwks === undefined) return [];
  // Two opposite wishes for the JWKs made from this object: detach them, or make them follow it.
  // Sending either silently would do what one of them did not ask for.
  return [
    {
      path: ['spec', 'updateReferencedJwks'],
      message:
        'contradicts referencedJwks: NULLIFY: NULLIFY detaches the JWKs made from this object on update, ' +
        'updateReferencedJwks makes them follow it. Remove updateReferencedJwks to detach them, or ' +
        'referencedJwks to keep them following',
    },
  ];
}
