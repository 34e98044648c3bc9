// The one eviction rule of the material checks' in-memory caches (analyses, derivations, opened
// stores): bounded, oldest first out. A Map iterates in insertion order, so its first key is the
// oldest. A long-running watch whose material keeps changing never grows them past `max`.

/** Sets `key` in `map`, first dropping the oldest entry when the map already holds `max`. */
export function setBounded<K, V>(map: Map<K, V>, key: K, value: V, max: number): void {
  if (map.size >= max && !map.has(key)) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
  map.set(key, value);
}
