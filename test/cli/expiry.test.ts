// Time alone must not stop unrelated work (SPEC §2c), through the commands against the emulator:
// an expired certificate is an error for a write that sends it (a create, or an update that sends
// new material), and only a warning where the server already holds the same material, so other
// resources are still planned and applied; validate, which cannot know, keeps it an error.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess } from '../support/run-cli.js';
import { certKey, materialFixture } from '../support/cert-key.js';
import { tempTree } from '../support/tmp.js';

const fixture = materialFixture;
const TOKEN = 'tok-expiry-tests-8d21';

const tree = () =>
  tempTree({
    'keys/expired.yaml': certKey('old-partner', { production: 'expired.crt.pem' }),
    'keys/good.yaml': certKey('partner', { production: 'leaf.crt.pem' }),
    'keys/expired.crt.pem': fixture('expired.crt.pem'),
    'keys/leaf.crt.pem': fixture('leaf.crt.pem'),
  });

describe('an expired certificate, judged per write', () => {
  const emulator = useEmulator({ token: TOKEN });
  beforeEach(() => {
    emulator().store.clear();
    emulator().resetStats();
  });
  const env = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN });
  const run = (args: string[], cwd: string) => runCliInProcess(args, { cwd, env: env() });

  it('is an error in validate, and in plan and apply for a write that would send it (nothing is written)', async () => {
    const dir = tree();
    const validate = await run(['validate', 'keys'], dir);
    expect(validate.code).toBe(1);
    expect(validate.stdout).toMatch(/^keys\/expired\.yaml:10:7 .*expired on 2021-01-01.*\[certificate-expired\]$/m);

    const plan = await run(['plan', 'keys'], dir);
    expect(plan.code, plan.stdout + plan.stderr).toBe(1);
    expect(plan.stdout + plan.stderr).toMatch(
      /keys\/expired\.yaml:10:7 .*expired on 2021-01-01.*this create would send it to the server, so it is refused/,
    );
    const apply = await run(['apply', 'keys'], dir);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/keys\/expired\.yaml:10:7 .*this create would send it/);
    expect(emulator().stats().writes).toBe(0);
  });

  it('is a warning where the server already holds the material: other resources are planned and applied', async () => {
    const dir = tree();
    // The server got the certificate while it was valid (here: with the checks off).
    expect((await run(['apply', 'keys', '--skip-material-checks'], dir)).code).toBe(0);
    emulator().resetStats();

    const plan = await run(['plan', 'keys', '--detailed-exitcode'], dir);
    expect(plan.code, plan.stdout + plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/keys\/expired\.yaml:10:7 .*expired on 2021-01-01.*already holds this material/);

    // An edit elsewhere is applied; so is a description change of the expired key itself, which
    // re-sends only what the server holds.
    writeFileSync(join(dir, 'keys', 'good.yaml'), certKey('partner', { production: 'leaf.crt.pem' }, 'v2'));
    writeFileSync(join(dir, 'keys', 'expired.yaml'), certKey('old-partner', { production: 'expired.crt.pem' }, 'v2'));
    const apply = await run(['apply', 'keys'], dir);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(emulator().store.get('Payments', 'Key', 'partner')?.description).toBe('v2');
    expect(emulator().store.get('Payments', 'Key', 'old-partner')?.description).toBe('v2');

    // Sending the expired certificate somewhere new (another environment) is refused, before any write.
    emulator().resetStats();
    writeFileSync(
      join(dir, 'keys', 'expired.yaml'),
      certKey('old-partner', { production: 'expired.crt.pem', test: 'expired.crt.pem' }, 'v2'),
    );
    writeFileSync(join(dir, 'keys', 'good.yaml'), certKey('partner', { production: 'leaf.crt.pem' }, 'v3'));
    const refused = await run(['apply', 'keys'], dir);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/keys\/expired\.yaml:\d+:7 .*this update would send it/);
    expect(emulator().stats().writes).toBe(0);
  });

  it('treats a not-yet-valid certificate the same way: refused where a write sends it, a warning in validate', async () => {
    const dir = tempTree({
      'keys/future.yaml': certKey('future-partner', { production: 'future.crt.pem' }),
      'keys/good.yaml': certKey('partner', { production: 'leaf.crt.pem' }),
      'keys/future.crt.pem': fixture('future.crt.pem'),
      'keys/leaf.crt.pem': fixture('leaf.crt.pem'),
    });
    // validate cannot know what a write sends: SPEC §2c lists "not yet valid" among the warnings.
    const validate = await run(['validate', 'keys'], dir);
    expect(validate.code, validate.stdout).toBe(0);
    expect(validate.stdout).toMatch(
      /keys\/future\.yaml:10:7 .*not valid before 2100-01-01.*\[certificate-not-yet-valid\]/,
    );

    // Sent by a create: clients would reject it until 2100, so the write is refused (nothing written).
    const apply = await run(['apply', 'keys'], dir);
    expect(apply.code).toBe(1);
    expect(apply.stderr).toMatch(/keys\/future\.yaml:10:7 .*not valid before.*this create would send it/);
    expect(emulator().stats().writes).toBe(0);

    // Already on the server (put there with the checks off): a warning, and other work goes on.
    expect((await run(['apply', 'keys', '--skip-material-checks'], dir)).code).toBe(0);
    writeFileSync(join(dir, 'keys/good.yaml'), certKey('partner', { production: 'leaf.crt.pem' }, 'v2'));
    emulator().resetStats();
    const again = await run(['apply', 'keys'], dir);
    expect(again.code, again.stdout + again.stderr).toBe(0);
    expect(again.stderr + again.stdout).toMatch(/not valid before.*already holds this material/);
    expect(emulator().stats().writes).toBe(1);
  });
});
