// `npm run bench`: every figure of issues 7 and 22, measured on this machine against the emulator,
// printed as tables and written to bench/RESULTS.md with the date, the machine, the commit and
// the load average of every figure. Figures are ratios to a baseline measured in the same run (the
// bare js-yaml parse for validate and plan, a plain keep-alive client for apply, the ideal round
// trips for concurrency), so that noise moves both. Nothing here asserts a time: a target that is
// missed is reported, not failed; a figure taken at a 1-minute load average over LOAD_LIMIT is
// flagged loudly, in the output and in RESULTS.md, as not evidence.
//   BENCH_RUNS=N (default 5)  BENCH_QUICK=1 (small sizes, to check the bench)  BENCH_FULL=1
//   (concurrency 1 and the curl loop at 2,000 resources too; slow). See bench/README.md.
//   BENCH_ONLY=1,2  only those figures (the number before the title's dot); RESULTS.md keeps the
//   other figures and has these sections and their target rows replaced (or added).
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { applyConcurrencyRows, measureApplyConcurrency } from './apply-concurrency.mjs';
import { diagnosticsRows, measureDiagnostics } from './diagnostics.mjs';
import { FAULTS, TARGET_FAULT_RATIO, faultsRows, measureFaults } from './faults.mjs';
import { measurePlanFloor, measureValidateFloor, planFloorRows, validateFloorRows } from './floor.mjs';
import { measurePlainClient, plainClientRows } from './plain-client.mjs';
import { benchConfig } from './lib/config.mjs';
import { int, markdownTable, mb, ms, ratio, spread, textTable } from './lib/format.mjs';
import { loadText, machineInfo } from './lib/machine.mjs';
import { emulatorThroughput, runBenchScript, watchFigure } from './lib/others.mjs';
import { ROOT, RSS_METHOD } from './lib/proc.mjs';
import { curlVersion, measureNaiveCurl, naiveCurlRows } from './naive-curl.mjs';
import { TARGET_MATERIAL_OVERHEAD, materialCostRows, measureMaterialCost } from './material-cost.mjs';
import { TARGET_SOPS_RATIO, measureSops, sopsRows } from './sops.mjs';
import { PLAN_CONCURRENCY, measurePlanNoopCurrent, planNoopCurrentRows, routeLines } from './plan-noop-current.mjs';
import { TARGET_RSS_KB, measureApplyRss, rssRows, sharedTree } from './rss.mjs';

/** Above this 1-minute load average a figure measures the neighbours, not the code (issue 22). */
const LOAD_LIMIT = 2;

const config = benchConfig();
const started = performance.now();
const machine = machineInfo();
const sections = []; // {title, intro, table: [header, rows] | null, text?: string, load, busy}
const targets = []; // [target, measured, verdict, load]
const say = (text) => process.stderr.write(`bench: ${text}\n`);
const only = process.env.BENCH_ONLY
  ? new Set(process.env.BENCH_ONLY.split(',').map((x) => x.trim().toLowerCase()))
  : undefined;
const figureId = (title) => (/^(\w+)\./.exec(title)?.[1] ?? 'other').toLowerCase();

/**
 * Runs one figure, recording the 1-minute load average before and after it (the larger is the
 * figure's load) and flagging it when over LOAD_LIMIT; target rows the figure adds get its load.
 */
async function figure(title, fn) {
  // A figure is named by its number (`6`) or its first word (`watch`).
  const word = /^\w+\.\s+(\w+)/.exec(title)?.[1]?.toLowerCase();
  if (only && !only.has(figureId(title)) && !(word !== undefined && only.has(word))) return;
  const before = loadavg()[0];
  say(`${title} (load ${loadText()})`);
  const t0 = performance.now();
  const firstTarget = targets.length;
  let section;
  try {
    section = await fn();
  } catch (err) {
    // One broken figure must not lose the others of a ten-minute run: it is reported as failed.
    say(`FAILED: "${title}": ${String(err?.stack ?? err).slice(0, 2000)}`);
    section = {
      intro: `**Not measured: the figure failed** (${String(err?.message ?? err).split('\n')[0]}).`,
      table: null,
    };
  }
  const after = loadavg()[0];
  const peak = Math.max(before, after);
  const busy = peak > LOAD_LIMIT;
  const load = `${before.toFixed(2)} at the start, ${after.toFixed(2)} at the end${busy ? ` — **OVER ${LOAD_LIMIT}: NOT EVIDENCE**` : ''}`;
  if (busy)
    say(
      `LOAD AVERAGE ${peak.toFixed(2)} > ${LOAD_LIMIT} during "${title}": its figures measure the neighbours, not the code`,
    );
  for (const row of targets.slice(firstTarget)) row.push(`${peak.toFixed(2)}${busy ? ' OVER 2' : ''}`);
  sections.push({ title, load, busy, seconds: (performance.now() - t0) / 1000, ...section });
}

if (!existsSync(join(ROOT, 'dist', 'emulator', 'index.js'))) {
  say('dist/ is missing: run `npm run build` first (npm run bench does)');
  process.exit(1);
}

// Figures 1, 5 and 2 share one real-material tree and one emulator: 5 (apply from empty) leaves
// the emulator holding the tree that the no-op plan of 2 needs.
const wantShared = !only || ['1', '2', '5'].some((x) => only.has(x));
const shared = wantShared ? await sharedTree(config.sizes.plan) : undefined;
const treeLine = `bench/gen-manifests.mjs tree: ${int(config.sizes.plan)} resources in ${int(config.sizes.plan / 10)} files, real material (RSA-2048 pairs as DER, PKCS12 stores; 8 of each shared over the tree, so every material check passes)`;

try {
  await figure(
    `1. validate --skip-material-checks against the bare parse, ${int(config.sizes.plan)} resources`,
    async () => {
      const f = await measureValidateFloor({ dir: shared.dir, runs: config.runs });
      targets.push([
        `validate --skip-material-checks <= ${ratio(f.target)} the bare js-yaml parse (${int(config.sizes.plan)} resources)`,
        `${ratio(f.validate.ratio)} (${ms(f.validate.wall.median)} / ${ms(f.floor.wall.median)}); CPU ${ratio(f.validate.cpuRatio)}`,
        f.validate.ratio <= f.target ? 'holds' : 'MISSED',
      ]);
      return {
        intro:
          `The whole CLI process, \`validate DIR --skip-material-checks\`, against its floor: bench/lib/bare-parse.mjs, a bare js-yaml \`loadAll\` of the same files ` +
          `in one Node process (found, sorted and read as the product does; nothing else). ${treeLine}. The floor, validate and validate on an empty folder ` +
          `(start-up: Node, modules, schemas) alternate run by run, ${f.runs} runs each after one warm-up; the ratio is of the medians, "run by run" the median of ` +
          `each run's ratio to the floor run before it. Output: "${f.summaryLine}". CPU is user + system of the child (/usr/bin/time).`,
        table: validateFloorRows(f),
      };
    },
  );

  await figure(
    `1b. Material checks: load + validate of ${int(config.sizes.material)} resources, checks on vs off`,
    async () => {
      const f = await measureMaterialCost({ resources: config.sizes.material, runs: config.runs });
      const pct = (x) => `${(x * 100).toFixed(0)} %`;
      targets.push([
        `material checks: validate of ${int(f.resources)} resources costs < ${pct(TARGET_MATERIAL_OVERHEAD)} more with them than without`,
        `+${pct(f.overhead)} wall (${ms(f.on.wall.median)} / ${ms(f.off.wall.median)}), +${pct(f.cpuOverhead)} CPU; the checks are ${pct(f.share)} of validate's wall time`,
        f.overhead < TARGET_MATERIAL_OVERHEAD ? 'holds' : 'MISSED',
      ]);
      return {
        intro:
          `\`validate DIR\` against \`validate DIR --skip-material-checks\` (the whole process), on a bench/gen-current.mjs tree: ${int(f.resources)} current-form resources ` +
          `in ${int(f.files)} files whose secrets are real material (RSA-2048 private keys, certificates, PKCS12 stores opened with their password, AES keys): ` +
          `${f.materialSets} sets of key, certificate and store, 3 shared by most resources and 20 used by every 50th. The two and an empty folder alternate run by run, ` +
          `${f.runs} runs each after one warm-up; output "${f.summaryLine}". CPU is user + system of the child (/usr/bin/time).`,
        table: materialCostRows(f),
      };
    },
  );

  await figure(
    `1c. SOPS: validate of ${int(config.sizes.sops)} resources from SOPS-encrypted files vs the same plain`,
    async () => {
      const f = await measureSops({ resources: config.sizes.sops, runs: config.runs });
      targets.push([
        `SOPS: validate of ${int(f.resources)} resources from SOPS-encrypted files costs < ${TARGET_SOPS_RATIO}x the same plain`,
        `${f.ratio.toFixed(2)}x wall (${ms(f.encrypted.wall.median)} / ${ms(f.plain.wall.median)}), ${f.cpuRatio.toFixed(2)}x CPU`,
        f.ratio < TARGET_SOPS_RATIO ? 'holds' : 'MISSED',
      ]);
      return {
        intro:
          `bench/sops.mjs: one bench/gen-manifests.mjs tree of ${int(f.resources)} resources in ${int(f.files)} files (10 per file), its fromFile material written inline, ` +
          `as two copies: plain, and each file SOPS-encrypted for an age recipient by this project's encoder (the secret fields, as the docs recommend; one data key per file). ` +
          `\`validate\` of each (the whole process, SOPS_AGE_KEY set), alternating, ${f.runs} runs each after one warm-up; output "${f.summaries.encrypted}".`,
        table: sopsRows(f),
      };
    },
  );

  await figure(`5. Peak RSS of apply at ${int(config.sizes.rss)} creates`, async () => {
    const apply = await measureApplyRss({ resources: config.sizes.rss, runs: config.runs, shared });
    targets.push([
      `peak RSS of apply --skip-material-checks, ${int(apply.resources)} creates < ${mb(TARGET_RSS_KB)}`,
      `${mb(apply.rss.max)} (largest of ${apply.rss.n} runs; median ${mb(apply.rss.median)})`,
      apply.rss.max < TARGET_RSS_KB ? 'holds' : 'MISSED',
    ]);
    return {
      intro: `Peak RSS of the CLI process (${RSS_METHOD}), \`apply DIR --skip-material-checks --concurrency 16 --format json\` from an empty server, emulator in the bench process without latency. ${treeLine}. ${config.runs} runs.`,
      table: rssRows(apply),
    };
  });

  await figure(
    `2. No-op plan --skip-material-checks against the bare parse, ${int(config.sizes.plan)} resources`,
    async () => {
      const f = await measurePlanFloor({ shared, resources: config.sizes.plan, runs: config.runs });
      targets.push([
        `no-op plan --skip-material-checks <= ${ratio(f.target)} the bare js-yaml parse (${int(f.resources)} resources)`,
        `${ratio(f.plan.ratio)} (${ms(f.plan.wall.median)} / ${ms(f.floor.wall.median)}); CPU ${ratio(f.plan.cpuRatio)}`,
        f.plan.ratio <= f.target ? 'holds' : 'MISSED',
      ]);
      targets.push([
        `peak RSS of that plan < ${mb(f.rssTarget)}`,
        `${mb(f.plan.rss.max)} (largest of ${f.plan.rss.n} runs; median ${mb(f.plan.rss.median)})`,
        f.plan.rss.max < f.rssTarget ? 'holds' : 'MISSED',
      ]);
      targets.push([
        'no-op plan makes exactly the minimal requests',
        `${f.requests.total} requests: ${f.requests.lists} lists + ${f.requests.environments} environments + ${f.requests.probes} generation probes (minimal: ${f.expected.lists} + ${f.expected.environments} + ${f.expected.probes})`,
        f.minimal ? 'holds' : 'MISSED',
      ]);
      return {
        intro:
          `\`plan DIR --skip-material-checks --detailed-exitcode\` (text output) against the emulator holding the tree (no latency), alternating with the bare parse ` +
          `of figure 1, ${f.runs} runs each after one warm-up; exit 0 (no changes) every time: "${f.summaryLine}". ${treeLine}. Requests from the emulator's counters; ` +
          'the minimum is one list per (project, kind) plus, per project, the generation probe (404 on a legacy server) and the legacy environments call. "Before 1st request" is start-up plus manifest loading; "API phase" is ' +
          "first request to last answer, the emulator's own time included.",
        table: planFloorRows(f),
      };
    },
  );
} finally {
  await shared?.close();
}

await figure(
  `2b. No-op plan at ${int(config.sizes.planCurrent)} resources on a current-generation server`,
  async () => {
    const f = await measurePlanNoopCurrent({ resources: config.sizes.planCurrent, runs: config.runs });
    targets.push([
      `no-op plan at ${int(f.resources)} resources on a current-generation server, concurrency ${PLAN_CONCURRENCY}: wall time, exactly the minimal requests`,
      `${spread(f.wall)}; ${int(f.requests.total)} requests: ${f.requests.lists} lists + ${f.requests.environments} environments + ${int(f.requests.exports)} exports`,
      f.minimal ? 'requests minimal (no time target)' : 'requests NOT minimal',
    ]);
    return {
      intro:
        `\`plan DIR --detailed-exitcode --concurrency ${PLAN_CONCURRENCY}\` (text output) against the emulator started with generation 'current', no latency, ` +
        `after an apply at concurrency ${PLAN_CONCURRENCY} that made the ${int(f.resources)} resources (bench/gen-current.mjs tree: current-form Keys and Keystores, ` +
        'two environments each, real material), and one unmeasured plan. A current server returns no material in reads, so the plan reads it back through ' +
        'export-file: the minimum is one list per (project, kind), one environments call per project (the generation probe) and one export per ' +
        `(object, environment). Every run exited 0: "${f.summaryLine}". The requests of one run by route follow the table.`,
      table: planNoopCurrentRows(f),
      text: routeLines(f),
    };
  },
);

// 3 and 4.
let c16;
await figure(
  `3. Apply from empty, latency ${config.latencyMs} ms, concurrency ${config.concurrencies.join(', ')}`,
  async () => {
    const f = await measureApplyConcurrency(config);
    c16 = f.rows.find((r) => r.concurrency === 16);
    for (const r of f.rows) {
      if (r.target === undefined) continue;
      targets.push([
        `apply at concurrency ${r.concurrency}, ${config.latencyMs} ms latency, within ${ratio(r.target)} of the ideal`,
        `${ratio(r.ratio)} (${ms(r.wall.median)} / ${ms(r.ideal.ms)}); API phase alone ${ratio(r.apiRatio)}`,
        r.ratio <= r.target ? 'holds' : 'MISSED',
      ]);
    }
    const c1 = f.rows.find((r) => r.concurrency === 1);
    return {
      intro:
        `Each row is bench/apply.mjs (the whole CLI process, \`apply DIR --concurrency C --format json\`, from an empty emulator) on a bench/gen-manifests.mjs tree. ` +
        'Ideal (the model): every call costs exactly the latency, nothing else costs anything; the product reads the environments of its P projects and the ' +
        'lists of its S (project, kind) scopes in one round (bounded by the concurrency), then writes c at a time, Keys and Keystores side by side: ideal = (ceil((P + S)/c) + ceil(N/c)) x latency, here P = 2, S = 4. ' +
        'Start-up and manifest loading are not in the ideal, so wall/ideal charges them to the product; API/ideal leaves them out. ' +
        (c1 && c1.resources !== config.sizes.apply
          ? `Concurrency 1 costs N x ${config.latencyMs} ms per run, so it runs ${int(c1.resources)} resources ${c1.runs} times (BENCH_FULL=1 runs ${int(config.sizes.apply)}).`
          : ''),
      table: applyConcurrencyRows(f),
      maxInFlight64: f.rows.find((r) => r.concurrency === 64)?.maxInFlight,
    };
  },
);

await figure('3b. Emulator headroom (bench/emulator-throughput.mjs)', async () => {
  const requests = config.quick ? 2000 : 10_000;
  const t = await emulatorThroughput(requests, 3);
  const f3 = sections.find((s) => s.title.startsWith('3.'));
  const need = 64 / (config.latencyMs / 1000);
  if (!t) return { intro: 'bench/emulator-throughput.mjs is missing: not measured.', table: null };
  return {
    intro:
      `The emulator must not be the bottleneck at concurrency 64. With ${config.latencyMs} ms latency, 64 requests in flight ask for at most ${int(need)} requests/s; ` +
      `without latency, in one process with its client, it serves the rates below (${requests} requests per run, 3 runs). ` +
      `Its maxInFlight during the concurrency-64 apply: ${f3?.maxInFlight64 ?? 'n/a'}.`,
    table: [
      ['operation (no latency, concurrency 16)', 'median requests/s', `headroom over ${int(need)}/s`],
      [
        ['list (20 keys)', int(t.list), ratio(t.list / need)],
        ['create', int(t.create), ratio(t.create / need)],
      ],
    ],
  };
});

await figure('3c. Apply vs a plain keep-alive client (bench/plain-client.mjs)', async () => {
  const f = await measurePlainClient({ runs: config.runs, ...(config.quick ? { resources: 100 } : {}) });
  for (const r of f.rows) {
    targets.push([
      `apply busy time vs the plain client, same requests, concurrency ${r.concurrency}, <= ${ratio(f.target)}`,
      `${ratio(r.ratio)} (${ms(r.applyBusy.median)} / ${ms(r.plainBusy.median)})`,
      r.ratio <= f.target ? 'holds' : 'MISSED',
    ]);
  }
  return {
    intro:
      `A plain client (a few lines of node:http with a keep-alive agent, ${f.resources} creates with the product's own bodies) makes the very same requests as ` +
      '`apply` from empty: the environments and every list in one round, then one POST per resource, c at a time, and nothing else. Busy time is the ' +
      `emulator's, first request to last answer, latency ${f.latencyMs} ms; apply and the plain client alternate, ${f.runs} runs each. ` +
      'CPU is the whole process (apply: start-up, manifest loading and planning included).',
    table: plainClientRows(f),
  };
});

await figure('4. Naive shell loop baseline (curl per resource, sequential)', async () => {
  if (!curlVersion())
    return {
      intro:
        'curl is not installed, so the baseline was not measured. The bench needs curl: `apt-get install -y curl`.',
      table: null,
    };
  const f = await measureNaiveCurl({
    resources: config.sizes.curl,
    runs: config.runsCurl,
    latencyMs: config.latencyMs,
  });
  const ours = c16 ? { concurrency: 16, resources: c16.resources, runs: c16.runs, wall: c16.wall } : undefined;
  return {
    intro:
      `bench/naive-curl.sh: a POST per resource with \`curl\`, one after the other, bodies pre-generated from the same manifests by the product's own mapping, ` +
      `against the emulator with ${config.latencyMs} ms latency (${f.version}). It does less than apply (no reads, no retries, no report). ` +
      (ours && ours.resources !== f.resources
        ? `The loop ran ${int(f.resources)} resources ${f.runs} times; a sequential loop's time is linear in N, so its time at ${int(ours.resources)} is extrapolated from the median time per resource (BENCH_FULL=1 runs it at ${int(ours.resources)}).`
        : ''),
    table: naiveCurlRows(f, ours),
  };
});

await figure('6. Watch', async () => {
  const w = await watchFigure(config.quick);
  if (!w) return { intro: "not measured yet: bench/watch.mjs (the watch owner's) has not landed.", table: null };
  const limit = w.debounceMs + 100;
  targets.push([
    `watch save-to-write median < debounce + 100 ms (${limit} ms)`,
    `${ms(w.median)} (p95 ${ms(w.p95)}, ${w.edits} edits)`,
    w.median < limit ? 'holds' : 'MISSED',
  ]);
  return {
    intro:
      `bench/watch.mjs (the watch owner's): \`watch DIR --debounce ${w.debounceMs} --concurrency 16\` as a child, emulator without latency. ` +
      `Save-to-write: from writeFile() of one manifest (20 resources, one per file) to the emulator storing the new description, ${w.edits} edits one after another. ` +
      'Idle RSS: VmRSS of the watcher 3 s after its start apply of the whole tree finished; peak: VmHWM (reached during that apply). One run each.',
    table: [
      ['measure', 'value'],
      [
        [
          `save-to-write latency, ${w.edits} edits`,
          `median ${ms(w.median)}, p95 ${ms(w.p95)} (min ${ms(w.min)}, max ${ms(w.max)})`,
        ],
        ...w.idle.map((r) => [
          `idle watcher, ${int(r.resources)} resources in ${int(r.files)} files (${r.perFile} per file)`,
          `idle RSS ${r.idleMb.toFixed(1)} MB, peak ${r.peakMb.toFixed(1)} MB; start apply ${r.startSeconds.toFixed(1)} s`,
        ]),
        ...w.alone.map((a) => [
          `the file watcher alone (${a.mode}), same files`,
          `idle RSS ${a.idleMb.toFixed(1)} MB (+${a.overBareMb.toFixed(1)} MB over bare Node), ${int(a.watches)} inotify watches`,
        ]),
      ],
    ],
  };
});

await figure(`7. Apply under faults, ${int(config.sizes.faults)} resources`, async () => {
  const f = await measureFaults({ resources: config.sizes.faults, runs: config.runs, latencyMs: config.latencyMs });
  targets.push([
    `apply under ${FAULTS.failRate * 100} % faults of all kinds, ${int(f.resources)} resources: first run exits 0 in every seed, wall <= ${TARGET_FAULT_RATIO}x fault-free`,
    `exit codes ${f.firstCodes.join(', ')}; ${ratio(f.ratio)} (${ms(f.first.median)} / ${ms(f.clean.median)})`,
    f.firstExitZero && f.ratio <= TARGET_FAULT_RATIO ? 'holds' : 'MISSED',
  ]);
  return {
    intro:
      `bench/faults.mjs: emulator fail-rate ${FAULTS.failRate} over ${FAULTS.failKinds.join(', ')} (uniform), Retry-After ${FAULTS.retryAfterSeconds} s on 429, latency ${config.latencyMs} ms, ` +
      `\`apply --concurrency 16\` from empty, ${f.runs} runs (fault seeds 1..${f.runs}), each after the same apply without faults (the baseline of the ratio). ` +
      'Retries are the client\'s "retrying after a transient failure" log lines. Every fault kind is retried for every method (SPEC §5) and a resource whose ' +
      'attempts all met a fault gets one more round at the end of the run, so the first apply is expected to exit 0; should it not, apply is run again under the ' +
      'same faults until it does. A plan on the healed emulator must show no changes.',
    table: faultsRows(f),
    converged: f.converged,
  };
});

await figure(
  `8. Diagnostics at scale: validate of ${int(config.sizes.plan)} resources with fake material`,
  async () => {
    const f = await measureDiagnostics({
      resources: config.sizes.plan,
      runs: config.quick ? config.runs : Math.min(config.runs, 3),
    });
    return {
      intro:
        `\`validate DIR\` with the material checks on a bench/gen-manifests.mjs --fake-material tree (random bytes as keys and stores: every checked value warns), ` +
        `as text and as \`--format json\`, against \`--skip-material-checks\` on the same tree (the same work without findings); the three alternate, ${f.runs} runs each ` +
        `after one warm-up. Text groups identical findings (the first locations, then "and N more like this"); JSON keeps all ${int(f.findings)}. Text output ends: "${f.summaryLine}".`,
      table: diagnosticsRows(f),
    };
  },
);

await figure("Other owners' benchmarks", async () => {
  const parts = [];
  const exp = await runBenchScript('export.mjs', [
    '--runs',
    String(config.runs),
    ...(config.quick ? ['--resources', '200'] : []),
  ]);
  if (exp) parts.push(`$ node bench/export.mjs --runs ${config.runs}\n${exp.stdout.trim()}`);
  return { intro: 'Printed as they print them.', table: null, text: parts.join('\n\n') || 'none found' };
});

const endLoad = loadText();
const minutes = (performance.now() - started) / 60_000;

// --- Output -----------------------------------------------------------------------------------
const machineLine = `${machine.cores} cores (${machine.cpuModel}), ${machine.memoryGiB.toFixed(1)} GiB memory, Node ${machine.node}, ${machine.os}`;
const commitLine = `${machine.commit}${machine.dirty ? ' (with uncommitted changes in tracked files)' : ''}`;
const noisy = sections.filter((s) => s.busy).map((s) => figureId(s.title));
const busy = noisy.length > 0 || machine.load[0] > LOAD_LIMIT;
const targetHeader = ['target', 'measured', 'verdict', 'load (1 min) during the figure'];

const text = [];
text.push(`apinizer-gitops benchmarks, ${machine.date}`);
text.push(`machine: ${machineLine}`);
text.push(
  `commit: ${commitLine}; runs per figure: ${config.runs}${config.quick ? ' (BENCH_QUICK: small sizes, figures not meaningful)' : ''}; took ${minutes.toFixed(1)} min`,
);
for (const s of sections) {
  text.push('', `== ${s.title} (load average ${s.load})`);
  if (s.table) text.push(textTable(...s.table));
  if (s.text) text.push(s.text);
  if (!s.table && !s.text) text.push(s.intro);
}
text.push('', '== Targets', textTable(targetHeader, targets));
if (busy) {
  text.push(
    '',
    `!! LOAD AVERAGE OVER ${LOAD_LIMIT} during ${noisy.length > 0 ? `figures ${noisy.join(', ')}` : 'the start'}: those figures are NOT evidence; re-run them on a quiet machine (BENCH_ONLY=...).`,
  );
}
process.stdout.write(`${text.join('\n')}\n`);

const md = [];
md.push('# Benchmark results', '');
md.push('Written by `npm run bench` (bench/run.mjs); how to read and re-run them: [bench/README.md](README.md).', '');
md.push(`- Date: ${machine.date}`);
md.push(`- Machine: ${machineLine}`);
md.push(`- Commit: ${commitLine}`);
md.push(
  `- Runs per figure: ${config.runs} (median, with min and max)${config.quick ? '. **BENCH_QUICK: small sizes, these figures are only a check that the bench works.**' : ''}`,
);
md.push(
  `- Load average (1, 5, 15 min) at the start: ${loadText(machine.load)}; at the end: ${endLoad}. The whole bench took ${minutes.toFixed(1)} minutes.`,
);
if (busy) {
  md.push(
    `- **NOT EVIDENCE: the 1-minute load average was over ${LOAD_LIMIT} on these ${machine.cores} cores during ${noisy.length > 0 ? `figures ${noisy.join(', ')}` : 'the start'}** ` +
      '(see the load of each figure): wall times there measure the neighbours as much as the code. Re-run them on a quiet machine.',
  );
}
md.push('', '## Targets', '', markdownTable(targetHeader, targets));
for (const s of sections) {
  md.push('', `## ${s.title}`, '', `Load average (1 min): ${s.load}; took ${s.seconds.toFixed(0)} s.`, '', s.intro);
  if (s.table) md.push('', markdownTable(...s.table));
  if (s.text) md.push('', '```', s.text, '```');
}
if (config.quick) {
  say('BENCH_QUICK: figures of small sizes only check that the bench works; bench/RESULTS.md is left as it was');
} else if (only) {
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const note =
    `- Figures ${[...only].join(', ')} measured alone (BENCH_ONLY) on ${machine.date} at commit ${commitLine}, ` +
    `load average ${loadText(machine.load)} at the start and ${endLoad} at the end; the rest is from the run above.`;
  await writeFile(path, mergeResults(await readFile(path, 'utf8').catch(() => md.join('\n')), sections, targets, note));
} else {
  await writeFile(join(ROOT, 'bench', 'RESULTS.md'), `${md.join('\n')}\n`);
}
if (!config.quick) say(`wrote bench/RESULTS.md (${minutes.toFixed(1)} min)`);

/**
 * RESULTS.md with the sections of a BENCH_ONLY run put in: a section with the same title is
 * replaced, a new one goes after the section of its figure's number (1b after 1.); target rows
 * replace the row with the same target text or join the end of the targets table.
 */
function mergeResults(old, newSections, newTargets, note) {
  const blocks = old.replace(/\n+$/, '').split(/\n(?=## )/);
  const sectionMd = (s) =>
    [
      `## ${s.title}`,
      '',
      `Load average (1 min): ${s.load}; took ${s.seconds.toFixed(0)} s.`,
      '',
      s.intro,
      ...(s.table ? ['', markdownTable(...s.table)] : []),
      ...(s.text ? ['', '```', s.text, '```'] : []),
      '',
    ].join('\n');
  for (const s of newSections) {
    const at = blocks.findIndex((b) => b.startsWith(`## ${figureId(s.title)}.`));
    if (at >= 0) {
      blocks[at] = sectionMd(s);
      continue;
    }
    const base = figureId(s.title).replace(/[a-z]+$/, '');
    let after = blocks.findLastIndex((b) => new RegExp(`^## ${base}[a-z]*\\.`).test(b));
    if (after < 0) after = blocks.length - 1;
    blocks.splice(after + 1, 0, sectionMd(s));
  }
  // A page without a targets table (no full run yet) gets one, right after its head.
  if (newTargets.length > 0 && !blocks.some((b) => b.startsWith('## Targets'))) {
    blocks.splice(1, 0, ['## Targets', '', markdownTable(targetHeader, []), ''].join('\n'));
  }
  const t = blocks.findIndex((b) => b.startsWith('## Targets'));
  if (t >= 0) {
    const lines = blocks[t].split('\n');
    for (const row of newTargets) {
      const line = markdownTable(targetHeader, [row]).split('\n')[2];
      const i = lines.findIndex((l) => l.startsWith(`| ${row[0].replace(/\|/g, '\\|')} |`));
      if (i >= 0) lines[i] = line;
      else lines.splice(lines.findLastIndex((l) => l.startsWith('|')) + 1, 0, line);
    }
    blocks[t] = lines.join('\n');
  }
  // The flag of the page says which figures on it now were taken over the limit: a figure
  // measured again on a quiet machine is no longer one of them.
  const stillNoisy = blocks
    .filter((b) => /^## \S+\. /.test(b) && /^Load average \(1 min\):.*NOT EVIDENCE/m.test(b))
    .map((b) => figureId(b.slice(3, b.indexOf('\n'))));
  const head = blocks[0]
    .replace(/\n+$/, '')
    .split('\n')
    .filter((l) => !l.startsWith('- **NOT EVIDENCE'));
  // After the last note, or at the end of the head (never above its title).
  const lastNote = head.findLastIndex((l) => l.startsWith('- '));
  const notes = [note];
  if (stillNoisy.length > 0) {
    notes.push(
      `- **NOT EVIDENCE: the 1-minute load average was over ${LOAD_LIMIT} during figures ${stillNoisy.join(', ')}** ` +
        '(see the load of each figure): wall times there measure the neighbours as much as the code. Re-run them on a quiet machine.',
    );
  }
  head.splice(lastNote >= 0 ? lastNote + 1 : head.length, 0, ...(lastNote >= 0 ? notes : ['', ...notes]));
  head.push('');
  blocks[0] = head.join('\n');
  return `${blocks.join('\n').replace(/\n+$/, '')}\n`;
}
