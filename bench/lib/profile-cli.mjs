// Profiles one CLI run against the emulator on a generated tree, for finding the cause of a miss:
//   node bench/lib/profile-cli.mjs plan N                 no-op plan (the emulator is seeded first)
//   node bench/lib/profile-cli.mjs apply N [C] [LATENCY]  apply from empty at concurrency C
//   node bench/lib/profile-cli.mjs validate N
// Writes the .cpuprofile under /tmp/apinizer-bench-prof/ and prints the top self and inclusive times.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { timedApply } from './cli.mjs';
import { cliEnvFor, startBenchEmulator } from './emulator.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './manifests.mjs';
import { CLI_BIN, timeChild } from './proc.mjs';
import { topSelfTime } from './profile.mjs';

const [command = 'plan', n = '10000', c = '16', latency = '0'] = process.argv.slice(2);
const out = '/tmp/apinizer-bench-prof';
await rm(out, { recursive: true, force: true });
await mkdir(out, { recursive: true });
const root = await tempDir();
const dir = join(root, 'manifests');
await writeManifestTree(dir, { resources: Number(n) });
const emulator = await startBenchEmulator();
try {
  if (command === 'plan') await timedApply(emulator, dir, { concurrency: 16 });
  emulator.configure({ latencyMs: Number(latency) });
  const args =
    command === 'apply'
      ? ['apply', dir, '--concurrency', c, '--format', 'json']
      : command === 'plan'
        ? ['plan', dir]
        : ['validate', dir];
  const run = await timeChild(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${out}`, CLI_BIN, ...args], {
    env: cliEnvFor(emulator, manifestEnv(dir)),
  });
  console.log(
    `${command} ${n}: exit ${run.code}, wall ${Math.round(run.ms)} ms, CPU ${Math.round(run.cpuMs ?? NaN)} ms, peak RSS ${((run.maxRssKb ?? NaN) / 1024).toFixed(1)} MB`,
  );
  const file = join(
    out,
    (await readdir(out)).find((f) => f.endsWith('.cpuprofile')),
  );
  const profile = JSON.parse(await readFile(file, 'utf8'));
  const show = (rows) =>
    rows
      .map(
        (r) => `${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}  ${r.where}`,
      )
      .join('\n');
  console.log(`\nself time:\n${show(topSelfTime(profile, 25))}`);
  const skip = /node:internal|dist\/(parse|compose|nodes|doc|schema)\//;
  console.log(
    `\ninclusive (yaml internals and Node internals left out):\n${show(
      topSelfTime(profile, 80, true)
        .filter((r) => !skip.test(r.where))
        .slice(0, 30),
    )}`,
  );
  console.log(`\nprofile: ${file}`);
} finally {
  await emulator.close();
  await removeTree(root);
}
