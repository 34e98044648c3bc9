// What the figures were measured on: they mean little without it.
import { execFileSync } from 'node:child_process';
import { cpus, loadavg, totalmem, freemem, release, platform } from 'node:os';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

function git(args) {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return '';
  }
}

/** Cores, CPU model, memory, Node version, OS, load average and the commit (with a dirty flag). */
export function machineInfo() {
  const cpu = cpus();
  const dirty = git(['status', '--porcelain', '--untracked-files=no']) !== '';
  return {
    date: new Date().toISOString(),
    cores: cpu.length,
    cpuModel: cpu[0]?.model?.trim() ?? 'unknown',
    memoryGiB: totalmem() / 1024 ** 3,
    freeMemoryGiB: freemem() / 1024 ** 3,
    node: process.version,
    os: `${platform()} ${release()}`,
    commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
    dirty,
    load: loadavg(),
  };
}

/** The load average (1, 5, 15 min) as "1.23 0.98 0.50". */
export function loadText(load = loadavg()) {
  return load.map((x) => x.toFixed(2)).join(' ');
}
