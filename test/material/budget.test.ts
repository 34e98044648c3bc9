// Material checks bounded in time (issue 21, SPEC §2c): a PKCS12 store asking for millions of
// key-derivation iterations is reported at once, naming where it is, instead of costing ~10 s per
// (file, password); a costly but affordable one is derived off the main thread (the event loop
// keeps ticking, as watch's /healthz needs) and then checked like any other; the run's budget is
// honoured. The stores are made here with node-forge, with the iteration counts set.
import { performance } from 'node:perf_hooks';
import { describe, expect, it } from 'vitest';
import { deriveCostlyKeys, inspectMaterial, type MaterialValue } from '../../src/material/index.js';
import { loadForge, withInlineRounds } from '../../src/material/forge.js';
import { aValue, fixture, fixture64, NOW, STORE_PASSWORD } from './support.js';

const options = { now: NOW, expiryWarnDays: 30, cache: false as const };
const PASSWORD = 'budget-Store-pass-27';

/** A PKCS12 store of the fixture key and certificate, made by forge with `count` iterations everywhere. */
function makeStore(count: number): string {
  const forge = loadForge();
  const key = forge.pki.privateKeyFromPem(fixture('leaf.key.pem').toString('utf8'));
  const cert = forge.pki.certificateFromPem(fixture('leaf.crt.pem').toString('utf8'));
  return withInlineRounds(Number.MAX_SAFE_INTEGER, () => {
    const asn1 = forge.pkcs12.toPkcs12Asn1(key, [cert], PASSWORD, {
      algorithm: 'aes256',
      count,
      friendlyName: 'partner',
    });
    return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
  });
}

/**
 * A cheap store whose MAC then asks for `iterations`: making a real 4.9-million-iteration store
 * would itself cost the seconds under test, and the check must decide before deriving anything.
 */
function withMacIterations(base64: string, iterations: number): string {
  const forge = loadForge();
  const asn1 = forge.asn1.fromDer(Buffer.from(base64, 'base64').toString('binary'));
  const macData = (asn1.value as ReturnType<typeof forge.asn1.fromDer>[])[2];
  const count = (macData?.value as ReturnType<typeof forge.asn1.fromDer>[])[2];
  if (!count) throw new Error('no MAC iteration count in the store');
  count.value = forge.asn1.integerToDer(iterations).getBytes();
  return Buffer.from(forge.asn1.toDer(asn1).getBytes(), 'binary').toString('base64');
}

function keystoreValue(base64: string, password = PASSWORD): MaterialValue {
  return aValue({
    role: 'keystore',
    base64,
    keystore: { type: 'PKCS12', password, alias: 'partner' },
    context: { project: 'Payments', kind: 'Keystore', name: 'partner-mtls', environment: 'production' },
  });
}

describe('material checks within a time budget', () => {
  it('reports a store asking for 4.9 million iterations at once, at its value, without deriving', async () => {
    const costly = keystoreValue(withMacIterations(makeStore(2048), 4_900_000));
    const started = performance.now();
    await deriveCostlyKeys([costly]);
    const findings = inspectMaterial([costly], options).findings;
    const elapsed = performance.now() - started;
    expect(findings.map((f) => `${f.code}/${f.severity}`)).toEqual(['keystore-check-budget/warning']);
    expect(findings[0]?.location).toEqual(costly.location);
    expect(findings[0]?.message).toContain('4,900,000 iterations');
    expect(findings[0]?.message).not.toContain(PASSWORD);
    // The ~10 s of CPU such a store costs are never spent.
    expect(elapsed).toBeLessThan(1_500);
  });

  it('derives a costly but affordable store off the main thread, then checks it like any other', async () => {
    const value = keystoreValue(makeStore(300_000));
    // Without the derivation step the check does not stall: it reports the store as over budget.
    expect(inspectMaterial([value], options).findings.map((f) => f.code)).toEqual(['keystore-check-budget']);

    let ticks = 0;
    let longest = 0;
    let last = performance.now();
    const timer = setInterval(() => {
      const t = performance.now();
      longest = Math.max(longest, t - last);
      last = t;
      ticks += 1;
    }, 5);
    const started = performance.now();
    await deriveCostlyKeys([value], { budget: { perFileMs: 60_000, perRunMs: 60_000 } });
    const took = performance.now() - started;
    clearInterval(timer);
    // The loop kept running while the keys were derived (a blocked loop would tick once, late).
    expect(ticks).toBeGreaterThan(3);
    expect(longest).toBeLessThan(Math.max(400, took / 2));
    // Opened with the keys derived elsewhere: password and alias verified, nothing to report.
    expect(inspectMaterial([value], options).findings).toEqual([]);
    // A wrong password is still a wrong password, not a budget problem, once derived.
    const wrong = keystoreValue(value.value.reveal(), 'not-the-password');
    await deriveCostlyKeys([wrong], { budget: { perFileMs: 60_000, perRunMs: 60_000 } });
    expect(inspectMaterial([wrong], options).findings.map((f) => f.code)).toEqual(['keystore-wrong-password']);
  });

  it('honours the run budget: costly stores beyond it are reported, cheap ones still checked', async () => {
    const costly = keystoreValue(makeStore(200_000));
    const cheap = aValue({
      role: 'keystore',
      base64: fixture64('store.p12'),
      keystore: { type: 'PKCS12', password: STORE_PASSWORD, alias: 'partner' },
    });
    await deriveCostlyKeys([costly, cheap], { budget: { perFileMs: 60_000, perRunMs: 0 } });
    const findings = inspectMaterial([costly, cheap], options).findings;
    expect(findings.map((f) => `${f.code}@${f.location.line}`)).toEqual([
      `keystore-check-budget@${costly.location.line}`,
    ]);
  });
});
