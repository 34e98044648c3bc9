// Export with `--sops-age RECIPIENT` (SPEC §2d): the manifests carry their material inline, and are
// written only SOPS-encrypted for the recipients (the secret fields encrypted, identity and
// descriptions readable), with a `.sops.yaml` whose creation rule makes `sops edit` and `sops
// encrypt` on the folder use the same rule and recipients. The plaintext exists as a document in
// memory only, is revealed inside the encoder, and never reaches a file.
import { Secret } from '../secret.js';
import { encryptSopsYaml, isAgeRecipient, SECRET_FIELDS_REGEX } from '../secrets/sops/encode.js';
import type { ExportFile, ExportPlan } from './render.js';

/** The `.sops.yaml` export writes at the top of --out. */
export function sopsConfig(recipients: readonly string[]): string {
  return [
    '# Written by apinizer-gitops export --sops-age: `sops edit FILE` and `sops encrypt -i FILE` in this',
    '# folder encrypt the secret fields for these age recipients (add one, then run `sops updatekeys FILE`).',
    'creation_rules:',
    "  - path_regex: '\\.ya?ml$'",
    `    encrypted_regex: '${SECRET_FIELDS_REGEX}'`,
    `    age: '${recipients.join(',')}'`,
    '',
  ].join('\n');
}

/** The first recipient that is not a native age X25519 recipient, if any (for the usage error). */
export function invalidRecipient(recipients: readonly string[]): string | undefined {
  return recipients.find((r) => !isAgeRecipient(r));
}

/**
 * The plan with every inline manifest encrypted into its content, and `.sops.yaml` added. Files
 * without a document are unchanged.
 */
export async function sealExportPlan(plan: ExportPlan, recipients: readonly string[]): Promise<ExportPlan> {
  const files: ExportFile[] = [];
  for (const file of plan.files) {
    if (file.type !== 'manifest' || file.document === undefined) {
      files.push(file);
      continue;
    }
    const sealed = await encryptSopsYaml([revealed(file.document)], { recipients });
    const { document: _plain, ...rest } = file;
    files.push({ ...rest, content: `${file.content}${sealed}` });
  }
  if (files.some((f) => f.type === 'manifest'))
    files.push({ type: 'gitignore', path: '.sops.yaml', content: sopsConfig(recipients) });
  return { ...plan, files };
}

/** A copy of the document with each Secret replaced by its value: for the encoder's eyes only. */
function revealed(value: unknown): unknown {
  if (value instanceof Secret) return value.reveal();
  if (Array.isArray(value)) return value.map(revealed);
  if (value !== null && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealed(v)]));
  return value;
}
