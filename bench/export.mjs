// Export of 1,000 resources (500 Keys with 3 environments, 500 Keystores with 2) from an emulator
// seeded in-process: the median wall time of 5 runs of the real command (in-process runCli, fresh
// output folder each run), printed. Asserts nothing about time. Run `npm run build` first.
//   node bench/export.mjs [--resources N] [--runs N] [--dir BASE]
// The time is mostly open(2) of ~5,000 new files (1,000 manifests, 4,000 secret files): on a busy
// disk it varies a lot; --dir /dev/shm shows the tool's own share.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { parseArgs } from 'node:util';
import { startEmulator } from '../dist/emulator/index.js';
import { runCli } from '../dist/cli/run.js';

const { values } = parseArgs({
  options: {
    resources: { type: 'string', default: '1000' },
    runs: { type: 'string', default: '5' },
    dir: { type: 'string', default: tmpdir() },
  },
});
const total = Number(values.resources);
const runs = Number(values.runs);

const emulator = await startEmulator({ port: 0 });
const b64 = (text) => Buffer.from(text).toString('base64');
// Realistic sizes: a 2048-bit RSA key pair as PEM (~1.7 KB private, ~450 B public), a ~3 KB keystore.
const pem = (label, n, size) => b64(`-----BEGIN ${label}-----\n${'A'.repeat(size)}${n}\n-----END ${label}-----\n`);
for (let i = 0; i < total; i++) {
  const name = `bench-${String(i).padStart(4, '0')}`;
  if (i % 2 === 0) {
    emulator.store.put('Payments', 'Key', {
      name,
      description: `Benchmark key ${i}`,
      keyType: 'RSA',
      cryptoKeyInfoEnvironmentList: ['production', 'staging', 'test'].map((env) => ({
        environmentName: env,
        publicKey: pem('PUBLIC KEY', `${i}${env}`, 400),
        privateKey: pem('PRIVATE KEY', `${i}${env}`, 1700),
      })),
    });
  } else {
    emulator.store.put('Payments', 'Keystore', {
      name,
      description: `Benchmark keystore ${i}`,
      keyStoreEnvironmentList: ['production', 'test'].map((env) => ({
        environmentName: env,
        type: 'PKCS12',
        file: b64(`P12${i}${env}${'x'.repeat(3000)}`),
      })),
    });
  }
}

const sink = () => new Writable({ write: (_c, _e, done) => done() });
let stderr = '';
const times = [];
const root = mkdtempSync(join(values.dir, 'agitops-bench-export-'));
try {
  for (let run = 0; run < runs; run++) {
    const out = join(root, `run-${run}`);
    const started = performance.now();
    const code = await runCli(['export', '--project', 'Payments', '--out', out], {
      stdout: sink(),
      stderr: new Writable({ write: (c, _e, done) => ((stderr += c.toString()), done()) }),
      env: { APINIZER_URL: emulator.url, APINIZER_TOKEN: emulator.token, LOG_LEVEL: 'warn' },
      cwd: root,
      signal: new AbortController().signal,
      signalName: () => null,
    });
    times.push(performance.now() - started);
    if (code !== 0) throw new Error(`export exited ${code}: ${stderr}`);
    rmSync(out, { recursive: true, force: true });
  }
} finally {
  rmSync(root, { recursive: true, force: true });
  await emulator.close();
}
const sorted = [...times].sort((a, b) => a - b);
const median = sorted[Math.floor(sorted.length / 2)];
console.log(
  `export of ${total} resources into ${values.dir} (${total / 2} Keys x 3 environments, ${total / 2} Keystores x 2): median ${median.toFixed(0)} ms of ${runs} runs [${times.map((t) => t.toFixed(0)).join(', ')}]`,
);
