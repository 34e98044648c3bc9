import { spawn, type ChildProcess } from 'node:child_process';

/** How a child process ended, and everything it printed. */
export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ProcessOptions {
  cwd?: string;
  /** The child's whole environment (nothing is inherited). */
  env: Record<string, string | undefined>;
  /** Written to stdin, which is then closed; stdin is closed at once when absent. */
  input?: string;
  /** Called once the child is running, e.g. to send it a signal. */
  onSpawn?: (child: ChildProcess) => void;
  /** Killed with SIGKILL after this long; default 60 s. */
  timeoutMs?: number;
}

/** Runs a program to its end and collects its output: the one spawn helper of the test suite. */
export function runProcess(file: string, args: readonly string[], options: ProcessOptions): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => undefined); // a child that exits without reading stdin
    if (options.input !== undefined) child.stdin.end(options.input);
    else child.stdin.end();
    options.onSpawn?.(child);
  });
}

/** `bash -eo pipefail -c SCRIPT`, as CI runners run a step. */
export function runBash(script: string, options: ProcessOptions): Promise<ProcessRun> {
  return runProcess('bash', ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script], options);
}
