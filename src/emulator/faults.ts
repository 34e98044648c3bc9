/** The faults the emulator can inject into API answers. */
export type FaultKind = '500' | '429' | '503' | 'reset';

export const FAULT_KINDS: readonly FaultKind[] = ['500', '429', '503', 'reset'];

/** Whether a string names a fault kind. */
export function isFaultKind(value: string): value is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(value);
}

/**
 * mulberry32: a tiny seeded PRNG. Good enough for fault decisions and, unlike Math.random,
 * repeatable, so a test that saw a fault sequence once sees it again.
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Decides, request by request in arrival order, whether to inject a fault and which. */
export class FaultInjector {
  #random: () => number;

  constructor(seed: number) {
    this.#random = mulberry32(seed);
  }

  /** Restarts the sequence from a seed. */
  reseed(seed: number): void {
    this.#random = mulberry32(seed);
  }

  /**
   * The fault for the next request, or null. Draws nothing when the rate is 0, so turning faults
   * on mid-run does not depend on how many requests came before.
   */
  decide(rate: number, kinds: readonly FaultKind[]): FaultKind | null {
    if (rate <= 0 || kinds.length === 0) return null;
    if (this.#random() >= rate) return null;
    const index = Math.min(kinds.length - 1, Math.floor(this.#random() * kinds.length));
    return kinds[index] ?? null;
  }
}
