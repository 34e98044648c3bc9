// A long-running watcher is idle almost all the time, but its start apply (or a resync over
// thousands of resources) leaves V8's heap grown by hundreds of megabytes of garbage: bodies,
// answers, the plan. An idle process allocates nothing, so V8 never collects it and the resident
// memory stays at the peak for days. After such a cycle, one full collection gives it back.
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

let gc: (() => void) | null | undefined;

/**
 * V8's collector, obtained without the --expose-gc command-line flag (the launcher is `node
 * bin/...` and a container runs it as it is): set the flag, take `gc` from a fresh context, unset
 * it so user code is unaffected. Null where the runtime refuses.
 */
function collector(): (() => void) | null {
  if (gc !== undefined) return gc;
  try {
    setFlagsFromString('--expose-gc');
    const fn: unknown = runInNewContext('gc');
    gc = typeof fn === 'function' ? (fn as () => void) : null;
  } catch {
    gc = null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
  return gc;
}

/** Runs one full garbage collection, if the runtime allows it; returns whether it ran. */
export function releaseMemory(): boolean {
  const fn = collector();
  if (!fn) return false;
  fn();
  return true;
}
