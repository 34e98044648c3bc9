// Micro benchmark of the material checks (SPEC §2c): inspectMaterial over 10,000 resolved values
// that share a few key files, certificates and keystores, as a repository of many resources does,
// plus per-resource AES secrets that are all distinct. Measures the run with a cold content
// cache (what one `validate` pays), with a warm one (what a watch re-sync pays), and without a
// cache. "load" here is reading the files and base64-encoding them, as fromFile resolution does.
// Prints figures; asserts nothing about time. Run after `npm run build`:
//
//   node bench/material.mjs        # BENCH_MATERIAL_VALUES (10000), BENCH_RUNS (5),
//                                  # BENCH_MATERIAL_NOCACHE (values for the no-cache run, 10000)
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = `${ROOT}test/material/fixtures/`;
const STORE_PASSWORD = 'fixture-Store-pass-9931';
const VALUES = Number(process.env.BENCH_MATERIAL_VALUES ?? 10_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const NO_CACHE_VALUES = Number(process.env.BENCH_MATERIAL_NOCACHE ?? VALUES);

const t0 = performance.now();
const { inspectMaterial, MaterialCache } = await import(`${ROOT}dist/material/index.js`);
const importMs = performance.now() - t0;

const pem = (key) => key.export({ format: 'pem', type: key.type === 'private' ? 'pkcs8' : 'spki' });
const b64 = (x) => Buffer.from(x).toString('base64');

// The shared material: 3 RSA and 2 EC pairs, 2 certificates, 3 keystores.
const pairs = [
  ...[1, 2, 3].map(() => generateKeyPairSync('rsa', { modulusLength: 2048 })),
  ...[1, 2].map(() => generateKeyPairSync('ec', { namedCurve: 'prime256v1' })),
].map(({ privateKey, publicKey }) => ({ privateKey: pem(privateKey), publicKey: pem(publicKey) }));
const certificates = ['leaf.crt.pem', 'ec-leaf.crt.pem'].map((f) => `${FIXTURES}${f}`);
const stores = [
  { file: 'store.p12', type: 'PKCS12', alias: 'partner' },
  { file: 'store-keytool.p12', type: 'PKCS12', alias: 'gateway' },
  { file: 'store.jks', type: 'JKS', alias: 'partner' },
];

/** The values of one validate run: file contents are read per value, as a loader without its own cache would. */
function makeValues(count) {
  const values = [];
  const where = (i, path) => ({ file: `keys/r${Math.floor(i / 10)}.yaml`, line: 3 + (i % 10) * 12, column: 9, path });
  const context = (i, kind) => ({ project: 'Bench', kind, name: `r${i}`, environment: 'production' });
  for (let i = 0; values.length < count; i += 1) {
    const slot = i % 10;
    if (slot < 4) {
      // A legacy key pair: two values that name each other.
      const pair = pairs[i % pairs.length];
      const priv = {
        role: 'key-pair-private',
        form: 'legacy',
        base64: b64(pair.privateKey),
        location: where(i, 'spec.environments[0].privateKey'),
        context: context(i, 'Key'),
      };
      const pub = {
        role: 'key-pair-public',
        form: 'legacy',
        base64: b64(pair.publicKey),
        location: where(i, 'spec.environments[0].publicKey'),
        context: context(i, 'Key'),
      };
      priv.pairWith = pub;
      values.push(priv, pub);
    } else if (slot < 6) {
      values.push({
        role: 'private-key',
        form: 'current',
        base64: b64(pairs[i % pairs.length].privateKey),
        location: where(i, 'spec.environments[0].content'),
        context: context(i, 'Key'),
      });
    } else if (slot < 8) {
      const file = certificates[i % certificates.length];
      values.push({
        role: 'public-key',
        form: 'current',
        base64: readFileSync(file).toString('base64'),
        location: where(i, 'spec.environments[0].content'),
        context: context(i, 'Key'),
      });
    } else if (slot === 8) {
      values.push({
        role: 'secret-key',
        form: 'current',
        algorithm: 'AES',
        base64: randomBytes(32).toString('base64'),
        location: where(i, 'spec.environments[0].content'),
        context: context(i, 'Key'),
      });
    } else {
      const store = stores[i % stores.length];
      values.push({
        role: 'keystore',
        form: 'current',
        base64: readFileSync(FIXTURES + store.file).toString('base64'),
        keystore: { type: store.type, password: STORE_PASSWORD, alias: store.alias },
        location: where(i, 'spec.environments[0].file'),
        context: context(i, 'Keystore'),
      });
    }
  }
  return values.slice(0, count);
}

const options = { now: new Date('2030-01-01T00:00:00Z'), expiryWarnDays: 30 };
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (ms) => `${ms.toFixed(1)} ms`;

// CPU time of this process moves far less than wall time on a machine shared with other work.
function time(fn) {
  const start = performance.now();
  const cpu = process.cpuUsage();
  const result = fn();
  const used = process.cpuUsage(cpu);
  return { ms: performance.now() - start, cpuMs: (used.user + used.system) / 1000, result };
}

// One keystore open of each kind, first use (includes loading node-forge / jks-js) and then again.
const firstOpen = stores.map((s) => {
  const one = {
    role: 'keystore',
    form: 'current',
    base64: readFileSync(FIXTURES + s.file).toString('base64'),
    keystore: { type: s.type, password: STORE_PASSWORD, alias: s.alias },
    location: { file: 'k.yaml', line: 1, column: 1, path: 'spec' },
    context: { project: 'Bench', kind: 'Keystore', name: s.file, environment: 'production' },
  };
  const first = time(() => inspectMaterial([one], { ...options, cache: false })).ms;
  const again = median(
    Array.from({ length: 3 }, () => time(() => inspectMaterial([one], { ...options, cache: false })).ms),
  );
  return { file: s.file, first, again };
});

const load = [];
const cold = [];
const warm = [];
const coldCpu = [];
const warmCpu = [];
let report;
for (let r = 0; r < RUNS; r += 1) {
  const loaded = time(() => makeValues(VALUES));
  load.push(loaded.ms);
  const cache = new MaterialCache();
  const first = time(() => inspectMaterial(loaded.result, { ...options, cache }));
  cold.push(first.ms);
  coldCpu.push(first.cpuMs);
  const again = time(() => inspectMaterial(loaded.result, { ...options, cache }));
  warm.push(again.ms);
  warmCpu.push(again.cpuMs);
  report = first.result;
}
const noCacheValues = makeValues(NO_CACHE_VALUES);
const noCacheRun = time(() => inspectMaterial(noCacheValues, { ...options, cache: false }));
const noCache = noCacheRun.ms;

console.log(
  `material checks, ${VALUES} values (${RUNS} runs, median), Node ${process.version}, ` +
    `load average ${loadavg()[0].toFixed(1)} on ${cpus().length} cores`,
);
console.log(`  import of the module:                   ${fmt(importMs)}`);
for (const s of firstOpen)
  console.log(`  open ${s.file.padEnd(18)} first ${fmt(s.first).padStart(9)}, again ${fmt(s.again)}`);
console.log(`  load (read files, base64):              ${fmt(median(load))}`);
console.log(
  `  inspect, cold content cache:            ${fmt(median(cold))}  (${((median(cold) / VALUES) * 1000).toFixed(1)} µs/value), CPU ${fmt(median(coldCpu))}`,
);
console.log(
  `  inspect, warm content cache:            ${fmt(median(warm))}  (${((median(warm) / VALUES) * 1000).toFixed(1)} µs/value), CPU ${fmt(median(warmCpu))}`,
);
console.log(
  `  inspect, no cache (${NO_CACHE_VALUES} values):        ${fmt(noCache)}  (${((noCache / NO_CACHE_VALUES) * 1000).toFixed(1)} µs/value), CPU ${fmt(noCacheRun.cpuMs)}`,
);
console.log(`  findings: ${report.findings.length}, certificates: ${report.certificates.length}`);
