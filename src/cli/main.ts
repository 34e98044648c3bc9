#!/usr/bin/env node
import { exitCodeForSignal } from './command.js';
import { runCli } from './run.js';

/** How long after the first signal the process waits for the command before it exits anyway. */
const SIGNAL_GRACE_MS = 15_000;

/** The process entry: wires signals and streams to runCli; the only place that calls process.exit. */
async function main(): Promise<void> {
  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (received) {
      process.exit(exitCodeForSignal(sig)); // second signal: stop now
    }
    received = sig;
    controller.abort(new Error(sig));
    // If the command does not finish within the grace period, stop anyway.
    setTimeout(() => process.exit(exitCodeForSignal(sig)), SIGNAL_GRACE_MS).unref();
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  const code = await runCli(process.argv.slice(2), {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    cwd: process.cwd(),
    signal: controller.signal,
    signalName: () => received,
  });
  // Let stdout drain (a large plan piped to a file) before leaving.
  process.exitCode = code;
  await new Promise<void>((resolve) => (process.stdout.writableNeedDrain ? process.stdout.once('drain', resolve) : resolve()));
  process.exit(code);
}

void main();
