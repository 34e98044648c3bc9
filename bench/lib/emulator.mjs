// The emulator in this process, from the build (`npm run build` first), and the environment that
// points the CLI at it. In-process on purpose: the CLI under test runs as a child, so the two
// share the machine but not an event loop.
import { startEmulator } from '../../dist/emulator/index.js';
import { cleanEnv } from './proc.mjs';

/** The projects the generated manifests use (the emulator's defaults, named here so both agree). */
export const BENCH_PROJECTS = [
  { name: 'Payments', environments: ['production', 'staging', 'test'] },
  { name: 'Identity', environments: ['production', 'test'] },
];

/** Starts an emulator on a free port with the bench projects; `options` are EmulatorOptions. */
export function startBenchEmulator(options = {}) {
  return startEmulator({ projects: BENCH_PROJECTS, ...options });
}

/** The CLI environment for `emulator`: URL, token, JSON logs (parseable, no TTY tricks), `extra`. */
export function cliEnvFor(emulator, extra = {}) {
  return cleanEnv({ APINIZER_URL: emulator.url, APINIZER_TOKEN: emulator.token, LOG_LEVEL: 'warn', ...extra });
}

/** Empties the emulator's store and zeroes its counters (between runs of a figure). */
export function resetEmulator(emulator) {
  emulator.store.clear();
  emulator.resetStats();
}

/** Counts requests by kind of call from a stats snapshot: lists, environments, generation probes, writes by method, gets. */
export function requestCounts(stats) {
  let lists = 0;
  let environments = 0;
  let probes = 0;
  let gets = 0;
  let posts = 0;
  let puts = 0;
  let deletes = 0;
  let other = 0;
  for (const [route, n] of Object.entries(stats.byRoute)) {
    if (/^GET \/apiops\/projects\/\{project\}\/key(store)?s\/$/.test(route)) lists += n;
    else if (route === 'GET /apiops/environments/{project}') environments += n;
    // The generation probe (SPEC §2b): answered 404 by a legacy server, which is then asked the
    // legacy environments route, so a legacy plan makes two environments calls per project.
    else if (route === 'GET /apiops/projects/{project}/environments/') probes += n;
    else if (/^GET .*\{name\}\/$/.test(route)) gets += n;
    else if (route.startsWith('POST /apiops/projects/')) posts += n;
    else if (route.startsWith('PUT ')) puts += n;
    else if (route.startsWith('DELETE ')) deletes += n;
    else other += n;
  }
  return { total: stats.total, lists, environments, probes, gets, posts, puts, deletes, other };
}

/**
 * Watches the emulator's counters every millisecond while a child runs, to split its wall time
 * into start-up (before the first API request arrives) and the API phase (first request to the
 * last answer). Resolution about 1 ms; the poll is a timer in this otherwise idle process.
 * Returns {stop(): {firstAt, lastAt}} with times on performance.now()'s clock (undefined: none seen).
 */
export function trackActivity(emulator) {
  let firstAt;
  let lastAt;
  let seen = emulator.stats().total;
  const timer = setInterval(() => {
    const s = emulator.stats();
    const now = performance.now();
    if (s.total > seen && firstAt === undefined) firstAt = now;
    if (s.total > seen || s.inFlight > 0) lastAt = now;
    seen = s.total;
  }, 1);
  return {
    stop() {
      clearInterval(timer);
      return { firstAt, lastAt };
    },
  };
}
