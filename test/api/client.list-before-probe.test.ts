// A list goes out together with the generation probe (its path is the same in both generations),
// and is read element by element as it arrives (list-stream.ts). Entries that arrive before the
// probe has answered wait for it: here the server answers the list at once and the probe late.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiClient } from '../../src/api/client.js';
import { toApiBody } from '../../src/api/mapping.js';
import type { CurrentKey } from '../../src/kinds/key.js';
import { Secret } from '../../src/secret.js';
import { aKey } from '../support/builders.js';
import { fakeClock } from './fake-clock.js';
import { sendJson, startLocalServer, type LocalServer } from './local-server.js';

let server: LocalServer;
beforeAll(async () => {
  server = await startLocalServer();
});
afterAll(async () => {
  await server.close();
});

describe('a list answered before the generation probe', () => {
  it('reads every entry once the probe says which generation the server speaks', async () => {
    const keys = ['a', 'b', 'c'].map((name) => aKey({ project: 'P', name }));
    server.handle((req, res) => {
      if (req.url === '/apiops/projects/P/environments/') {
        // The probe: a legacy server has no such route. Answered well after the list.
        setTimeout(() => sendJson(res, 404, { success: false, errorDescription: 'not found' }), 150);
      } else if (req.url === '/apiops/projects/P/keys/') {
        sendJson(res, 200, { success: true, resultList: keys.map((k) => toApiBody(k, 'legacy')) });
      } else sendJson(res, 404, { success: false });
    });
    const c = createApiClient({ server: server.url, auth: { token: 't' }, clock: fakeClock(), timeoutMs: 5000 });
    try {
      const listed = await c.list('P', 'Key');
      expect(listed.ok).toBe(true);
      if (!listed.ok) return;
      const got = listed.value as CurrentKey[];
      expect(got.map((k) => k.name)).toEqual(['a', 'b', 'c']);
      expect(got[0]?.environments.map((e) => e.name)).toEqual(['production', 'test']);
      const listedKey = got[0]?.environments[0]?.publicKey;
      expect(listedKey instanceof Secret && listedKey.reveal()).toBe(keys[0]?.environments[0]?.publicKey?.reveal());
    } finally {
      await c.close();
    }
    // Both went out before either answered: the list did not wait for the probe.
    expect(
      server.seen
        .slice(0, 2)
        .map((r) => r.url)
        .sort(),
    ).toEqual(['/apiops/projects/P/environments/', '/apiops/projects/P/keys/']);
  });
});
