import { fileURLToPath } from 'node:url';
import { runProcess, type ProcessOptions, type ProcessRun } from './process.js';
import { runCliInProcess } from './run-cli.js';

/** The built CLI launcher, exactly as `npx apinizer-gitops` runs it. */
export const CLI_BIN = fileURLToPath(new URL('../../bin/apinizer-gitops.js', import.meta.url));

export type CliRun = ProcessRun;

export interface CliOptions extends Omit<ProcessOptions, 'env'> {
  /** Added to a clean environment (PATH, HOME, and nothing from APINIZER_*, LOG_*, GITHUB_*). */
  env?: Record<string, string | undefined>;
}

/** The environment a CLI run gets: PATH, HOME, TMPDIR, SYSTEMROOT from this process, then `extra`. */
export function cleanEnv(extra: Record<string, string | undefined> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const k of ['PATH', 'HOME', 'TMPDIR', 'SYSTEMROOT']) {
    const v = process.env[k];
    if (v !== undefined) env[k] = v;
  }
  for (const [k, v] of Object.entries(extra)) if (v !== undefined) env[k] = v;
  return env;
}

/** Runs the real CLI in a child process and collects its output and exit status. */
export function runCliProcess(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return runProcess(process.execPath, [CLI_BIN, ...args], { ...options, env: cleanEnv(options.env) });
}

/**
 * The same run as runCliProcess, in this process through runCli (the seam the binary's main uses):
 * same arguments, working directory and clean environment, no child process to start. For tests
 * that check what a command does and prints; those that need the real process (exit through
 * process.exit, signals, stdin, EPIPE, the launcher) spawn with runCliProcess.
 */
export async function runCliHere(args: string[], options: Pick<CliOptions, 'cwd' | 'env'> = {}): Promise<CliRun> {
  const run = await runCliInProcess(args, { cwd: options.cwd ?? process.cwd(), env: cleanEnv(options.env) });
  return { ...run, signal: null };
}
