// Leak searches shared by end-to-end tests: the strings that would betray a piece of material, and
// one assertion over every output of a test (stdout, stderr, files) that names what leaked.
import { expect } from 'vitest';

/**
 * The strings whose presence in an output would be a leak of `material`: its base64 (a prefix,
 * so a wrapped or truncated copy is found too) and, for a PEM, every body line (base64 of the DER,
 * i.e. the key itself). Short lines (the last of a body) are skipped: they could match by chance.
 */
export function materialNeedles(material: string | Uint8Array): string[] {
  const bytes = typeof material === 'string' ? Buffer.from(material, 'utf8') : Buffer.from(material);
  const out = [bytes.toString('base64').slice(0, 40)];
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN ')) {
    for (const line of text.split(/\r?\n/)) if (/^[A-Za-z0-9+/=]{24,}$/.test(line)) out.push(line);
  }
  return out;
}

/** Fails when any output contains any needle, naming the output and a short prefix of the needle. */
export function expectNoNeedles(needles: readonly string[], outputs: Readonly<Record<string, string>>): void {
  for (const [where, text] of Object.entries(outputs)) {
    for (const needle of needles) {
      expect(text.includes(needle), `${where} contains ${JSON.stringify(needle.slice(0, 10))}…`).toBe(false);
    }
  }
}
