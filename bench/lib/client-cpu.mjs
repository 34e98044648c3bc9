// CPU per request of the product's API client against a plain node:http keep-alive client, both
// in this process against the in-process emulator (no latency), making the same POSTs with the
// same bodies. The emulator's share is the same in both, so the difference is the client's
// overhead per request. CPU time (process.cpuUsage), not wall: steadier on a shared machine.
//   node bench/lib/client-cpu.mjs [N] [C] [--profile]
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { createApiClient } from '../../dist/api/client.js';
import { toApiBody } from '../../dist/api/mapping.js';
import { loadManifests } from '../../dist/manifest/load.js';
import { resetEmulator, startBenchEmulator } from './emulator.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './manifests.mjs';

const [n = '2000', c = '16'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const root = await tempDir();
const dir = join(root, 'm');
await writeManifestTree(dir, { resources: Number(n) });
const load = await loadManifests([dir], { cwd: dir, env: { ...process.env, ...manifestEnv(dir) } });
const resources = load.state.resources;
const emulator = await startBenchEmulator();

async function pool(items, fn) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Number(c) }, async () => {
      while (next < items.length) await fn(items[next++]);
    }),
  );
}

async function product() {
  const client = createApiClient({ server: emulator.url, auth: { token: emulator.token }, concurrency: Number(c) });
  await pool(resources, async (r) => {
    const res = await client.create(r);
    if (!res.ok) throw new Error(res.error.message);
  });
  await client.close();
}

async function plain() {
  const agent = new Agent({ keepAlive: true, maxSockets: Number(c) });
  const { hostname, port } = new URL(emulator.url);
  const headers = {
    authorization: `Bearer ${emulator.token}`,
    accept: 'application/json',
    'content-type': 'application/json',
  };
  await pool(
    resources,
    (r) =>
      new Promise((resolve, reject) => {
        const path = `/apiops/projects/${encodeURIComponent(r.project)}/${r.kind === 'Key' ? 'keys' : 'keystores'}/`;
        const req = request({ agent, hostname, port, method: 'POST', path, headers }, (res) => {
          let text = '';
          res
            .setEncoding('utf8')
            .on('data', (d) => (text += d))
            .on(
              'end',
              () => (JSON.parse(text), res.statusCode < 300 ? resolve() : reject(new Error(String(res.statusCode)))),
            );
        });
        req.on('error', reject);
        req.end(JSON.stringify(toApiBody(r)));
      }),
  );
  agent.destroy();
}

const results = { product: [], plain: [] };
for (let i = 0; i < 5; i++) {
  for (const [name, fn] of [
    ['product', product],
    ['plain', plain],
  ]) {
    resetEmulator(emulator);
    const t0 = process.cpuUsage();
    await fn();
    const d = process.cpuUsage(t0);
    results[name].push((d.user + d.system) / 1000 / resources.length);
  }
}
const med = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `CPU per request (client + in-process emulator), ${resources.length} creates at concurrency ${c}, median of 5:`,
);
console.log(
  `  product client: ${(med(results.product) * 1000).toFixed(0)} µs   plain node:http: ${(med(results.plain) * 1000).toFixed(0)} µs   ratio ${(med(results.product) / med(results.plain)).toFixed(2)}x`,
);
await emulator.close();
await removeTree(root);
