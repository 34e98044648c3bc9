// watch with SOPS-encrypted manifests (SPEC §2d, §6): a file re-encrypted after an edit (as `sops
// edit` leaves it, here written with this project's encoder) is decrypted again and applied; a
// tampered file writes nothing and watch keeps running; no decrypted value in its output.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, descriptionOn, eventually, startWatch, startedOk } from '../watch/support.js';
import { IDENTITY, emptyConfigHome, encrypted, keyDoc, materialNeedles } from './support.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().resetStats();
});

describe('watch and SOPS', () => {
  it('applies an edit of an encrypted file, and refuses a tampered one while it keeps running', async () => {
    const dir = tempTree({ 'manifests/keys.yaml': await encrypted([keyDoc('watched', 'Payments', 'v1')]) });
    const w = startWatch(emulator(), dir, ['--debounce', '100'], {
      SOPS_AGE_KEY: IDENTITY,
      XDG_CONFIG_HOME: emptyConfigHome(),
    });
    try {
      await startedOk(w);
      expect(descriptionOn(emulator(), 'watched')).toBe('v1');

      writeFileSync(join(dir, 'manifests', 'keys.yaml'), await encrypted([keyDoc('watched', 'Payments', 'v2')]));
      await eventually('the edit on the server', () => descriptionOn(emulator(), 'watched') === 'v2', 15_000);

      emulator().resetStats();
      const good = await encrypted([keyDoc('watched', 'Payments', 'v3')]);
      writeFileSync(join(dir, 'manifests', 'keys.yaml'), good.replace('description: v3', 'description: v4'));
      await w.waitForLine('the refused cycle', (l) => JSON.stringify(l).includes('sops-tampered'), 15_000);
      expect(emulator().stats().writes).toBe(0);
      expect(w.running()).toBe(true);
      expect(descriptionOn(emulator(), 'watched')).toBe('v2');
    } finally {
      const run = await w.stop();
      const all = `${w.stderr()}\n${run.stdout}`;
      for (const needle of materialNeedles()) expect(all.includes(needle)).toBe(false);
    }
  });

  it('without an identity, watch makes no API call and names the file and the variables', async () => {
    const dir = tempTree({ 'manifests/keys.yaml': await encrypted([keyDoc('unopened')]) });
    const w = startWatch(emulator(), dir, ['--debounce', '100'], { XDG_CONFIG_HOME: emptyConfigHome() });
    try {
      await w.waitForLine('the refusal', (l) => JSON.stringify(l).includes('encrypted-no-identity'), 20_000);
      expect(w.stderr()).toContain('SOPS_AGE_KEY_FILE');
      expect(emulator().requests()).toEqual([]); // no call at all, reads included (SPEC §2d)
      expect(emulator().store.get('Payments', 'Key', 'unopened')).toBeUndefined();
    } finally {
      await w.stop();
    }
  });
});
