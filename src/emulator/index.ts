// The emulator's public surface: start one (in process, on a free loopback port) and its types.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { TokenBook } from './auth.js';
import { FaultInjector } from './faults.js';
import { applyOptions, type EmulatorOptions, type Settings } from './options.js';
import { Persister, readDataFile } from './persist.js';
import { createRequestListener, type EmulatorStats, type LoggedRequest, StatsCounter } from './server.js';
import { EmulatorStore } from './store.js';

export type { FaultKind } from './faults.js';
export type { Dialect } from './dialect.js';
export type { EmulatorOptions, EmulatorProject } from './options.js';
export { DEFAULT_PROJECTS, DEFAULT_TOKEN } from './options.js';
export type { EmulatorStats, LoggedRequest } from './server.js';
export type { Generation } from './kinds.js';
export { EmulatorStore, type RawObject, type StoreSnapshot } from './store.js';

/** A started emulator. */
export interface RunningEmulator {
  /** http://HOST:PORT, without /apiops. */
  url: string;
  /** The static bearer token it accepts. */
  token: string;
  stats(): EmulatorStats;
  /** The API requests since start or the last reset (method, path, route, query, status; never bodies). */
  requests(): LoggedRequest[];
  /** Zeroes the stats and empties the request log. */
  resetStats(): void;
  /** Changes options of the running emulator (not port, host or dataFile); a new seed restarts the fault sequence. */
  configure(changes: Partial<EmulatorOptions>): void;
  /**
   * Puts every option back to what the emulator was started with, then applies `changes`; restarts
   * the fault sequence and zeroes the stats. Stored objects stay (`store.clear()` empties them).
   * One call between tests, instead of each test file listing the options earlier tests changed.
   */
  reset(changes?: Partial<EmulatorOptions>): void;
  /** Direct access to the raw API objects: seed data or make drift (persisted like API writes). */
  store: EmulatorStore;
  /** Forgets every token issued by POST /apiops/auth/token; the static token keeps working. */
  revokeTokens(): void;
  /** Stops listening, drops open connections, and writes pending data to `dataFile`. */
  close(): Promise<void>;
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

/** Starts a local Apinizer Management API emulator; resolves once it is listening. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<RunningEmulator> {
  let settings: Settings = applyOptions(undefined, options);
  /** The settings as started, for reset(). */
  const started = settings;
  const store = new EmulatorStore();
  const dataFile = settings.dataFile;
  if (dataFile !== undefined) {
    const data = await readDataFile(dataFile);
    if (data !== undefined) {
      try {
        store.load(data);
      } catch (err) {
        throw new Error(`emulator data file ${dataFile}: ${(err as Error).message}`);
      }
    }
  }
  const persister =
    dataFile === undefined ? undefined : new Persister(dataFile, () => JSON.stringify(store.snapshot()));
  if (persister) store.onChange(() => persister.schedule());

  const stats = new StatsCounter();
  const faults = new FaultInjector(settings.seed);
  const tokens = new TokenBook();
  const timers = new Map<NodeJS.Timeout, (finished: boolean) => void>();
  let closed = false;

  const listener = createRequestListener({
    get settings() {
      return settings;
    },
    store,
    tokens,
    stats,
    faults,
    onWrite: () => stats.writes++,
    isClosed: () => closed,
    delay: (ms) =>
      new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          resolve(true);
        }, ms);
        timers.set(timer, resolve);
      }),
  });
  const server = createServer({ keepAliveTimeout: 10_000 }, listener);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const url = `http://${urlHost(settings.host)}:${address.port}`;

  let closing: Promise<void> | undefined;
  return {
    url,
    get token() {
      return settings.token;
    },
    stats: () => stats.snapshot(),
    requests: () => stats.requestLog().requests,
    resetStats: () => stats.reset(),
    configure(changes) {
      for (const fixed of ['port', 'host', 'dataFile'] as const) {
        if (changes[fixed] !== undefined)
          throw new TypeError(`emulator option ${fixed} cannot be changed while it runs`);
      }
      settings = applyOptions(settings, changes);
      if (changes.seed !== undefined) faults.reseed(settings.seed);
    },
    reset(changes = {}) {
      // The started settings, with the port actually bound (port 0 asked for any free one).
      settings = applyOptions({ ...started, port: settings.port }, changes);
      faults.reseed(settings.seed);
      stats.reset();
    },
    store,
    revokeTokens: () => tokens.revokeAll(),
    close() {
      closing ??= (async () => {
        closed = true;
        for (const [timer, resolve] of timers) {
          clearTimeout(timer);
          resolve(false);
        }
        timers.clear();
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await stopped;
        await persister?.flush();
      })();
      return closing;
    },
  };
}
