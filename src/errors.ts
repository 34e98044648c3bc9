// Errors every layer may raise and only the CLI maps to an exit code. A leaf module: it imports
// nothing, so the API layer can raise a configuration error without knowing about the CLI.

/** A mistake in the command line or the configuration: printed with a pointer to --help, exit 1. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
