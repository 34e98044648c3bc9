import { describe, expect, it } from 'vitest';
import { authHeaders, useEmulator } from '../support/emulator.js';

describe('the emulator, started by useEmulator', () => {
  const emulator = useEmulator();

  it('lists the default projects and creates a key that a list then shows', async () => {
    const e = emulator();
    const projects = await fetch(`${e.url}/apiops/projects/`, { headers: authHeaders(e) });
    expect(projects.status).toBe(200);
    expect(((await projects.json()) as { resultList: { name: string }[] }).resultList.map((p) => p.name)).toEqual(['Payments', 'Identity']);
    const created = await fetch(`${e.url}/apiops/projects/Payments/keys/`, {
      method: 'POST',
      headers: authHeaders(e),
      body: JSON.stringify({ name: 'k', keyType: 'RSA', cryptoKeyInfoEnvironmentList: [{ environmentName: 'test', publicKey: 'QUJD' }] }),
    });
    expect(created.status).toBe(200);
    const list = await fetch(`${e.url}/apiops/projects/Payments/keys/`, { headers: authHeaders(e) });
    expect(((await list.json()) as { resultList: { name: string }[] }).resultList.map((k) => k.name)).toEqual(['k']);
  });
});
