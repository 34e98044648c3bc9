// The pino logger factory, with redaction of every credential and secret field name, so no log
// line can carry a token or key material.
import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type * as Pino from 'pino';
import type PinoPretty from 'pino-pretty';
import { allKinds, secretFieldsOf } from './kinds/index.js';

export type { Logger } from 'pino';

const require = createRequire(import.meta.url);

export type LogFormat = 'json' | 'pretty';

export interface LogOptions {
  level?: string;
  format?: LogFormat;
  /** Where log lines go; stderr by default (stdout carries the plan or report). */
  destination?: NodeJS.WritableStream;
}

/** Names of credentials, hidden in every log object wherever they occur. */
const CREDENTIAL_NAMES = ['token', 'authorization', 'password', 'client_secret', 'access_token'];

/**
 * Paths pino blanks out wherever they occur in a log object: credentials and every secret field
 * of every kind (its descriptor's `redactNames`). Secrets are also wrapped in `Secret` (prints
 * `(sensitive value)`); this is the second belt.
 */
export function redactPaths(): string[] {
  const names = new Set([
    ...CREDENTIAL_NAMES,
    ...allKinds().flatMap((d) => [...d.redactNames, ...secretFieldsOf(d).map((f) => f.name)]),
  ]);
  return [...names].flatMap((n) => [n, `*.${n}`]).concat(['headers.authorization', '*.headers.authorization']);
}

/** pino's numbered levels, for deciding without pino whether a line would be written. */
const LEVEL_VALUES: Readonly<Record<string, number>> = {
  trace: 10,
  debug: 20,
  info: 30,
  warn: 40,
  error: 50,
  fatal: 60,
  silent: Number.POSITIVE_INFINITY,
};

/**
 * The one pino factory: stderr, redaction on, pretty on a TTY unless told otherwise. pino and its
 * dependencies are loaded at the first line written, not here: a plan or validate at the default
 * level writes none, and loading them was a tenth of a small run's start-up. Until then a call
 * below the level is a no-op decided here, with pino's own numbers.
 */
export function createLogger(options: LogOptions = {}): Logger {
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const threshold = LEVEL_VALUES[level];
  // A level pino does not know: let pino refuse it now, as it always did.
  if (threshold === undefined) return makePino(options, level);
  let real: Logger | undefined;
  const load = () => (real ??= makePino(options, level));
  const skip = () => undefined;
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (typeof prop === 'string') {
        const value = LEVEL_VALUES[prop];
        if (value !== undefined && prop !== 'silent') {
          if (value < threshold) return skip;
          const logger = load();
          return logger[prop as 'info'].bind(logger);
        }
        if (prop === 'level' && real === undefined) return level;
      }
      const logger = load();
      const member: unknown = Reflect.get(logger, prop);
      return typeof member === 'function' ? (member as (...args: unknown[]) => unknown).bind(logger) : member;
    },
  });
}

function makePino(options: LogOptions, level: string): Logger {
  const { pino } = require('pino') as typeof Pino;
  const destination = options.destination ?? process.stderr;
  const isTty = (destination as NodeJS.WriteStream).isTTY === true;
  const format = options.format ?? (isTty ? 'pretty' : 'json');
  const redact = { paths: redactPaths(), censor: '(sensitive value)' };
  if (format === 'pretty') {
    // pino-pretty as a synchronous stream (not a worker transport) so lines are never lost on exit.
    return pino({ level, redact, base: undefined }, prettyStream(destination));
  }
  return pino({ level, redact, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** pino-pretty is loaded only for a terminal: CI and containers log JSON and skip its start-up cost. */
function prettyStream(destination: NodeJS.WritableStream): NodeJS.WritableStream {
  const pretty = require('pino-pretty') as typeof PinoPretty;
  const colorize = !process.env.NO_COLOR && (destination as NodeJS.WriteStream).isTTY === true;
  return pretty({ destination, colorize, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' });
}

/** A logger that drops everything, for pure code under test. */
export function silentLogger(): Logger {
  return createLogger({ level: 'silent' });
}
