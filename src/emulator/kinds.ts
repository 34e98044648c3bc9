// The kinds the emulator serves, registered the way the product's descriptors are (src/kinds/):
// one module per kind under kinds/, one line here. The handlers, routes and store look a kind up
// here and never branch on it.
import type { KindHandler } from './kind-support.js';
import { keyHandler } from './kinds/key.js';
import { keystoreHandler } from './kinds/keystore.js';

export type { Generation } from './kind-support.js';

/** The kinds the emulator serves (the product's descriptors may add kinds it does not). */
export type EmulatedKind = 'Key' | 'Keystore';

/** Every kind's handler, in the order the store writes them to --data FILE. */
export const EMULATED_KINDS: readonly KindHandler[] = [keyHandler, keystoreHandler];

/** The handler of each kind. */
export const KIND_HANDLERS: Readonly<Record<EmulatedKind, KindHandler>> = Object.fromEntries(
  EMULATED_KINDS.map((h) => [h.kind, h]),
) as Record<EmulatedKind, KindHandler>;

/** The kind a path segment names (`keys`, `keystores`), or undefined. */
export function kindOfSegment(segment: string | undefined): EmulatedKind | undefined {
  for (const h of Object.values(KIND_HANDLERS)) if (h.segment === segment) return h.kind;
  return undefined;
}
