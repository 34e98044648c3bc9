// The pino logger factory, with redaction of every credential and secret field name, so no log
// line can carry a token or key material.
import { createRequire } from 'node:module';
import { pino, type Logger } from 'pino';
import type PinoPretty from 'pino-pretty';
import { allKinds, secretFieldsOf } from './kinds/index.js';

export type { Logger } from 'pino';

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

/** The one pino factory: stderr, redaction on, pretty on a TTY unless told otherwise. */
export function createLogger(options: LogOptions = {}): Logger {
  const destination = options.destination ?? process.stderr;
  const isTty = (destination as NodeJS.WriteStream).isTTY === true;
  const format = options.format ?? (isTty ? 'pretty' : 'json');
  const level = options.level ?? process.env.LOG_LEVEL ?? 'info';
  const redact = { paths: redactPaths(), censor: '(sensitive value)' };
  if (format === 'pretty') {
    // pino-pretty as a synchronous stream (not a worker transport) so lines are never lost on exit.
    return pino({ level, redact, base: undefined }, prettyStream(destination));
  }
  return pino({ level, redact, base: undefined, timestamp: pino.stdTimeFunctions.isoTime }, destination);
}

/** pino-pretty is loaded only for a terminal: CI and containers log JSON and skip its start-up cost. */
function prettyStream(destination: NodeJS.WritableStream): NodeJS.WritableStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as typeof PinoPretty;
  const colorize = !process.env.NO_COLOR && (destination as NodeJS.WriteStream).isTTY === true;
  return pretty({ destination, colorize, sync: true, ignore: 'pid,hostname', translateTime: 'HH:MM:ss.l' });
}

/** A logger that drops everything, for pure code under test. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
