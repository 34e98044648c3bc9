// Timing a child process and its peak resident memory. Wall time is taken here, from spawn to
// exit. Peak RSS is the kernel's own high-water mark: through `/usr/bin/time -f %M` (getrusage
// ru_maxrss of the child, exact) when that exists, else by sampling VmHWM in /proc/PID/status
// every 10 ms (VmHWM only grows, so the last sample before exit is at most 10 ms stale).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built CLI launcher, as `npx apinizer-gitops` runs it. */
export const CLI_BIN = join(ROOT, 'bin', 'apinizer-gitops.js');

const GNU_TIME = '/usr/bin/time';
/** How peak RSS is measured on this machine, for the results page. */
export const RSS_METHOD = existsSync(GNU_TIME)
  ? '/usr/bin/time -f %M (getrusage ru_maxrss of the child)'
  : 'VmHWM from /proc/PID/status, sampled every 10 ms';

/** A clean environment for the CLI: PATH, HOME, TMPDIR only, plus `extra` (nothing from APINIZER_*). */
export function cleanEnv(extra = {}) {
  const env = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'LANG']) if (process.env[k] !== undefined) env[k] = process.env[k];
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = String(v);
  return env;
}

async function vmHwmKb(pid) {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+) kB/m.exec(status);
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `command args` and resolves {ms, code, signal, stdout, stderr, maxRssKb, cpuMs} (cpuMs:
 * user + system CPU time, only through /usr/bin/time: on a busy machine it shows how much of the
 * wall time was waiting for a core). Never rejects
 * for a non-zero exit: the caller decides what an exit code means. `timeoutMs` kills the child.
 */
export async function timeChild(command, args, options = {}) {
  const useTime = options.rss !== false && existsSync(GNU_TIME);
  const dir = useTime ? await mkdtemp(join(tmpdir(), 'bench-time-')) : undefined;
  const timeFile = dir ? join(dir, 'rss') : undefined;
  const [cmd, argv] = useTime ? [GNU_TIME, ['-f', '%M %U %S', '-o', timeFile, command, ...args]] : [command, args];
  try {
    return await new Promise((resolve, reject) => {
      const start = performance.now();
      const child = spawn(cmd, argv, {
        cwd: options.cwd ?? ROOT,
        env: options.env ?? cleanEnv(),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
      child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
      let sampled;
      const sampler =
        !useTime && options.rss !== false
          ? setInterval(() => {
              void vmHwmKb(child.pid).then((kb) => {
                if (kb !== undefined) sampled = Math.max(sampled ?? 0, kb);
              });
            }, 10)
          : undefined;
      const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 600_000);
      options.onSpawn?.(child);
      child.on('error', reject);
      child.on('close', (code, signal) => {
        const ms = performance.now() - start;
        clearTimeout(timer);
        if (sampler) clearInterval(sampler);
        resolve({ ms, code, signal, stdout, stderr, maxRssKb: sampled });
      });
    }).then(async (r) => {
      if (!timeFile) return r;
      const text = await readFile(timeFile, 'utf8').catch(() => '');
      // GNU time writes "Command exited with non-zero status N" before the figures on failure.
      const [kb, user, sys] = (text.trim().split('\n').pop() ?? '').split(' ').map(Number);
      return {
        ...r,
        maxRssKb: Number.isFinite(kb) && kb > 0 ? kb : undefined,
        cpuMs: Number.isFinite(user) && Number.isFinite(sys) ? (user + sys) * 1000 : undefined,
      };
    });
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

/** Runs the built CLI (`node bin/apinizer-gitops.js ...args`) under timeChild. */
export function timeCli(args, options = {}) {
  return timeChild(process.execPath, [...(options.nodeArgs ?? []), CLI_BIN, ...args], options);
}

/** Throws with the child's stderr when it did not exit with one of `codes`. */
export function expectExit(run, codes, what) {
  if (!codes.includes(run.code)) {
    throw new Error(
      `${what}: exit ${run.code ?? run.signal}, expected ${codes.join(' or ')}\n${run.stderr.slice(-2000)}${run.stdout.slice(-1000)}`,
    );
  }
  return run;
}
