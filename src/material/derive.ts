/**
 * Material checks bounded in time (SPEC §2c). Opening a PKCS12 store means deriving keys from its
 * password, as many iterations as the file asks for: a 2.6 KB file can ask for millions, which is
 * seconds of CPU per (file, password), and in watch a blocked event loop (`/healthz` stops
 * answering). So before the (synchronous) checks run, this step opens each current-form PKCS12
 * store, and every derivation over INLINE_ROUNDS is
 *
 *   - estimated first: one that would not fit what is left of the file's or the run's budget is
 *     not computed at all, and the check reports the file at once (`keystore-check-budget`);
 *   - otherwise computed off the main thread (PBKDF2 on libuv's pool, the PKCS#12 KDF's hashing in
 *     a worker thread, stopped when the budget runs out) and kept for the check, which then opens
 *     the store without cost.
 */
import { pbkdf2 } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import {
  type DerivationRequest,
  INLINE_ROUNDS,
  type IterateStep,
  iterateHash,
  pkcs12KdfSteps,
  rememberDerivation,
} from './forge.js';
import { detectKeystoreFormat, openKeystore } from './keystore.js';
import type { MaterialValue } from './types.js';

/** Time the checks may spend on key derivation: per store and password, and per run. */
export interface DerivationBudget {
  perFileMs: number;
  perRunMs: number;
}

/**
 * A store from keytool or OpenSSL (2,048 to 10,000 iterations) costs milliseconds; two seconds
 * per file is far above any honest store, ten per run bounds a pull request full of crafted ones.
 */
export const DEFAULT_BUDGET: DerivationBudget = { perFileMs: 2_000, perRunMs: 10_000 };

/**
 * Milliseconds per iteration, on the high side (a loaded runner): the PKCS#12 KDF is one hash call
 * per round in JavaScript (about 2 µs, the 10 s for 4.9 million measured on this project's
 * machines), PBKDF2 runs inside OpenSSL.
 */
const MS_PER_ROUND = { pkcs12: 0.002, pbkdf2: 0.001 } as const;

/** Derivations one store may need: MAC, key and IV of each bag, for each password encoding. */
const MAX_STEPS = 16;

/** What a run needs from outside: a monotonic clock (tests stand in for it). */
export interface DeriveOptions {
  budget?: DerivationBudget;
  now?: () => number;
}

/**
 * Computes, within the budget and off the main thread, the costly key derivations the current-form
 * PKCS12 stores among `values` need, so that the synchronous checks that follow open them without
 * cost. A store that does not fit is left as it is: the check reports it as over budget.
 */
export async function deriveCostlyKeys(values: readonly MaterialValue[], options: DeriveOptions = {}): Promise<void> {
  const budget = options.budget ?? DEFAULT_BUDGET;
  const now = options.now ?? (() => performance.now());
  let runLeft = budget.perRunMs;
  // Stores already opened in this run, by content then password: 4,000 values that share a few
  // store files open each (file, password) once. A cheap store's derivations are not kept (only
  // costly ones are), so opening it again would redo them: ~2 ms each, seconds over a tree.
  // Dropped with the run, so no secret outlives it.
  const opened = new Map<string, Set<string>>();
  for (const value of values) {
    const password = value.keystore?.password?.reveal();
    if (value.role !== 'keystore' || value.form !== 'current' || password === undefined) continue;
    const base64 = value.value.reveal();
    let passwords = opened.get(base64);
    if (passwords === undefined) opened.set(base64, (passwords = new Set()));
    if (passwords.has(password)) continue;
    passwords.add(password);
    const bytes = Buffer.from(base64, 'base64');
    if (detectKeystoreFormat(bytes) !== 'PKCS12') continue;
    let fileLeft = budget.perFileMs;
    for (let step = 0; step < MAX_STEPS; step += 1) {
      const attempt = openKeystore(bytes, 'PKCS12', password);
      if (attempt.ok || attempt.reason !== 'costly') break;
      const request = attempt.request;
      const allowed = Math.min(fileLeft, runLeft);
      if (request.iterations * MS_PER_ROUND[request.kind] > allowed) break; // reported by the check
      const started = now();
      const out = await deriveElsewhere(request, allowed);
      const spent = now() - started;
      fileLeft -= spent;
      runLeft -= spent;
      if (out === undefined) break; // ran out of time after all: reported by the check
      rememberDerivation(request, out);
    }
  }
}

/** One derivation off the main thread; undefined when it did not finish within `limitMs`. */
async function deriveElsewhere(request: DerivationRequest, limitMs: number): Promise<Buffer | undefined> {
  if (request.kind === 'pbkdf2') {
    // libuv's pool: the event loop stays free. It cannot be stopped, but the estimate said it fits.
    return new Promise((resolve) => {
      pbkdf2(request.password, request.salt, request.iterations, request.length, request.digest, (err, key) =>
        resolve(err ? undefined : key),
      );
    });
  }
  const deadline = performance.now() + limitMs;
  const steps = pkcs12KdfSteps(request);
  let next = steps.next();
  while (!next.done) {
    const step = next.value;
    const left = deadline - performance.now();
    if (left <= 0) return undefined;
    const a = step.rounds <= INLINE_ROUNDS ? iterateHash(step) : await iterateInWorker(step, left);
    if (a === undefined) return undefined;
    next = steps.next(a);
  }
  return next.value;
}

/**
 * The worker's whole program: the loop of `iterateHash`, which a worker started from source text
 * cannot import (this module may run as TypeScript under a test runner).
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { hash } = require('node:crypto');
parentPort.once('message', ({ digest, first, rounds }) => {
  let a = Buffer.from(first);
  for (let round = 0; round < rounds; round += 1) a = hash(digest, a, 'buffer');
  parentPort.postMessage(a);
});
`;

/** Runs one IterateStep in a worker thread, stopped after `limitMs`; undefined then. */
function iterateInWorker(step: IterateStep, limitMs: number): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    let settled = false;
    const finish = (out: Buffer | undefined) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      resolve(out);
    };
    const timer = setTimeout(() => finish(undefined), Math.max(1, limitMs));
    worker.once('message', (out: Uint8Array) => finish(Buffer.from(out)));
    worker.once('error', () => finish(undefined));
    worker.once('exit', () => finish(undefined));
    worker.postMessage({ digest: step.digest, first: step.first, rounds: step.rounds });
  });
}
