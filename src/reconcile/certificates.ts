// Pure: the certificates the material checks found (src/material/), attached to the plan actions
// that create or update the resources holding them, so a reviewer sees "expires 2027-03-01, in 93
// days" next to the change (SPEC §2c). Subjects and dates are public; nothing secret is carried.
import { allKinds } from '../kinds/index.js';
import { resourceKey, type ApiGeneration } from '../model.js';
import type { Plan, PlanCertificate } from './types.js';

/** What the plan needs of a certificate found in the manifests. */
export interface FoundCertificate {
  subject: string;
  notAfter: Date;
  context: { kind: string; project: string; name: string; environment: string };
}

const DAY_MS = 86_400_000;

/** The plan with each create and update carrying the certificates of its resource, soonest first. */
export function withCertificates(plan: Plan, certificates: readonly FoundCertificate[]): Plan {
  if (certificates.length === 0) return plan;
  const now = Date.parse(plan.createdAt);
  const byResource = new Map<string, PlanCertificate[]>();
  for (const c of certificates) {
    const key = resourceKey(c.context);
    const list = byResource.get(key) ?? [];
    list.push({
      environment: c.context.environment,
      subject: c.subject,
      notAfter: c.notAfter.toISOString().slice(0, 10),
      daysLeft: Math.floor((c.notAfter.getTime() - now) / DAY_MS),
    });
    byResource.set(key, list);
  }
  for (const action of plan.actions) {
    if (action.action !== 'create' && action.action !== 'update') continue;
    const found = byResource.get(resourceKey(action));
    if (found)
      action.certificates = [...found].sort(
        (a, b) => a.daysLeft - b.daysLeft || (a.environment < b.environment ? -1 : 1),
      );
  }
  return plan;
}

/** `expires 2027-03-01, in 93 days` (or `expired 2026-11-01, 27 days ago`). */
export function expiryText(c: PlanCertificate): string {
  if (c.daysLeft < 0) return `expired ${c.notAfter}, ${-c.daysLeft} day${c.daysLeft === -1 ? '' : 's'} ago`;
  return `expires ${c.notAfter}, in ${c.daysLeft} day${c.daysLeft === 1 ? '' : 's'}`;
}

/** The sentence saying which API generation the server speaks, or undefined when it was not asked. */
export function generationLine(plan: Plan): string | undefined {
  if (plan.apiGeneration === undefined) return undefined;
  return plan.apiGeneration === 'mixed'
    ? 'API generation: mixed (projects on this server speak different generations).'
    : `API generation: ${plan.apiGeneration} (${generationNotes(plan.apiGeneration)}).`;
}

/** What a generation means for the registered kinds, in their own words. */
function generationNotes(generation: ApiGeneration): string {
  const notes = allKinds().flatMap((k) => k.prose?.generation?.(generation) ?? []);
  return notes.length > 0 ? notes.join('; ') : `the ${generation} API`;
}
