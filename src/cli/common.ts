// Flags and help text shared by the commands that talk to the API: the connection flags (each with
// its environment variable) and the output-format flag.
import type { FlagSpecs } from './command.js';

const CONNECTION = 'Connection (a flag wins over its variable, which wins over --config)';

/**
 * Flags shared by every command that talks to the API (plan, apply, watch, export). Each has an
 * environment variable (SPEC §3); the flag wins. Tokens are deliberately not flags.
 */
export const connectionOptions: FlagSpecs = {
  server: {
    type: 'string',
    value: 'URL',
    description:
      'Apinizer Manager URL; /apiops is appended. The token comes from APINIZER_TOKEN or APINIZER_TOKEN_FILE, ' +
      'or APINIZER_USERNAME and APINIZER_PASSWORD exchanged at /apiops/auth/token; never from a flag.',
    env: 'APINIZER_URL',
    group: CONNECTION,
  },
  project: {
    type: 'string',
    value: 'P',
    description: 'project for manifests that name none',
    env: 'APINIZER_PROJECT',
    group: CONNECTION,
  },
  concurrency: {
    type: 'string',
    value: 'N',
    description: 'API calls in flight, 1..64 (repeated 429 answers lower it)',
    default: '4',
    env: 'APINIZER_CONCURRENCY',
    group: CONNECTION,
  },
  timeout: {
    type: 'string',
    value: 'SECONDS',
    description: 'per-request timeout',
    default: '30',
    env: 'APINIZER_TIMEOUT',
    group: CONNECTION,
  },
  retries: {
    type: 'string',
    value: 'N',
    description: 'attempts per call for transient failures, including the first, 1..20',
    default: '4',
    env: 'APINIZER_RETRIES',
    group: CONNECTION,
  },
  'ca-file': {
    type: 'string',
    value: 'FILE',
    description: 'PEM bundle of a private CA for https',
    env: 'APINIZER_CA_FILE',
    group: CONNECTION,
  },
  'allow-insecure-http': {
    type: 'boolean',
    description: 'allow http:// to a host that is not loopback',
    env: 'APINIZER_ALLOW_INSECURE_HTTP',
    group: CONNECTION,
  },
  config: {
    type: 'string',
    value: 'FILE',
    description:
      'YAML settings file: server, project, concurrency, timeout, retries, caFile, allowInsecureHttp, logLevel, ' +
      'logFormat',
    env: 'APINIZER_CONFIG',
    group: CONNECTION,
  },
  'api-generation': {
    type: 'string',
    value: 'legacy|current',
    description:
      'the Apinizer API generation; detected per project when unset (GET /apiops/projects/P/environments/ ' +
      'answers on current)',
    env: 'APINIZER_API_GENERATION',
    group: CONNECTION,
  },
  'log-level': {
    type: 'string',
    value: 'L',
    description: 'trace, debug, info, warn, error, fatal or silent',
    default: 'info',
    env: 'LOG_LEVEL',
    group: CONNECTION,
  },
  'log-format': {
    type: 'string',
    value: 'F',
    description: 'json or pretty',
    default: 'pretty on a terminal, json otherwise',
    env: 'LOG_FORMAT',
    group: CONNECTION,
  },
};
