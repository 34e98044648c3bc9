/**
 * The one place where the manifest model meets the API's bodies: each kind's descriptor says how
 * (src/kinds/), for the API generation the server speaks. Secrets are revealed here, into the body
 * that leaves for the API, and nowhere else in the client.
 */
import { descriptorOf } from '../kinds/index.js';
import { text, type HeldSecrets } from '../kinds/material.js';
import { isRecord } from '../text.js';
import type { ApiGeneration, CurrentResource, DesiredResource, Kind } from '../model.js';

export { readSecret } from '../kinds/material.js';

/** The complete create/update body of a desired resource, secrets revealed (base64, whitespace removed). */
export function toApiBody(desired: DesiredResource, generation: ApiGeneration = 'legacy'): Record<string, unknown> {
  return descriptorOf(desired.kind).toApiBody(desired, generation);
}

/**
 * A resource as the API reports it, as the model's CurrentResource: server-only fields (id,
 * projectId, environmentId) and anything unknown dropped, description missing = ''.
 * Null for junk the server may send (no name), so that one bad entry does not sink a list.
 * A binary secret equal to one in `held` is read as that Secret.
 */
export function fromApiObject(
  kind: Kind,
  project: string,
  raw: unknown,
  generation: ApiGeneration = 'legacy',
  held?: HeldSecrets,
): CurrentResource | null {
  if (!isRecord(raw)) return null;
  const name = text(raw.name);
  if (name === undefined) return null;
  const description = typeof raw.description === 'string' ? raw.description : '';
  return descriptorOf(kind).fromApiObject(raw, { kind, project, name, description }, generation, held);
}
