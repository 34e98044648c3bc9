import type { OptionsConfig } from './command.js';

/**
 * Flags shared by every command that talks to the API (plan, apply, watch, export). Each has an
 * environment variable (SPEC §3); the flag wins. Tokens are deliberately not flags.
 */
export const connectionOptions: OptionsConfig = {
  server: { type: 'string' },
  project: { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
  'ca-file': { type: 'string' },
  timeout: { type: 'string' }, // per-request timeout in seconds
  retries: { type: 'string' }, // attempts per call, including the first
  'log-level': { type: 'string' },
  'log-format': { type: 'string' },
  concurrency: { type: 'string' },
  config: { type: 'string' },
  'api-generation': { type: 'string' },
};

/** Help lines for connectionOptions, appended to each command's help. */
export const connectionHelp = `Connection (flag, else environment variable):
  --server URL             Apinizer Manager URL; /apiops is appended      (APINIZER_URL)
                           token: APINIZER_TOKEN or APINIZER_TOKEN_FILE; or APINIZER_USERNAME and
                           APINIZER_PASSWORD exchanged at /apiops/auth/token. Never a flag.
  --project P              project for manifests that name none            (APINIZER_PROJECT)
  --concurrency N          parallel writes, 1..64, default 4               (APINIZER_CONCURRENCY)
  --timeout SECONDS        per-request timeout, default 30                 (APINIZER_TIMEOUT)
  --retries N              attempts per call for transient failures, default 4 (APINIZER_RETRIES)
  --ca-file FILE           PEM bundle of a private CA for https            (APINIZER_CA_FILE)
  --allow-insecure-http    allow http:// to a host that is not loopback
  --config FILE            YAML file with server, project, concurrency, timeout, retries
  --api-generation G       legacy|current: the Apinizer API generation; detected per project when
                           unset (GET /apiops/projects/P/environments/ answers on current) (APINIZER_API_GENERATION)
  --log-level L            trace|debug|info|warn|error, default info       (LOG_LEVEL)
  --log-format F           json|pretty; default pretty on a TTY, json otherwise`;
