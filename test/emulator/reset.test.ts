// One reset between tests (issue 19, item 7): `reset()` puts every option back to what the
// emulator started with, whatever earlier tests changed, so no test file lists the options others
// may have touched.
import { describe, expect, it } from 'vitest';
import { authHeaders, useEmulator } from '../support/emulator.js';

const emulator = useEmulator({ token: 'reset-token', maskSecrets: true });

/** A list call with the token the emulator started with (not whatever token is in force now). */
async function listStatus(): Promise<number> {
  const e = emulator();
  const headers = { ...authHeaders(e), authorization: 'Bearer reset-token' };
  const res = await fetch(`${e.url}/apiops/projects/Payments/keys/`, { headers });
  await res.arrayBuffer();
  return res.status;
}

describe('emulator reset()', () => {
  it('restores the started options, applies the given changes, and zeroes the stats', async () => {
    expect(await listStatus()).toBe(200);
    emulator().configure({ latencyMs: 5, token: 'other-token' });
    expect(await listStatus()).toBe(401);
    emulator().configure({ failRate: 1, failKinds: ['500'], retryAfterSeconds: 0 });
    expect(await listStatus()).toBe(500);

    emulator().reset();
    expect(emulator().token).toBe('reset-token');
    expect(emulator().requests()).toEqual([]);
    expect(await listStatus()).toBe(200);

    emulator().reset({ failRate: 1, failKinds: ['500'], retryAfterSeconds: 0 });
    expect(await listStatus()).toBe(500);
    emulator().reset();
    expect(await listStatus()).toBe(200);
  });
});
