// The CLI runs the figures share: apply a tree to an emulator, plan it, count retries in the logs.
import { cliEnvFor, trackActivity } from './emulator.mjs';
import { manifestEnv } from './manifests.mjs';
import { expectExit, timeCli } from './proc.mjs';

/**
 * Runs `apinizer-gitops apply DIR --concurrency C --format json` against the emulator and returns
 * the timed run, the emulator's stats over it, the API phase (first request to last answer, see
 * trackActivity) and the parsed report. `codes`: the exit codes that are not a bench failure.
 */
export async function timedApply(emulator, dir, { concurrency, codes = [0], extraArgs = [], env = {} }) {
  emulator.resetStats();
  const activity = trackActivity(emulator);
  const t0 = performance.now();
  const run = await timeCli(['apply', dir, '--concurrency', String(concurrency), '--format', 'json', ...extraArgs], {
    env: cliEnvFor(emulator, { ...manifestEnv(dir), ...env }),
  });
  const { firstAt, lastAt } = activity.stop();
  expectExit(run, codes, `apply --concurrency ${concurrency}`);
  let report;
  try {
    report = JSON.parse(run.stdout);
  } catch {
    report = undefined;
  }
  return {
    ...run,
    stats: emulator.stats(),
    startupMs: firstAt === undefined ? Number.NaN : firstAt - t0,
    apiMs: firstAt === undefined || lastAt === undefined ? Number.NaN : lastAt - firstAt,
    report,
    retries: countRetries(run.stderr),
  };
}

/** Runs `apinizer-gitops plan DIR --detailed-exitcode` (text, as a user runs it) against the emulator. */
export async function timedPlan(emulator, dir, { codes = [0], extraArgs = [] } = {}) {
  emulator.resetStats();
  const activity = trackActivity(emulator);
  const t0 = performance.now();
  const run = await timeCli(['plan', dir, '--detailed-exitcode', ...extraArgs], {
    env: cliEnvFor(emulator, manifestEnv(dir)),
  });
  const { firstAt, lastAt } = activity.stop();
  expectExit(run, codes, 'plan');
  return {
    ...run,
    stats: emulator.stats(),
    startupMs: firstAt === undefined ? Number.NaN : firstAt - t0,
    apiMs: firstAt === undefined || lastAt === undefined ? Number.NaN : lastAt - firstAt,
    summaryLine:
      run.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('Plan:') || l.startsWith('No changes'))
        .pop() ?? '',
  };
}

/** Retries the API client logged ("retrying after a transient failure", JSON log lines on stderr). */
export function countRetries(stderr) {
  let n = 0;
  for (const line of stderr.split('\n')) if (line.includes('retrying after a transient failure')) n++;
  return n;
}
