#!/usr/bin/env node
// The process entry point: signals and streams wired to runCli, and the only process.exit.
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
  // A reader that goes away (`plan | head -1`) is not an error of ours: stop writing to that
  // stream, without a stack trace, and let the command finish (an apply in progress completes
  // its writes rather than stopping half-way). Any other stream error is reported once on stderr.
  for (const stream of [process.stdout, process.stderr])
    stream.on('error', (err: NodeJS.ErrnoException) => onStreamError(stream, err));
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
  // A stream closed under us never drains: do not wait for it.
  const out = process.stdout;
  if (!out.destroyed && !out.errored && out.writableNeedDrain) {
    await new Promise<void>((resolve) => {
      out.once('drain', resolve);
      out.once('close', resolve);
      out.once('error', resolve);
    });
  }
  process.exit(code);
}

/** Handles an error event of stdout or stderr: EPIPE (the reader left) quietly, anything else once, on stderr. */
function onStreamError(stream: NodeJS.WriteStream, err: NodeJS.ErrnoException): void {
  stream.destroy(); // later writes fail fast through their callbacks instead of queueing
  if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') return;
  if (stream !== process.stderr && !process.stderr.destroyed) {
    process.stderr.write(`apinizer-gitops: cannot write to stdout: ${err.code ?? err.message}\n`);
  }
}

void main();
