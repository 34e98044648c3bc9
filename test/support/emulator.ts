import { afterAll, beforeAll } from 'vitest';
import { type EmulatorOptions, type RunningEmulator, startEmulator } from '../../src/emulator/index.js';

/**
 * Starts one emulator (port 0) for the enclosing describe block in `beforeAll` and closes it in
 * `afterAll`. Returns a getter, since the emulator exists only once the hook ran:
 *
 *     const emulator = useEmulator({ dialect: 'status' });
 *     it('...', async () => { await fetch(`${emulator().url}/apiops/projects/`, ...) });
 *
 * Tests that change options or data restore them with `reset()` (and `store.clear()`), or use
 * their own `startEmulator` when they need a fresh one.
 */
export function useEmulator(options: EmulatorOptions = {}): () => RunningEmulator {
  let running: RunningEmulator | undefined;
  beforeAll(async () => {
    running = await startEmulator({ ...options, port: 0 });
  });
  afterAll(async () => {
    await running?.close();
    running = undefined;
  });
  return () => {
    if (!running) throw new Error('useEmulator: the emulator is only available inside tests (after beforeAll)');
    return running;
  };
}

/** Headers for an authenticated JSON call to an emulator. */
export function authHeaders(emulator: RunningEmulator, extra: Record<string, string> = {}): Record<string, string> {
  return { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json', ...extra };
}
