#!/usr/bin/env node
// `npm start` (SPEC §9): the whole product in one minute, on nothing but Node. Starts the emulator
// on a free loopback port, then runs the real CLI code path (runCli, in-process) for plan, apply
// and plan again, which must report no changes; stops the emulator; exit 0 only if every step did
// what it should.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { startEmulator } from '../emulator/index.js';
import { exitCodeForSignal, type CommandContext } from './command.js';
import { useColor, writeTo } from './output.js';
import { runCli } from './run.js';

/** The repository (or installed package) root: dist/cli/demo.js -> ../../ */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
// `npm start -- --generation current` shows the current API generation with its own examples.
const GENERATION = demoGeneration(process.argv.slice(2));
const EXAMPLES = GENERATION === 'current' ? 'examples/manifests-current' : 'examples/manifests';

/** `--generation legacy|current` or `--generation=...` among the demo's arguments; legacy by default. */
function demoGeneration(argv: readonly string[]): 'legacy' | 'current' {
  const i = argv.findIndex((a) => a === '--generation' || a.startsWith('--generation='));
  const value = i < 0 ? 'legacy' : argv[i]!.includes('=') ? argv[i]!.split('=')[1] : argv[i + 1];
  if (value !== 'legacy' && value !== 'current') {
    process.stderr.write(
      `apinizer-gitops demo: --generation must be legacy or current, got ${JSON.stringify(value ?? '')}\n`,
    );
    process.exit(1);
  }
  return value;
}

interface Step {
  title: string;
  explain: string;
  args: string[];
  /** The exit code that means the step did what it should. */
  expect: number;
  /** Said when the step failed, to point at the cause. */
  onFailure: string;
}

const STEPS: Step[] = [
  {
    title: 'Step 1 of 3: plan',
    explain:
      `Reads every manifest under ${EXAMPLES}, validates it, asks the gateway what it holds\n` +
      '(one list call per project and kind) and shows what apply would change. The gateway is empty,\n' +
      'so everything is a create. Secrets are never printed: they show as (sensitive value).',
    args: ['plan', EXAMPLES],
    expect: 0,
    onFailure: 'plan failed; the lines above say why.',
  },
  {
    title: 'Step 2 of 3: apply',
    explain:
      'Computes the same plan and applies it: creates and updates run in parallel (--concurrency,\n' +
      'default 4), and every resource gets an outcome in the report.',
    args: ['apply', EXAMPLES],
    expect: 0,
    onFailure: 'apply did not succeed for every resource; the report above says which and why.',
  },
  {
    title: 'Step 3 of 3: plan again',
    explain:
      'The gateway now matches the manifests, so the plan must say "No changes". With\n' +
      '--detailed-exitcode a plan exits 2 when there are changes: the check a CI job uses.',
    args: ['plan', EXAMPLES, '--detailed-exitcode'],
    expect: 0,
    onFailure: 'the second plan still found changes (exit 2) or failed: apply did not converge.',
  },
];

/** Runs the demo and returns the process exit code. */
async function demo(): Promise<number> {
  const color = useColor(process.stdout, process.env);
  const bold = (s: string) => (color ? `\u001b[1m${s}\u001b[0m` : s);
  const say = (s: string) => writeTo(process.stdout, `${s}\n`);

  if (!existsSync(new URL(`../../${EXAMPLES}/`, import.meta.url))) {
    await writeTo(
      process.stderr,
      `apinizer-gitops demo: ${EXAMPLES} is missing; run npm start from a checkout of the repository.\n`,
    );
    return 1;
  }

  const controller = new AbortController();
  let received: 'SIGINT' | 'SIGTERM' | null = null;
  const onSignal = (sig: 'SIGINT' | 'SIGTERM') => {
    if (received) process.exit(exitCodeForSignal(sig));
    received = sig;
    controller.abort(new Error(sig));
  };
  process.on('SIGINT', () => onSignal('SIGINT'));
  process.on('SIGTERM', () => onSignal('SIGTERM'));

  // A fresh token per run: nothing printed by the demo could be reused against anything else.
  const token = `demo-${randomBytes(12).toString('hex')}`;
  const emulator = await startEmulator({ port: 0, host: '127.0.0.1', token, generation: GENERATION });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Talk to the emulator only, whatever the shell has configured for a real gateway.
  for (const name of [
    'APINIZER_TOKEN_FILE',
    'APINIZER_USERNAME',
    'APINIZER_PASSWORD',
    'APINIZER_PROJECT',
    'APINIZER_CONFIG',
    'APINIZER_CA_FILE',
    'GITHUB_STEP_SUMMARY',
  ]) {
    delete env[name];
  }
  env.APINIZER_URL = emulator.url;
  env.APINIZER_TOKEN = token;
  // The example's fromEnv secret (examples/manifests/payments/keys/signing.yaml): any base64 will do.
  env.PAYMENTS_WEBHOOK_HMAC ??= randomBytes(32).toString('base64');
  // The password of the throwaway demo keystores in examples/manifests-current (not a real secret).
  env.PARTNER_MTLS_STORE_PASSWORD ??= 'demo-partner-store-password';
  // The plan and the report tell the story; per-resource log lines would only repeat them.
  env.LOG_LEVEL ??= 'warn';

  const ctx: CommandContext = {
    stdout: process.stdout,
    stderr: process.stderr,
    env,
    cwd: ROOT,
    signal: controller.signal,
    signalName: () => received,
  };

  let code = 0;
  try {
    await say(bold('apinizer-gitops demo'));
    await say(
      `A local Apinizer Management API emulator (${GENERATION} API generation) is running at ${emulator.url} (projects Payments and\n` +
        'Identity, no keys yet). Each step below runs the real CLI against it, exactly as you would:\n' +
        `APINIZER_URL=${emulator.url} APINIZER_TOKEN=... npx apinizer-gitops <command> ...`,
    );
    for (const step of STEPS) {
      await say(`\n${bold(`== ${step.title} ==`)}\n${step.explain}\n\n$ apinizer-gitops ${step.args.join(' ')}\n`);
      const exit = await runCli(step.args, ctx);
      if (received) {
        code = exitCodeForSignal(received);
        break;
      }
      if (exit !== step.expect) {
        await writeTo(
          process.stderr,
          `\napinizer-gitops demo: ${step.title} exited ${exit}, expected ${step.expect}: ${step.onFailure}\n`,
        );
        code = 1;
        break;
      }
    }
    if (code === 0) {
      const stats = emulator.stats();
      await say(
        `\n${bold('Done.')} The gateway matches the manifests; the emulator answered ${stats.total} requests ` +
          `(${stats.writes} writes).\nNext: README.md "Quick start with a real Apinizer" runs the same commands against your gateway.`,
      );
    }
  } finally {
    await emulator.close();
  }
  return code;
}

demo().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`apinizer-gitops demo: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
