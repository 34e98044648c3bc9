// Small statistics for benchmark samples. Medians, not means: a run that collided with another
// engineer's test suite on this shared machine should not move the figure.

/** The values sorted ascending (a copy). */
function sorted(xs) {
  return [...xs].sort((a, b) => a - b);
}

/** The median (mean of the two middle values for an even count). */
export function median(xs) {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** The smallest value. */
export function min(xs) {
  return xs.length === 0 ? Number.NaN : Math.min(...xs);
}

/** The largest value. */
export function max(xs) {
  return xs.length === 0 ? Number.NaN : Math.max(...xs);
}

/** A percentile by the nearest-rank method (p in 0..100): the value at rank ceil(p/100 * n). */
export function percentile(xs, p) {
  if (xs.length === 0) return Number.NaN;
  const s = sorted(xs);
  const rank = Math.max(1, Math.ceil((p / 100) * s.length));
  return s[Math.min(s.length, rank) - 1];
}

/** The 95th percentile (nearest rank). */
export function p95(xs) {
  return percentile(xs, 95);
}

/** Median, min, max and p95 of a sample, with the values kept for the record. */
export function summarise(xs) {
  return { n: xs.length, median: median(xs), min: min(xs), max: max(xs), p95: p95(xs), values: [...xs] };
}

/** Runs `fn(i)` n times one after another and returns the results. */
export async function repeat(n, fn) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await fn(i));
  return out;
}
