// The plain-client baseline: a few lines of node:http with a keep-alive agent making the very same
// requests as `apply` from empty (the environments of every project and every list, together;
// then one POST per resource with the product's own bodies, C at a time) and nothing else. The
// figure is the server's busy time (first request to last answer, seen from the emulator) of
// apply over that of the plain client, at the same concurrency and latency: what the product
// costs per request beyond the requests themselves (CPU, scheduling, reads).
//   node bench/plain-client.mjs                 the figure (BENCH_RUNS, BENCH_QUICK)
//   node bench/plain-client.mjs --child INPUT URL TOKEN C   one plain run (what the figure spawns)
import { readFile, writeFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { toApiBody } from '../dist/api/mapping.js';
import { loadManifests } from '../dist/manifest/load.js';
import { timedApply } from './lib/cli.mjs';
import { benchConfig } from './lib/config.mjs';
import { resetEmulator, startBenchEmulator, trackActivity } from './lib/emulator.mjs';
import { int, ms, ratio, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { cleanEnv, expectExit, timeChild } from './lib/proc.mjs';
import { summarise } from './lib/stats.mjs';

/** Issue 22: 400 creates at 20 ms latency and concurrency 16, apply within 1.10x of the plain client's busy time. */
export const PLAIN = { resources: 400, latencyMs: 20, concurrencies: [16], target: 1.1 };

/** The child: sends the requests of INPUT and exits 0 when every answer was 2xx. */
async function child([input, url, token, c]) {
  const { projects, scopes, creates } = JSON.parse(await readFile(input, 'utf8'));
  const agent = new Agent({ keepAlive: true, maxSockets: Number(c) });
  const { hostname, port } = new URL(url);
  const headers = { authorization: `Bearer ${token}`, accept: 'application/json', 'content-type': 'application/json' };
  const send = (method, path, body) =>
    new Promise((resolve, reject) => {
      const req = request({ agent, hostname, port, method, path, headers }, (res) => {
        res.resume();
        res.on('end', () =>
          res.statusCode < 300 ? resolve() : reject(new Error(`${method} ${path}: ${res.statusCode}`)),
        );
      });
      req.on('error', reject);
      req.end(body);
    });
  const kinds = { Key: 'keys', Keystore: 'keystores' };
  await Promise.all([
    ...projects.map((p) => send('GET', `/apiops/environments/${encodeURIComponent(p)}`)),
    ...scopes.map((s) => send('GET', `/apiops/projects/${encodeURIComponent(s.project)}/${kinds[s.kind]}/`)),
  ]);
  let next = 0;
  const worker = async () => {
    while (next < creates.length) {
      const { path, body } = creates[next++];
      await send('POST', path, body);
    }
  };
  await Promise.all(Array.from({ length: Number(c) }, worker));
  agent.destroy();
}

/** The requests apply makes from empty on `dir`, with the product's own bodies, as the child's INPUT. */
async function writeInput(dir, file) {
  const load = await loadManifests([dir], { cwd: dir, env: { ...process.env, ...manifestEnv(dir) } });
  if (!load.state) throw new Error('the generated manifests do not load');
  const projects = [...new Set(load.state.resources.map((r) => r.project))];
  const scopes = [
    ...new Map(
      load.state.resources.map((r) => [`${r.project}/${r.kind}`, { project: r.project, kind: r.kind }]),
    ).values(),
  ];
  const creates = load.state.resources.map((r) => ({
    path: `/apiops/projects/${encodeURIComponent(r.project)}/${r.kind === 'Key' ? 'keys' : 'keystores'}/`,
    body: JSON.stringify(toApiBody(r)),
  }));
  await writeFile(file, JSON.stringify({ projects, scopes, creates }));
}

/** Apply and the plain client alternately, `runs` times each per concurrency; busy time from the emulator. */
export async function measurePlainClient({
  resources = PLAIN.resources,
  latencyMs = PLAIN.latencyMs,
  concurrencies = PLAIN.concurrencies,
  runs,
}) {
  const root = await tempDir();
  const dir = join(root, 'manifests');
  const input = join(root, 'plain.json');
  const emulator = await startBenchEmulator({ latencyMs });
  try {
    await writeManifestTree(dir, { resources });
    await writeInput(dir, input);
    const rows = [];
    for (const c of concurrencies) {
      const apply = [];
      const plain = [];
      for (let i = 0; i < runs; i++) {
        resetEmulator(emulator);
        const a = await timedApply(emulator, dir, { concurrency: c, extraArgs: ['--skip-material-checks'] });
        apply.push({ busy: a.apiMs, cpu: a.cpuMs ?? Number.NaN });
        resetEmulator(emulator);
        const activity = trackActivity(emulator);
        const run = await timeChild(
          process.execPath,
          [fileURLToPath(import.meta.url), '--child', input, emulator.url, emulator.token, String(c)],
          {
            env: cleanEnv(),
          },
        );
        const { firstAt, lastAt } = activity.stop();
        expectExit(run, [0], `plain client at concurrency ${c}`);
        if (emulator.stats().writes !== resources)
          throw new Error(`plain client wrote ${emulator.stats().writes} of ${resources}`);
        plain.push({ busy: lastAt - firstAt, cpu: run.cpuMs ?? Number.NaN });
      }
      const applyBusy = summarise(apply.map((x) => x.busy));
      const plainBusy = summarise(plain.map((x) => x.busy));
      rows.push({
        concurrency: c,
        applyBusy,
        plainBusy,
        applyCpu: summarise(apply.map((x) => x.cpu)),
        plainCpu: summarise(plain.map((x) => x.cpu)),
        ratio: applyBusy.median / plainBusy.median,
      });
    }
    return { resources, latencyMs, runs, rows, target: PLAIN.target };
  } finally {
    await emulator.close();
    await removeTree(root);
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function plainClientRows(f) {
  return [
    [
      'concurrency',
      'apply busy median (min - max)',
      'plain client busy median (min - max)',
      'ratio',
      'CPU apply / plain (whole process)',
      `target <= ${ratio(f.target)}`,
    ],
    f.rows.map((r) => [
      r.concurrency,
      spread(r.applyBusy),
      spread(r.plainBusy),
      ratio(r.ratio),
      `${ms(r.applyCpu.median)} / ${ms(r.plainCpu.median)}`,
      r.ratio <= f.target ? 'holds' : 'MISSED',
    ]),
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === '--child') {
    await child(process.argv.slice(3));
  } else {
    const config = benchConfig();
    const f = await measurePlainClient({ runs: config.runs, ...(config.quick ? { resources: 200 } : {}) });
    console.log(
      `Apply vs a plain keep-alive client, ${int(f.resources)} creates from empty, latency ${f.latencyMs} ms, ${f.runs} runs each\n`,
    );
    console.log(textTable(...plainClientRows(f)));
  }
}
