// The flags of the material checks (SPEC §2c), shared by validate, plan, apply and watch so the
// four commands spell and parse them the same way.
import type { MaterialCheckOptions } from '../manifest/load.js';
import { DEFAULT_EXPIRY_WARN_DAYS } from '../manifest/material-values.js';
import { booleanFlag, stringFlag, UsageError, type FlagSpecs, type ParsedArgs } from './command.js';

/** The flag definitions, spread into each command's `options`. */
export const MATERIAL_FLAGS: FlagSpecs = {
  'skip-material-checks': {
    type: 'boolean',
    description:
      'do not inspect key material (pair match, keystore password and alias, certificate expiry); ' +
      'for the rare case material must be pushed as it is',
  },
  'expiry-warn-days': {
    type: 'string',
    value: 'N',
    description: 'a certificate that expires within N days is a warning (an expired one is an error)',
    default: String(DEFAULT_EXPIRY_WARN_DAYS),
  },
};

/** What the material flags ask for: the warning horizon, or undefined with --skip-material-checks. */
export interface MaterialFlags {
  expiryWarnDays: number;
}

/** The material flags parsed (a bad --expiry-warn-days is a UsageError even with --skip-material-checks). */
export function materialFlags(args: ParsedArgs): MaterialFlags | undefined {
  const raw = stringFlag(args, 'expiry-warn-days');
  let expiryWarnDays = DEFAULT_EXPIRY_WARN_DAYS;
  if (raw !== undefined) {
    if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(Number(raw))) {
      throw new UsageError(`--expiry-warn-days must be a whole number of days (0 or more), got "${raw}"`);
    }
    expiryWarnDays = Number(raw);
  }
  if (booleanFlag(args, 'skip-material-checks')) return undefined;
  return { expiryWarnDays };
}

/** The material check options for a load judged at `now` (the time of the load, not of the parse). */
export function materialCheckOptions(flags: MaterialFlags | undefined, now: Date): MaterialCheckOptions | undefined {
  return flags ? { now, ...flags } : undefined;
}
