// The derivation step before the material checks opens each (store, password) of a run once: a
// tree of thousands of Keystores sharing a few store files must not open each one per manifest
// (each open derives its keys again, ~2 ms; 4,000 opens were 8 s of validate, bench figure 1b).
// The real openKeystore runs; the spy only counts its calls.
import { describe, expect, it, vi } from 'vitest';
import { deriveCostlyKeys } from '../../src/material/index.js';
import { aValue, fixture64, STORE_PASSWORD } from './support.js';

const opens = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../src/material/keystore.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/material/keystore.js')>();
  return {
    ...real,
    openKeystore: (...args: Parameters<typeof real.openKeystore>) => {
      opens.count += 1;
      return real.openKeystore(...args);
    },
  };
});

function storeValue(base64: string, password: string) {
  return aValue({ role: 'keystore', base64, keystore: { type: 'PKCS12', password, alias: 'fixture' } });
}

describe('deriveCostlyKeys', () => {
  it('opens each store and password once, however many manifests share them', async () => {
    const a = fixture64('store.p12');
    const b = fixture64('store-keytool.p12');
    const values = [];
    for (let i = 0; i < 200; i += 1) {
      values.push(storeValue(a, STORE_PASSWORD), storeValue(b, STORE_PASSWORD), storeValue(a, 'another-password'));
    }
    opens.count = 0;
    await deriveCostlyKeys(values);
    // Three distinct (store, password) pairs: three opens, not 600.
    expect(opens.count).toBe(3);
  });
});
