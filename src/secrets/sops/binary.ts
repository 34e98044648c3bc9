// I/O: the `sops` binary, for files whose data key only sops can unwrap (PGP, KMS, Vault, Shamir key
// groups). The plaintext comes back through a pipe (sops' stdout) into memory and nowhere else:
// never a temporary file. Only public facts of sops' error output are passed on (first line, clipped).
import { spawn } from 'node:child_process';

/** The plaintext YAML of the file, or why sops could not give it. */
export type SopsBinaryOutcome = { ok: true; text: string } | { ok: false; missing: boolean; message: string };

/** Longest time one `sops` run may take (a KMS call can be slow; a hung agent must not hang a run). */
const SOPS_TIMEOUT_MS = 60_000;
/** Largest plaintext accepted: manifests are at most a few MiB (the manifest limit is 1 MiB by default). */
const MAX_OUTPUT_BYTES = 64 * 1024 * 1024;

/** Runs `sops --decrypt` on the file, YAML in and out (sops' JSON is YAML too), reading stdout only. */
export function decryptWithSopsBinary(path: string, env: NodeJS.ProcessEnv): Promise<SopsBinaryOutcome> {
  return new Promise((resolveOutcome) => {
    let settled = false;
    const done = (outcome: SopsBinaryOutcome) => {
      if (settled) return;
      settled = true;
      resolveOutcome(outcome);
    };
    const child = spawn('sops', ['--decrypt', '--input-type', 'yaml', '--output-type', 'yaml', path], {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: SOPS_TIMEOUT_MS,
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      outBytes += chunk.length;
      if (outBytes > MAX_OUTPUT_BYTES) {
        child.kill();
        done({ ok: false, missing: false, message: 'sops wrote more than 64 MiB; this is not a manifest' });
        return;
      }
      out.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (err.length < 4096) err += chunk.toString('utf8');
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      done(
        e.code === 'ENOENT'
          ? { ok: false, missing: true, message: 'the sops binary is not on PATH' }
          : { ok: false, missing: false, message: `the sops binary could not be run (${e.code ?? e.message})` },
      );
    });
    child.on('close', (code, signal) => {
      if (code === 0) {
        done({ ok: true, text: Buffer.concat(out).toString('utf8') });
        return;
      }
      const first = err.split('\n').find((l) => l.trim() !== '') ?? '';
      const clipped = first.length > 160 ? `${first.slice(0, 160)}…` : first;
      done({
        ok: false,
        missing: false,
        message: `sops failed (${signal ? `killed by ${signal}` : `exit status ${code ?? '?'}`})${clipped ? `: ${clipped.trim()}` : ''}`,
      });
    });
  });
}
