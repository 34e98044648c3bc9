// The conformance suite every kind runs (issue 19, item 8): `describeKind(descriptor, samples)`
// drives the real CLI (in process) against the real emulator over HTTP, once per API generation
// the samples cover, and checks what each kind must do whatever its fields:
// - body round-trip: apply creates the resources, and the plan right after shows no change;
// - redaction: no output of plan or apply (text, JSON, markdown) and no exported manifest holds a
//   secret of the samples;
// - export: the manifests export writes for the kind plan without a change (where the server can
//   give every secret back);
// - prune order: with no manifest left, prune deletes every resource of the kind, in reverse kind
//   order, and leaves the server empty.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { kindRank, type KindDescriptor } from '../../src/kinds/index.js';
import type { ApiGeneration } from '../../src/model.js';
import { runCliHere } from '../support/cli.js';
import { useEmulator } from '../support/emulator.js';
import { tempTree } from '../support/tmp.js';

/** Manifests of one kind in the form of one API generation, with the secrets they carry. */
export interface KindSample {
  generation: ApiGeneration;
  /** Manifest files, relative to the run's folder, under `manifests/`; secret files beside them. */
  files: Record<string, string | Uint8Array>;
  /** Variables the manifests' `fromEnv` references read. */
  env?: Record<string, string>;
  /** The project the resources are in. */
  project: string;
  /** The names of the kind's resources the files declare. */
  names: string[];
  /** Every secret the files carry, as written and as bytes may show: none may appear in output. */
  secrets: string[];
  /**
   * False when the server cannot give every secret back, so an export needs the user's values
   * (a current keystore's password): the export is then checked for leaks, not planned.
   */
  exportRoundTrip: boolean;
}

const TOKEN = 'conformance-token-Xc81';

/** Every file below `dir`, as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((e) => {
    const p = join(dir, e);
    return statSync(p).isDirectory() ? filesUnder(p) : [p];
  });
}

/** The conformance tests of one kind, one describe block per sample (per generation). */
export function describeKind(descriptor: KindDescriptor, samples: readonly KindSample[]): void {
  describe.each(samples.map((s) => [s.generation, s] as const))(
    `kind ${descriptor.kind} on a %s server`,
    (_g, sample) => {
      const emulator = useEmulator({ token: TOKEN, generation: sample.generation });
      const env = () => ({ APINIZER_URL: emulator().url, APINIZER_TOKEN: TOKEN, ...sample.env });
      const cli = (args: string[], cwd: string) => runCliHere(args, { cwd, env: env() });
      const noSecret = (...outputs: string[]) => {
        for (const secret of sample.secrets) for (const out of outputs) expect(out).not.toContain(secret);
      };
      const held = () =>
        sample.names.filter(
          (name) => emulator().store.get(sample.project, descriptor.kind as 'Key', name) !== undefined,
        );

      beforeEach(() => {
        emulator().store.clear();
        emulator().reset();
      });

      it('round-trips its API body: applied, then planned with no change', async () => {
        const dir = tempTree(sample.files);
        const applied = await cli(['apply', 'manifests', '--format', 'json'], dir);
        expect(applied.code, applied.stderr).toBe(0);
        expect(held()).toEqual(sample.names);
        const again = await cli(['plan', 'manifests', '--detailed-exitcode'], dir);
        expect(again.code, again.stdout + again.stderr).toBe(0);
        const json = await cli(['plan', 'manifests', '--format', 'json'], dir);
        const plan = JSON.parse(json.stdout) as { summary: Record<string, number> };
        expect(plan.summary).toEqual({ create: 0, update: 0, delete: 0, noop: sample.names.length });
      });

      it('prints none of its secrets in plans and reports, in any format', async () => {
        const dir = tempTree(sample.files);
        const outputs: string[] = [];
        for (const format of ['text', 'json', 'markdown']) {
          const r = await cli(['plan', 'manifests', '--format', format], dir);
          outputs.push(r.stdout, r.stderr);
        }
        for (const format of ['text', 'json']) {
          const r = await cli(['apply', 'manifests', '--format', format], dir);
          expect(r.code, r.stderr).toBe(0);
          outputs.push(r.stdout, r.stderr);
        }
        expect(outputs.join('')).toContain(sample.names[0]);
        noSecret(...outputs);
      });

      it('exports manifests that hold no secret and plan without a change', async () => {
        const dir = tempTree(sample.files);
        expect((await cli(['apply', 'manifests'], dir)).code).toBe(0);
        const exported = await cli(
          ['export', '--project', sample.project, '--kind', descriptor.kind.toLowerCase(), '--out', 'gitops'],
          dir,
        );
        const manifests = filesUnder(join(dir, 'gitops')).filter((f) => /\.ya?ml$/.test(f));
        expect(manifests.length, exported.stderr).toBe(sample.names.length);
        const texts = manifests.map((f) => readFileSync(f, 'utf8'));
        for (const text of texts) expect(text).toContain(`kind: ${descriptor.kind}`);
        noSecret(exported.stdout, exported.stderr, ...texts);
        if (!sample.exportRoundTrip) return;
        expect(exported.code, exported.stderr).toBe(0);
        const plan = await cli(['plan', 'gitops', '--detailed-exitcode'], dir);
        expect(plan.code, plan.stdout + plan.stderr).toBe(0);
      });

      it('is pruned when no manifest is left, deletes in reverse kind order', async () => {
        const dir = tempTree({ ...sample.files, 'empty/.keep': '' });
        expect((await cli(['apply', 'manifests'], dir)).code).toBe(0);
        const pruneFlags = ['--prune', '--allow-empty-prune', '--project', sample.project];
        const planned = await cli(['plan', 'empty', ...pruneFlags, '--format', 'json'], dir);
        const plan = JSON.parse(planned.stdout) as { actions: { action: string; kind: string; name: string }[] };
        const deletes = plan.actions.filter((a) => a.action === 'delete');
        expect(deletes.filter((a) => a.kind === descriptor.kind).map((a) => a.name)).toEqual(
          expect.arrayContaining(sample.names),
        );
        const ranks = deletes.map((a) => kindRank(a.kind));
        expect(ranks).toEqual([...ranks].sort((a, b) => b - a));
        const pruned = await cli(['apply', 'empty', ...pruneFlags], dir);
        expect(pruned.code, pruned.stderr).toBe(0);
        expect(held()).toEqual([]);
      });
    },
  );
}
