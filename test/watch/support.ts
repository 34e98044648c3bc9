// Shared by the watch tests: a manifest tree whose every resource lives in its own file with a
// version marker, `watch` running (in process through runCli, or the built CLI as a child process)
// with its JSON log lines readable as they come, and polling with a deadline (never a fixed sleep as an assertion).
import { existsSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { expect } from 'vitest';
import type { RunningEmulator } from '../../src/emulator/index.js';
import { cleanEnv, runCliProcess, type CliRun } from '../support/cli.js';
import { runCliInProcess } from '../support/run-cli.js';

/** A token distinctive enough that finding it in any output proves a leak. */
export const TOKEN = 'tok-watch-tests-51c9e0-Qx7';

/** Secret material: inline base64 public key, fromEnv private key, fromFile keystore. */
export const SECRETS = {
  publicKey: '-----BEGIN PUBLIC KEY-----\nWATCHTEST-PUBLIC-aa17\n-----END PUBLIC KEY-----\n',
  privateKey: '-----BEGIN PRIVATE KEY-----\nWATCHTEST-PRIVATE-SECRET-4e2b\n-----END PRIVATE KEY-----\n',
  keystore: 'WATCHTEST-KEYSTORE-BYTES-77d0',
};

const b64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

/**
 * A Key manifest. The description is deliberately the LAST line: a file caught half-written
 * loses it (missing equals empty), so a write carrying a half file is visible on the server.
 */
export function keyManifest(
  name: string,
  description: string,
  options: { environments?: string[]; project?: string } = {},
): string {
  const envs = options.environments ?? ['production'];
  return [
    'apiVersion: apinizer-gitops/v1',
    'kind: Key',
    'metadata:',
    `  name: ${name}`,
    `  project: ${options.project ?? 'Payments'}`,
    'spec:',
    '  keyType: RSA',
    '  environments:',
    ...envs.flatMap((env) => [
      `    - name: ${env}`,
      `      publicKey: ${b64(SECRETS.publicKey)}`,
      '      privateKey: { fromEnv: WATCH_TEST_PRIVATE_KEY, encoding: utf8 }',
    ]),
    `  description: ${description}`,
    '',
  ].join('\n');
}

/** A Keystore manifest (under manifests/keystores/) reading its file from manifests/secrets/store.p12. */
export function keystoreManifest(name: string, description: string): string {
  return [
    'apiVersion: apinizer-gitops/v1',
    'kind: Keystore',
    'metadata:',
    `  name: ${name}`,
    '  project: Payments',
    'spec:',
    '  environments:',
    '    - name: production',
    '      type: PKCS12',
    '      file: { fromFile: ../secrets/store.p12 }',
    `  description: ${description}`,
    '',
  ].join('\n');
}

/** `keys` Key files and one Keystore file under `manifests/`, each resource in its own file. */
export function watchTree(keys = 3, description = 'v1'): Record<string, string | Uint8Array> {
  const files: Record<string, string | Uint8Array> = {
    'manifests/secrets/store.p12': Buffer.from(SECRETS.keystore, 'utf8'),
    'manifests/keystores/store-000.yaml': keystoreManifest('store-000', description),
  };
  for (let i = 0; i < keys; i++) files[`manifests/keys/${keyName(i)}.yaml`] = keyManifest(keyName(i), description);
  return files;
}

export function keyName(i: number): string {
  return `key-${String(i).padStart(3, '0')}`;
}

/** Writes one Key manifest file under `dir/manifests/keys/`. */
export function writeKey(
  dir: string,
  name: string,
  description: string,
  options: { environments?: string[] } = {},
): void {
  writeFileSync(join(dir, 'manifests', 'keys', `${name}.yaml`), keyManifest(name, description, options));
}

/** Every string whose presence in an output would be a leak. */
export function expectNoLeak(...outputs: string[]): void {
  const all = outputs.join('\n');
  const needles = [TOKEN];
  for (const text of Object.values(SECRETS)) needles.push(text.split('\n')[1] ?? text, b64(text));
  for (const needle of needles)
    expect(all.includes(needle), `output contains ${JSON.stringify(needle.slice(0, 12))}...`).toBe(false);
}

/** Polls `check` until it returns a truthy value or the deadline passes (then fails with `what`). */
export async function eventually<T>(
  what: string,
  check: () => T | Promise<T>,
  timeoutMs = 15_000,
  everyMs = 25,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline)
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (last error: ${last.message})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export type LogLine = Record<string, unknown> & { msg: string; level: number };

/** A running `apinizer-gitops watch`: a child process, or a runCli call in this process. */
export interface WatchProcess {
  /** Whether the watch is still running (it has not exited by itself nor been stopped). */
  running(): boolean;
  /** Every JSON log line so far. */
  lines(): LogLine[];
  /** Raw stderr so far. */
  stderr(): string;
  /** Waits for a log line matching the predicate; returns it. */
  waitForLine(what: string, match: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  /** Waits for the n-th (1-based) cycle summary line matching, counting from the start. */
  cycles(): LogLine[];
  /** The metrics port (after startup). */
  metricsPort(): Promise<number>;
  /** Sends the signal (in process: aborts the run's signal, named so) and resolves with the exit. */
  stop(signal?: 'SIGINT' | 'SIGTERM'): Promise<CliRun>;
  /** Resolves when the process exits by itself. */
  exited: Promise<CliRun>;
}

export interface StartWatchOptions {
  /**
   * Run the built CLI in a child process (real signals, the launcher) instead of runCli in this
   * process; the lifecycle tests do, the others need only the command's behaviour.
   */
  spawn?: boolean;
}

/** Starts `watch manifests ...args` in `dir` against the emulator. */
export function startWatch(
  emulator: RunningEmulator,
  dir: string,
  args: string[],
  env: Record<string, string> = {},
  options: StartWatchOptions = {},
): WatchProcess {
  let child: ChildProcess | undefined;
  let raw = '';
  const parsed: LogLine[] = [];
  let partial = '';
  const onStderr = (text: string) => {
    raw += text;
    partial += text;
    const parts = partial.split('\n');
    partial = parts.pop() ?? '';
    for (const line of parts) {
      if (!line.startsWith('{')) continue;
      try {
        parsed.push(JSON.parse(line) as LogLine);
      } catch {
        // not a log line
      }
    }
  };
  const argv = ['watch', 'manifests', ...args];
  const fullEnv = {
    APINIZER_URL: emulator.url,
    APINIZER_TOKEN: TOKEN,
    WATCH_TEST_PRIVATE_KEY: SECRETS.privateKey,
    ...env,
  };
  const stopper = new AbortController();
  let stopSignal: 'SIGINT' | 'SIGTERM' = 'SIGTERM';
  let done = false;
  const exited = (
    options.spawn
      ? runCliProcess(argv, {
          cwd: dir,
          timeoutMs: 120_000,
          env: fullEnv,
          onSpawn: (c) => {
            child = c;
            c.stderr?.on('data', (d: string | Buffer) => onStderr(String(d)));
          },
        })
      : runCliInProcess(argv, {
          cwd: dir,
          env: cleanEnv(fullEnv),
          signal: stopper.signal,
          get signalName() {
            return stopSignal;
          },
          onStderr,
        }).then((r) => ({ ...r, signal: null }))
  ).finally(() => {
    done = true;
  });
  const proc: WatchProcess = {
    running: () => !done,
    lines: () => parsed,
    stderr: () => raw,
    cycles: () => parsed.filter((l) => typeof l.cycle === 'number' && typeof l.result === 'string'),
    waitForLine: (what, match, timeoutMs = 20_000) =>
      eventually(`log line: ${what}\n--- stderr so far:\n${raw.slice(-3000)}`, () => parsed.find(match), timeoutMs),
    metricsPort: async () => {
      const line = await proc.waitForLine(
        'metrics port',
        (l) => typeof l.port === 'number' && l.msg.includes('/healthz'),
      );
      return line.port as number;
    },
    stop: async (signal = 'SIGTERM') => {
      stopSignal = signal;
      if (child) child.kill(signal);
      else stopper.abort();
      return exited;
    },
    exited,
  };
  return proc;
}

/** Waits for the cycle summary line of the start's full apply, and that it succeeded. */
export async function startedOk(w: WatchProcess): Promise<void> {
  const line = await w.waitForLine(
    'the start cycle',
    (l) => l.trigger === 'start' && typeof l.result === 'string',
    30_000,
  );
  expect(line.result, w.stderr()).toBe('ok');
}

/** GET a path of the metrics server: status and body. */
export async function getMetrics(
  port: number,
  path: '/healthz' | '/metrics',
): Promise<{ status: number; body: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: res.status, body: await res.text() };
}

/** The value of one sample in Prometheus text, e.g. sample(text, 'apinizer_gitops_cycles_total{result="ok"}'). */
export function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

/** Description of a Key on the emulator (undefined when absent). */
export function descriptionOn(
  emulator: RunningEmulator,
  name: string,
  kind: 'Key' | 'Keystore' = 'Key',
): string | undefined {
  const o = emulator.store.get('Payments', kind, name);
  return o === undefined ? undefined : typeof o.description === 'string' ? o.description : '';
}

/** The list routes in the emulator's counts (a watch change cycle must make none). */
export function listCalls(emulator: RunningEmulator): number {
  const by = emulator.stats().byRoute;
  return (by['GET /apiops/projects/{project}/keys/'] ?? 0) + (by['GET /apiops/projects/{project}/keystores/'] ?? 0);
}

let kubeletCounter = 0;

/**
 * Updates `dir` as the kubelet updates a ConfigMap or Secret volume (its AtomicWriter), step by
 * step: the payload is written into a new `..YYYY_MM_DD_hh_mm_ss.N` folder, a `..data_tmp` symlink
 * to it is renamed over `..data`, the user-visible `name -> ..data/name` links are made for new
 * names, and the old folder is removed. The first call creates the volume.
 */
export function kubeletWrite(dir: string, payload: Record<string, string | Uint8Array>): void {
  mkdirSync(dir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[-T:]/g, '_').replace(/\..*$/, '');
  const fresh = `..${stamp}.${process.pid}${String(kubeletCounter++).padStart(6, '0')}`;
  mkdirSync(join(dir, fresh));
  for (const [name, content] of Object.entries(payload)) writeFileSync(join(dir, fresh, name), content);
  const dataLink = join(dir, '..data');
  const old = existsSync(dataLink) ? readlinkSync(dataLink) : null;
  symlinkSync(fresh, join(dir, '..data_tmp'));
  renameSync(join(dir, '..data_tmp'), dataLink);
  for (const name of Object.keys(payload)) {
    if (!existsSync(join(dir, name))) symlinkSync(join('..data', name), join(dir, name));
  }
  if (old !== null) rmSync(join(dir, old), { recursive: true, force: true });
}
