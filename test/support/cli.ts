import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessOptions, type ProcessRun } from './process.js';

/** The built CLI launcher, exactly as `npx apinizer-gitops` runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/apinizer-gitops.js', import.meta.url));

export type CliRun = ProcessRun;

export interface CliOptions extends Omit<ProcessOptions, 'env'> {
  /** Added to a clean environment (PATH, HOME, and nothing from APINIZER_*, LOG_*, GITHUB_*). */
  env?: Record<string, string | undefined>;
}

/** Runs the real CLI in a child process and collects its output and exit status. */
export function runCliProcess(args: string[], options: CliOptions = {}): Promise<CliRun> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  for (const [k, v] of Object.entries(options.env ?? {})) if (v !== undefined) env[k] = v;
  return runProcess(process.execPath, [CLI_BIN, ...args], { ...options, env });
}
