// apply of 500 resources against the emulator with 50 ms latency at --concurrency 16 (issue 4):
// wall time of the CLI (spawn to exit), its write phase against the ideal ceil(500/16) x 50 ms,
// the read phase (environments + lists) on its own, and the most requests the emulator saw in
// flight. Median of 5 runs (BENCH_RUNS). Asserts nothing about time; prints figures.
//
//   npm run build && node bench/apply.mjs [RESOURCES=500] [CONCURRENCY=16] [LATENCY_MS=50]
//
// BENCH_MANIFESTS=DIR applies an existing tree of RESOURCES documents instead of writing one (as
// bench/apply-concurrency.mjs does with a bench/gen-manifests.mjs tree); BENCH_PRIVATE_KEY, when
// set, is the private key the tree's fromEnv references read.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import { startEmulator } from '../dist/emulator/index.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const CLI = join(ROOT, 'bin', 'apinizer-gitops.js');
const RESOURCES = Number(process.argv[2] ?? 500);
const CONCURRENCY = Number(process.argv[3] ?? 16);
const LATENCY_MS = Number(process.argv[4] ?? 50);
const RUNS = Math.max(1, Number(process.env.BENCH_RUNS ?? 5));
const PROJECT = 'Payments';
const GIVEN_TREE = process.env.BENCH_MANIFESTS;

/** 80 % Keys, 20 % Keystores in one project, 10 documents per file, realistic secret sizes. */
async function writeManifests(dir) {
  const pub = randomBytes(294).toString('base64');
  await mkdir(join(dir, 'material'), { recursive: true });
  await writeFile(join(dir, 'material', 'store.p12'), randomBytes(2500));
  const docs = [];
  for (let i = 0; i < RESOURCES; i += 1) {
    const keystore = i % 5 === 4;
    const name = `bench-${keystore ? 'keystore' : 'key'}-${String(i).padStart(5, '0')}`;
    const head = `apiVersion: apinizer-gitops/v1\nkind: ${keystore ? 'Keystore' : 'Key'}\nmetadata:\n  name: ${name}\n  project: ${PROJECT}\nspec:\n  description: bench ${i}\n`;
    docs.push(
      keystore
        ? `${head}  environments:\n    - name: production\n      type: PKCS12\n      file: { fromFile: material/store.p12 }\n`
        : `${head}  keyType: RSA\n  environments:\n    - name: production\n      publicKey: ${pub}\n      privateKey: { fromEnv: BENCH_PRIVATE_KEY }\n`,
    );
  }
  for (let f = 0; f * 10 < docs.length; f += 1) {
    await writeFile(join(dir, `m-${String(f).padStart(4, '0')}.yaml`), docs.slice(f * 10, f * 10 + 10).join('---\n'));
  }
}

/** Runs the CLI once while sampling the emulator's counters every millisecond. */
function timedApply(emulator, dir, env) {
  return new Promise((resolve, reject) => {
    let firstRequest;
    let firstWrite;
    let lastWrite;
    let writesSeen = 0;
    const timer = setInterval(() => {
      const s = emulator.stats();
      const now = performance.now();
      if (firstRequest === undefined && s.total > 0) firstRequest = now;
      const posts = Object.entries(s.byRoute)
        .filter(([r]) => r.startsWith('POST '))
        .reduce((n, [, c]) => n + c, 0);
      if (firstWrite === undefined && posts > 0) firstWrite = now;
      if (s.writes > writesSeen) {
        writesSeen = s.writes;
        lastWrite = now;
      }
    }, 1);
    const started = performance.now();
    const child = spawn(
      process.execPath,
      [CLI, 'apply', dir, '--concurrency', String(CONCURRENCY), '--format', 'json'],
      { env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ended = performance.now();
      clearInterval(timer);
      if (code !== 0) return reject(new Error(`apply exited ${code}: ${stderr.slice(0, 2000)}`));
      const report = JSON.parse(stdout);
      resolve({
        wall: ended - started,
        startup: firstRequest - started,
        reads: firstWrite - firstRequest,
        writes: lastWrite - firstWrite,
        created: report.summary.created,
        stats: emulator.stats(),
      });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const fmt = (x) => `${Math.round(x).toLocaleString('en-US')} ms`;

async function main() {
  const dir = GIVEN_TREE ?? (await mkdtemp(join(tmpdir(), 'apinizer-bench-apply-')));
  const emulator = await startEmulator({ port: 0, latencyMs: LATENCY_MS, token: 'bench-token' });
  try {
    if (GIVEN_TREE === undefined) await writeManifests(dir);
    const env = {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      APINIZER_URL: emulator.url,
      APINIZER_TOKEN: 'bench-token',
      // A gen-manifests.mjs tree reads one variable per key pair (BENCH_PRIVATE_KEY0, 1, ...): pass them all.
      ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_PRIVATE_KEY'))),
      BENCH_PRIVATE_KEY: process.env.BENCH_PRIVATE_KEY ?? randomBytes(1218).toString('base64'),
      LOG_LEVEL: 'warn',
    };
    const runs = [];
    for (let i = 0; i < RUNS; i += 1) {
      emulator.store.clear();
      emulator.resetStats();
      const r = await timedApply(emulator, dir, env);
      if (r.created !== RESOURCES) throw new Error(`run ${i + 1} created ${r.created} of ${RESOURCES}`);
      runs.push(r);
      process.stderr.write(
        `run ${i + 1}/${RUNS}: wall ${fmt(r.wall)}, writes ${fmt(r.writes)}, maxInFlight ${r.stats.maxInFlight}\n`,
      );
    }
    const ideal = Math.ceil(RESOURCES / CONCURRENCY) * LATENCY_MS;
    const keys = RESOURCES - Math.floor(RESOURCES / 5);
    const phased = (Math.ceil(keys / CONCURRENCY) + Math.ceil((RESOURCES - keys) / CONCURRENCY)) * LATENCY_MS;
    const m = (f) => median(runs.map(f));
    const last = runs[runs.length - 1].stats;
    const lines = [
      `apply: ${RESOURCES} resources (${keys} Keys, ${RESOURCES - keys} Keystores), emulator latency ${LATENCY_MS} ms, --concurrency ${CONCURRENCY}, median of ${RUNS}`,
      `machine: ${cpus().length} cores, ${cpus()[0]?.model?.trim() ?? '?'}, Node ${process.version}, load ${loadavg()
        .map((x) => x.toFixed(2))
        .join(' ')}`,
      '',
      `wall time (spawn to exit)        ${fmt(m((r) => r.wall))}   (min ${fmt(Math.min(...runs.map((r) => r.wall)))}, max ${fmt(Math.max(...runs.map((r) => r.wall)))})`,
      `  start-up + manifest load       ${fmt(m((r) => r.startup))}`,
      `  reads (environments + lists)   ${fmt(m((r) => r.reads))}   (${last.byRoute['GET /apiops/environments/{project}'] ?? 0} environments call, ${(last.byRoute['GET /apiops/projects/{project}/keys/'] ?? 0) + (last.byRoute['GET /apiops/projects/{project}/keystores/'] ?? 0)} list calls: 2 round trips)`,
      `  writes (first POST to last)    ${fmt(m((r) => r.writes))}`,
      `ideal writes ceil(${RESOURCES}/${CONCURRENCY}) x ${LATENCY_MS} ms   ${fmt(ideal)}   -> write phase ratio ${(m((r) => r.writes) / ideal).toFixed(2)}x`,
      `  (Keys then Keystores, one phase each: ideal ${fmt(phased)})`,
      `wall time ratio to ideal         ${(m((r) => r.wall) / ideal).toFixed(2)}x`,
      `emulator maxInFlight             ${Math.max(...runs.map((r) => r.stats.maxInFlight))}   (requests total per run: ${last.total})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  } finally {
    await emulator.close();
    if (GIVEN_TREE === undefined) await rm(dir, { recursive: true, force: true });
  }
}

await main();
