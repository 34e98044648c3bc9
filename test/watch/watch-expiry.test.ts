// Time alone must not stop a running watch (SPEC §2c): a certificate the server already holds that
// has expired is a logged warning and a metric, never a reason to stop other resources' writes or
// to answer 503; a change that would send expired material is refused for that resource alone,
// reported at its file:line:col, while the rest of the same batch is written.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { certKey, materialFixture } from '../support/cert-key.js';
import { useEmulator } from '../support/emulator.js';
import { runCliInProcess } from '../support/run-cli.js';
import { tempTree } from '../support/tmp.js';
import { TOKEN, descriptionOn, eventually, getMetrics, sample, startWatch, startedOk } from './support.js';

const emulator = useEmulator({ token: TOKEN });

beforeEach(() => {
  emulator().store.clear();
  emulator().configure({ failRate: 0, latencyMs: 0, failDeploymentTo: [], maskSecrets: false });
  emulator().resetStats();
});

describe('watch: a certificate that has expired', () => {
  it('held by the server: a warning and a metric, other writes go on and /healthz stays 200; sending it is refused for that resource alone', async () => {
    const dir = tempTree({
      'manifests/keys/expired.yaml': certKey('old-partner', { production: 'expired.crt.pem' }),
      'manifests/keys/good.yaml': certKey('partner', { production: 'leaf.crt.pem' }),
      'manifests/keys/expired.crt.pem': materialFixture('expired.crt.pem'),
      'manifests/keys/leaf.crt.pem': materialFixture('leaf.crt.pem'),
    });
    // The server got the certificate while it was valid (here: with the checks off).
    const seeded = await runCliInProcess(['apply', 'manifests', '--skip-material-checks'], {
      cwd: dir,
      env: { APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN },
    });
    expect(seeded.code, seeded.stderr).toBe(0);

    const w = startWatch(emulator(), dir, ['--debounce', '100', '--metrics-port', '0', '--prune']);
    try {
      await startedOk(w);
      const port = await w.metricsPort();
      expect(
        w
          .lines()
          .some(
            (l) =>
              l.code === 'certificate-expired' && l.level === 40 && l.location === 'manifests/keys/expired.yaml:10:7',
          ),
      ).toBe(true);
      expect((await getMetrics(port, '/healthz')).status).toBe(200);
      const metrics = (await getMetrics(port, '/metrics')).body;
      expect(
        sample(
          metrics,
          'apinizer_gitops_certificate_expiry_timestamp_seconds{project="Payments",kind="Key",name="old-partner",environment="production"}',
        ),
      ).toBe(Date.parse('2021-01-01T00:00:00Z') / 1000);

      writeFileSync(
        join(dir, 'manifests', 'keys', 'good.yaml'),
        certKey('partner', { production: 'leaf.crt.pem' }, 'v2'),
      );
      await eventually('the other edit written', () => descriptionOn(emulator(), 'partner') === 'v2', 15_000);
      await eventually('healthz 200', async () => (await getMetrics(port, '/healthz')).status === 200);

      // One batch: the expired certificate sent to a new environment, and another edit.
      emulator().resetStats();
      writeFileSync(
        join(dir, 'manifests', 'keys', 'expired.yaml'),
        certKey('old-partner', { production: 'expired.crt.pem', test: 'expired.crt.pem' }, 'v2'),
      );
      writeFileSync(
        join(dir, 'manifests', 'keys', 'good.yaml'),
        certKey('partner', { production: 'leaf.crt.pem' }, 'v3'),
      );
      await eventually('the other edit written', () => descriptionOn(emulator(), 'partner') === 'v3', 15_000);
      const refused = await w.waitForLine('the refusal', (l) => l.refused === true);
      expect(refused.msg).toMatch(
        /^manifests\/keys\/expired\.yaml:\d+:7 .*this update would send it to the server, so it is refused/,
      );
      expect(descriptionOn(emulator(), 'old-partner')).toBe('v1');
      expect(emulator().stats().byRoute['PUT /apiops/projects/{project}/keys/{name}/']).toBe(1);
      const health = await getMetrics(port, '/healthz');
      expect(health.status).toBe(503);
      expect(health.body).toContain('manifests/keys/expired.yaml');

      // Fixed in Git (the new environment gets a valid certificate): written, healthy again.
      writeFileSync(
        join(dir, 'manifests', 'keys', 'expired.yaml'),
        certKey('old-partner', { production: 'expired.crt.pem', test: 'leaf.crt.pem' }, 'v3'),
      );
      await eventually('the fix written', () => descriptionOn(emulator(), 'old-partner') === 'v3', 15_000);
      await eventually('healthz 200', async () => (await getMetrics(port, '/healthz')).status === 200);
    } finally {
      const run = await w.stop();
      expect(run.code, run.stderr).toBe(0);
    }
  });
});
