// The `fromEnv` secret source: `{ fromEnv: NAME, encoding: base64 | utf8 }`, an environment
// variable (SPEC §2). Reads nothing from disk; many manifests share one variable (a CI secret), so
// it is decoded and checked once per run.
import { Secret, isBase64, normaliseBase64 } from '../secret.js';
import type { Resolution, SecretSource } from './types.js';

type FromEnv = { fromEnv: string; encoding?: 'base64' | 'utf8' };
type Outcome = Secret | { code: 'env-unset' | 'invalid-base64'; message: string };

/** The `fromEnv` source. */
export const fromEnv: SecretSource<FromEnv> = {
  key: 'fromEnv',
  form: '{ fromEnv: NAME }',
  formWithOptions: '{ fromEnv: NAME, encoding: base64|utf8 }',
  hints: {
    fromEnv: 'an environment variable name of letters, digits and _, not starting with a digit',
    encoding: 'base64 or utf8',
  },
  schema: {
    title: 'From an environment variable',
    description:
      'Read the value from an environment variable when the tool runs. The variable must be set and non-empty.',
    type: 'object',
    additionalProperties: false,
    required: ['fromEnv'],
    properties: {
      fromEnv: {
        title: 'Variable name',
        description: "Name of the environment variable: letters, digits and '_', not starting with a digit.",
        type: 'string',
        pattern: '^[A-Za-z_][A-Za-z0-9_]*$',
        examples: ['PAYMENTS_SIGNING_PRIVATE_KEY'],
      },
      encoding: {
        title: 'Encoding',
        description:
          'base64 (default): the variable already holds base64. utf8: the variable holds text (such as a PEM) that the tool base64-encodes.',
        enum: ['base64', 'utf8'],
        default: 'base64',
      },
    },
  },
  meaning:
    'an environment variable; `base64` (default) means the variable already holds base64, `utf8` means its text (e.g. a PEM) is base64-encoded by the tool',
  matches: (spec): spec is FromEnv => 'fromEnv' in spec,
  references: () => [],
  render: (target) => ({ fromEnv: target }),
  resolve(spec, context): Resolution {
    const isText = context.field.role === 'text-secret';
    const encoding = spec.encoding ?? (isText ? 'utf8' : 'base64');
    // Remembered per run by variable, then encoding and role: nested maps keyed by the strings the
    // manifest holds, so the usual lookup (a variable many manifests share) builds no key.
    let byName = context.memo.get(MEMO) as Map<string, Map<string, Outcome>> | undefined;
    if (!byName) context.memo.set(MEMO, (byName = new Map<string, Map<string, Outcome>>()));
    let byForm = byName.get(spec.fromEnv);
    if (!byForm) byName.set(spec.fromEnv, (byForm = new Map<string, Outcome>()));
    const form = isText
      ? encoding === 'utf8'
        ? 'text-utf8'
        : 'text-base64'
      : encoding === 'utf8'
        ? 'bin-utf8'
        : 'bin-base64';
    let outcome = byForm.get(form);
    if (!outcome) {
      outcome = readEnvSecret(spec.fromEnv, encoding, isText, context.env);
      byForm.set(form, outcome);
    }
    if (outcome instanceof Secret) return { ok: true, secret: outcome };
    const severity = outcome.code === 'env-unset' && context.missing === 'warning' ? 'warning' : 'error';
    const message =
      severity === 'warning'
        ? `${outcome.message.replace(/; set it before running.*$/, '')}; validate goes on without it, but plan, apply and watch need it`
        : outcome.message;
    return { ok: false, code: outcome.code, message, at: 'fromEnv', severity };
  },
};

/** The memo entry this source keeps its outcomes under. */
const MEMO = 'fromEnv';

function readEnvSecret(name: string, encoding: 'base64' | 'utf8', isText: boolean, env: NodeJS.ProcessEnv): Outcome {
  const raw = env[name];
  if (raw === undefined || raw === '') {
    return {
      code: 'env-unset',
      message: `environment variable ${name} is ${raw === undefined ? 'not set' : 'empty'}; set it before running, or use another form`,
    };
  }
  if (encoding === 'utf8') return new Secret(isText ? raw : Buffer.from(raw, 'utf8').toString('base64'));
  if (!isBase64(raw)) {
    return {
      code: 'invalid-base64',
      message: `environment variable ${name} does not hold valid base64; base64-encode its value, or set encoding: utf8 if it holds text${isText ? '' : ' such as a PEM'}`,
    };
  }
  return new Secret(isText ? Buffer.from(normaliseBase64(raw), 'base64').toString('utf8') : normaliseBase64(raw));
}
