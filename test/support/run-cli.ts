import { Writable } from 'node:stream';
import { runCli } from '../../src/cli/run.js';

/** How an in-process CLI run ended, and everything it printed. */
export interface InProcessRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface InProcessOptions {
  cwd?: string;
  /** The run's whole environment (nothing from this process's); default empty. */
  env?: NodeJS.ProcessEnv;
  /** Whether stdout and stderr claim to be a terminal (colour, progress line); default false. */
  isTTY?: boolean;
  /** Aborted to stand for SIGINT/SIGTERM. */
  signal?: AbortSignal;
  /** Which signal the abort stands for; SIGINT when absent. */
  signalName?: 'SIGINT' | 'SIGTERM';
  /** Told about each stderr write as it happens (a long-running command's log lines). */
  onStderr?: (text: string) => void;
}

/** A stream that keeps what is written to it. */
function collector(isTTY: boolean, onWrite?: (text: string) => void): Writable & { text: string; isTTY: boolean } {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      const text = chunk.toString('utf8');
      stream.text += text;
      onWrite?.(text);
      done();
    },
  }) as Writable & { text: string; isTTY: boolean };
  stream.text = '';
  stream.isTTY = isTTY;
  return stream;
}

/**
 * Runs the CLI in this process through runCli, the seam main.ts uses: the same parsing, help and
 * commands as the binary, without the cost of a child process. Spawn (test/support/cli.ts) only
 * what needs the real process: exit codes from process.exit, signals, the launcher.
 */
export async function runCliInProcess(args: string[], options: InProcessOptions = {}): Promise<InProcessRun> {
  const stdout = collector(options.isTTY ?? false);
  const stderr = collector(options.isTTY ?? false, options.onStderr);
  const code = await runCli(args, {
    stdout,
    stderr,
    env: options.env ?? {},
    cwd: options.cwd ?? process.cwd(),
    signal: options.signal ?? new AbortController().signal,
    signalName: () => (options.signal?.aborted ? (options.signalName ?? 'SIGINT') : null),
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}
