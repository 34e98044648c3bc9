// Small pure helpers that every layer uses, one copy each: a second copy that is "almost the
// same" is where a bug hides (STYLE.md, habit 14).

/** True for a JSON object (not null, not a list). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** `1 key`, `2 keys`; `many` for a plural that is not `one` + s. */
export function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
