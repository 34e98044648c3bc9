// Measures the emulator's throughput: requests/s for list and for create at concurrency 16, no
// latency, emulator and client in this one process (as tests use it). Prints figures; asserts
// nothing about time. Run after `npm run build`: node bench/emulator-throughput.mjs
// Environment: BENCH_REQUESTS (default 20000 per run), BENCH_RUNS (default 3).
import { randomBytes } from 'node:crypto';
import { Pool } from 'undici';
import { startEmulator } from '../dist/emulator/index.js';

const CONCURRENCY = 16;
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 20_000);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LISTED = 20; // objects a list answer carries

// Key material of realistic size: an RSA-2048 public key (~400 base64 chars) and private key (~1700).
const publicKey = randomBytes(294).toString('base64');
const privateKey = randomBytes(1218).toString('base64');
const keyBody = (name) =>
  JSON.stringify({
    name,
    description: `benchmark key ${name}`,
    keyType: 'RSA',
    cryptoKeyInfoEnvironmentList: ['production', 'test'].map((environmentName) => ({
      environmentName,
      publicKey,
      privateKey,
    })),
  });

/** Runs n requests through the pool with CONCURRENCY workers; returns requests/s. */
async function measure(pool, request, n) {
  let next = 0;
  let failed = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const { statusCode, body } = await pool.request(request(i));
      await body.dump();
      if (statusCode !== 200) failed++;
    }
  };
  const start = performance.now();
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  const seconds = (performance.now() - start) / 1000;
  if (failed > 0) throw new Error(`${failed} of ${n} requests failed`);
  return n / seconds;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const emulator = await startEmulator({
  projects: [
    { name: 'Listed', environments: ['production', 'test'] },
    { name: 'Created', environments: ['production', 'test'] },
  ],
});
const pool = new Pool(emulator.url, { connections: CONCURRENCY, pipelining: 1 });
const headers = { authorization: `Bearer ${emulator.token}`, 'content-type': 'application/json' };
for (let i = 0; i < LISTED; i++) {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: '/apiops/projects/Listed/keys/',
    headers,
    body: keyBody(`listed-${i}`),
  });
  await body.dump();
  if (statusCode !== 200) throw new Error(`seeding failed: ${statusCode}`);
}

const scenarios = [
  { name: `list (${LISTED} keys)`, request: () => ({ method: 'GET', path: '/apiops/projects/Listed/keys/', headers }) },
  {
    name: 'create',
    request: (i, run) => ({
      method: 'POST',
      path: '/apiops/projects/Created/keys/',
      headers,
      body: keyBody(`created-${run}-${i}`),
    }),
  },
];

// Warm up the JIT and the connections so the first run is not the odd one out.
await measure(pool, scenarios[0].request, 2000);

const rows = [];
let maxInFlight = 0;
for (const scenario of scenarios) {
  const rates = [];
  for (let run = 0; run < RUNS; run++) {
    emulator.resetStats();
    rates.push(await measure(pool, (i) => scenario.request(i, run), REQUESTS));
    maxInFlight = Math.max(maxInFlight, emulator.stats().maxInFlight);
  }
  rows.push({ name: scenario.name, rates, median: median(rates) });
}
await pool.close();
await emulator.close();

const fmt = (x) => Math.round(x).toLocaleString('en-US').padStart(9);
console.log(
  `Emulator throughput: Node ${process.version}, concurrency ${CONCURRENCY}, ${REQUESTS} requests per run, no latency, client in-process`,
);
console.log('');
console.log(
  `${'operation'.padEnd(16)}${Array.from({ length: RUNS }, (_, i) => `run ${i + 1}`.padStart(9)).join(' ')}   median req/s`,
);
for (const row of rows) console.log(`${row.name.padEnd(16)}${row.rates.map(fmt).join(' ')}   ${fmt(row.median)}`);
console.log('');
console.log(
  `most requests in flight at once: ${maxInFlight} (1 is expected without latency: the handler never waits, so each request completes within one event-loop turn)`,
);
