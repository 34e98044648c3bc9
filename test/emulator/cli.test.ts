import type { ChildProcess } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type CliRun, runCliHere, runCliProcess } from '../support/cli.js';
import { tempTree } from '../support/tmp.js';
import { currentKeystoreBody, keyBody } from './builders.js';

const URL_LINE = /^Apinizer emulator listening on (http:\/\/127\.0\.0\.1:\d+)$/m;

/**
 * Runs `apinizer-gitops emulator ARGS` in a child process, waits for its URL line, lets `use` talk
 * to it, then sends the signal and returns the finished run.
 */
async function runEmulatorProcess(
  args: string[],
  signal: NodeJS.Signals,
  use: (url: string, output: () => string) => Promise<void>,
  cwd?: string,
): Promise<CliRun> {
  let child: ChildProcess | undefined;
  let output = '';
  const run = runCliProcess(['emulator', ...args], {
    cwd,
    timeoutMs: 20_000,
    onSpawn: (c) => {
      child = c;
      c.stdout?.on('data', (d: Buffer | string) => (output += d.toString()));
    },
  });
  const deadline = Date.now() + 15_000;
  while (!URL_LINE.test(output)) {
    if (Date.now() > deadline || child?.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  const match = URL_LINE.exec(output);
  try {
    if (match?.[1]) await use(match[1], () => output);
  } finally {
    child?.kill(signal);
  }
  const result = await run;
  if (!match) throw new Error(`the emulator printed no URL line; stdout: ${result.stdout}; stderr: ${result.stderr}`);
  return result;
}

describe('apinizer-gitops emulator (CLI)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)(
    'prints its URL and a token hint, answers, and exits 0 on %s',
    async (signal) => {
      const run = await runEmulatorProcess(['--port', '0'], signal, async (url, output) => {
        expect(output()).toContain(`APINIZER_URL=${url} APINIZER_TOKEN=dev-token`);
        const res = await fetch(`${url}/apiops/projects/`, { headers: { authorization: 'Bearer dev-token' } });
        expect(res.status).toBe(200);
        const body = (await res.json()) as { resultList: { name: string }[] };
        expect(body.resultList.map((p) => p.name)).toEqual(['Payments', 'Identity']);
      });
      expect(run.code).toBe(0);
      expect(run.signal).toBeNull();
      expect(run.stderr).toContain(`Emulator stopped (${signal})`);
    },
  );

  it('takes projects, token, users, dialect and faults from flags', async () => {
    const run = await runEmulatorProcess(
      [
        '--project',
        'Shop:dev,prod',
        '--token',
        'tok',
        '--user',
        'ci:pa:ss',
        '--dialect',
        'status',
        '--fail-deployment',
        'prod',
        '--hide-from-list',
        'secret-one',
      ],
      'SIGTERM',
      async (url) => {
        const auth = { authorization: 'Bearer tok', 'content-type': 'application/json' };
        const envs = (await (await fetch(`${url}/apiops/environments/Shop`, { headers: auth })).json()) as {
          status: string;
          resultList: { name: string }[];
        };
        expect(envs.status).toBe('SUCCESS');
        expect(envs.resultList.map((e) => e.name)).toEqual(['dev', 'prod']);
        const created = await fetch(`${url}/apiops/projects/Shop/keys/`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(keyBody('secret-one', {}, ['prod'])),
        });
        const body = (await created.json()) as { deploymentResult: { success: boolean } };
        expect(body.deploymentResult.success).toBe(false);
        const list = (await (await fetch(`${url}/apiops/projects/Shop/keys/`, { headers: auth })).json()) as {
          resultCount: number;
        };
        expect(list.resultCount).toBe(0);
        const token = await fetch(`${url}/apiops/auth/token`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'grant_type=client_credentials&client_id=ci&client_secret=pa%3Ass',
        });
        expect(token.status).toBe(200);
      },
    );
    expect(run.code).toBe(0);
    // The key material it stored never appears in its output, raw or decoded.
    const sent = keyBody('secret-one', {}, ['prod']) as {
      cryptoKeyInfoEnvironmentList: { publicKey: string; privateKey: string }[];
    };
    for (const value of [
      sent.cryptoKeyInfoEnvironmentList[0]!.privateKey,
      sent.cryptoKeyInfoEnvironmentList[0]!.publicKey,
    ]) {
      for (const needle of [value, Buffer.from(value, 'base64').toString('utf8')]) {
        expect(run.stdout).not.toContain(needle);
        expect(run.stderr).not.toContain(needle);
      }
    }
  });

  it('speaks the current generation with --generation current, --refuse-export and --keystore-env-ids', async () => {
    const flags = ['--generation', 'current', '--refuse-export', '--keystore-env-ids', '--dialect', 'status'];
    const run = await runEmulatorProcess(flags, 'SIGTERM', async (url, output) => {
      expect(output()).toContain('API generation: current');
      const auth = { authorization: 'Bearer dev-token', 'content-type': 'application/json' };
      expect((await fetch(`${url}/apiops/projects/Payments/environments/`, { headers: auth })).status).toBe(200);
      expect((await fetch(`${url}/apiops/environments/Payments`, { headers: auth })).status).toBe(404);
      const body = JSON.stringify(currentKeystoreBody('ks'));
      expect(
        (await fetch(`${url}/apiops/projects/Payments/keystores/`, { method: 'POST', headers: auth, body })).status,
      ).toBe(200);
      const list = (await (await fetch(`${url}/apiops/projects/Payments/keystores/`, { headers: auth })).json()) as {
        resultList: { keyStoreEnvironmentList: Record<string, unknown>[] }[];
      };
      expect(list.resultList[0]!.keyStoreEnvironmentList[0]!.environmentId).toEqual(expect.any(String));
      const exported = await fetch(`${url}/apiops/projects/Payments/keystores/ks/export-file/`, { headers: auth });
      expect(exported.status).toBe(403);
      const stats = (await (await fetch(`${url}/__emulator/stats`)).json()) as { exportsRefused: number };
      expect(stats.exportsRefused).toBe(1);
    });
    expect(run.code).toBe(0);
    expect(run.stdout + run.stderr).not.toContain('password ks production');
  });

  it('keeps --data across restarts and reads --config', async () => {
    const dir = tempTree({ 'emu.yaml': 'projects:\n  Lab: [qa]\ntoken: from-config\n' });
    const args = ['--config', 'emu.yaml', '--data', 'state.json'];
    const auth = { authorization: 'Bearer from-config', 'content-type': 'application/json' };
    const first = await runEmulatorProcess(
      args,
      'SIGINT',
      async (url) => {
        const res = await fetch(`${url}/apiops/projects/Lab/keys/`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify(keyBody('kept', {}, ['qa'])),
        });
        expect(res.status).toBe(200);
      },
      dir,
    );
    expect(first.code).toBe(0);
    expect(existsSync(join(dir, 'state.json'))).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(['emu.yaml', 'state.json']);
    const second = await runEmulatorProcess(
      args,
      'SIGTERM',
      async (url) => {
        const list = (await (await fetch(`${url}/apiops/projects/Lab/keys/`, { headers: auth })).json()) as {
          resultList: { name: string }[];
        };
        expect(list.resultList.map((k) => k.name)).toEqual(['kept']);
      },
      dir,
    );
    expect(second.code).toBe(0);
  });

  it('lists every flag in --help', async () => {
    const run = await runCliHere(['emulator', '--help']);
    expect(run.code).toBe(0);
    for (const flag of [
      '--port',
      '--host',
      '--token',
      '--user',
      '--project',
      '--config',
      '--data',
      '--latency',
      '--fail-rate',
      '--fail-kinds',
      '--seed',
      '--retry-after',
      '--mask-secrets',
      '--dialect',
      '--fail-deployment',
      '--hide-from-list',
      '--token-ttl',
      '--generation',
      '--refuse-export',
      '--keystore-env-ids',
    ]) {
      expect(run.stdout).toContain(flag);
    }
  });

  it.each([
    [['--fail-kinds', '404'], /--fail-kinds/],
    [['--fail-rate', '1.5'], /--fail-rate must be a number from 0 to 1/],
    [['--dialect', 'soap'], /--dialect must be documented or status/],
    [['--generation', '2026'], /--generation must be legacy or current/],
    [['--project', 'NoEnvs'], /--project must be NAME:ENV/],
    [['--port', 'http'], /--port must be a whole number/],
    [['--config', 'missing.yaml'], /--config missing.yaml: cannot read it/],
    [['--frobnicate'], /unknown flag --frobnicate/],
  ])('refuses %j with exit 1 and a message naming the flag', async (args, message) => {
    const run = await runCliHere(['emulator', ...args]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(message);
    expect(run.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says so when the port is taken', async () => {
    let url = '';
    const run = await runEmulatorProcess(['--port', '0'], 'SIGTERM', async (u) => {
      url = u;
      const port = new URL(u).port;
      const clash = await runCliHere(['emulator', '--port', port]);
      expect(clash.code).toBe(1);
      expect(clash.stderr).toContain('the port is in use');
    });
    expect(url).not.toBe('');
    expect(run.code).toBe(0);
  });
});
