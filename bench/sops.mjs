// Figure 1c: what SOPS costs validate (SPEC §2d, issue 20). Two copies of one bench/gen-manifests.mjs
// tree of N resources (10 per file) with the material inline: one plain, one SOPS-encrypted file by
// file for an age recipient (this project's encoder, sops' layout: the secret fields encrypted). The
// whole CLI process, `validate PLAIN` against `validate ENCRYPTED` with SOPS_AGE_KEY set, alternating
// run by run after one warm-up each. One data-key unwrap (X25519) per file is the only asymmetric
// step; every value is then one AES-GCM open and the MAC one SHA-512 pass.
// Target: encrypted costs under 1.5x plain.
// Run after `npm run build`: node bench/sops.mjs   (BENCH_RUNS, BENCH_QUICK)
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateIdentity, identityToRecipient } from 'age-encryption';
import { parseAllDocuments } from 'yaml';
import { benchConfig } from './lib/config.mjs';
import { int, ms, spread, textTable } from './lib/format.mjs';
import { manifestEnv, removeTree, tempDir, writeManifestTree } from './lib/manifests.mjs';
import { cleanEnv, expectExit, timeCli, ROOT } from './lib/proc.mjs';
import { summarise } from './lib/stats.mjs';

/** The most validate of the encrypted tree may cost, as a multiple of the plain one. */
export const TARGET_SOPS_RATIO = 1.5;
const SECRET_FIELDS = new Set(['publicKey', 'privateKey', 'content', 'file', 'password']);

/** Every file under dir, relative. */
async function filesUnder(dir) {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name)));
}

/**
 * Writes PLAIN (the tree with every fromFile value inline as base64, fromEnv kept) and ENCRYPTED
 * (each PLAIN file SOPS-encrypted for `recipient`) from a generated tree.
 */
export async function writeTrees(generated, plain, encrypted, recipient) {
  const { encryptSopsYaml } = await import(join(ROOT, 'dist', 'secrets', 'sops', 'encode.js'));
  const { stringify } = await import('yaml');
  let files = 0;
  for (const rel of (await filesUnder(generated)).filter((f) => f.endsWith('.yaml'))) {
    const source = join(generated, rel);
    const docs = parseAllDocuments(await readFile(source, 'utf8')).map((d) => d.toJS());
    for (const doc of docs)
      for (const env of doc.spec.environments)
        for (const [field, value] of Object.entries(env))
          if (SECRET_FIELDS.has(field) && typeof value === 'object' && 'fromFile' in value)
            env[field] = (await readFile(join(dirname(source), value.fromFile))).toString('base64');
    for (const [root, text] of [
      [plain, docs.map((d) => stringify(d, { lineWidth: 0 })).join('---\n')],
      [encrypted, await encryptSopsYaml(docs, { recipients: [recipient] })],
    ]) {
      await mkdir(dirname(join(root, rel)), { recursive: true });
      await writeFile(join(root, rel), text);
    }
    files += 1;
  }
  return files;
}

/** Times validate of the plain and the encrypted tree, `runs` times each, alternating. */
export async function measureSops({ resources, runs }) {
  const root = await tempDir();
  try {
    const generated = join(root, 'generated');
    const tree = await writeManifestTree(generated, { resources });
    const identity = await generateIdentity();
    const files = await writeTrees(
      generated,
      join(root, 'plain'),
      join(root, 'encrypted'),
      await identityToRecipient(identity),
    );
    const env = cleanEnv({
      ...manifestEnv(generated),
      SOPS_AGE_KEY: identity,
      XDG_CONFIG_HOME: join(root, 'no-config'),
    });
    const variants = { plain: ['validate', join(root, 'plain')], encrypted: ['validate', join(root, 'encrypted')] };
    const samples = { plain: [], encrypted: [] };
    const summaries = {};
    for (let r = -1; r < runs; r += 1) {
      for (const [name, args] of Object.entries(variants)) {
        const run = expectExit(await timeCli(args, { env }), [0], args.join(' '));
        summaries[name] = run.stdout.trim().split('\n').pop() ?? '';
        if (r >= 0) samples[name].push(run);
      }
    }
    const wall = (name) => summarise(samples[name].map((s) => s.ms));
    const cpu = (name) => summarise(samples[name].map((s) => s.cpuMs ?? Number.NaN));
    const f = {
      resources: tree.resources ?? resources,
      files,
      runs,
      summaries,
      plain: { wall: wall('plain'), cpu: cpu('plain') },
      encrypted: { wall: wall('encrypted'), cpu: cpu('encrypted') },
      target: TARGET_SOPS_RATIO,
    };
    f.ratio = f.encrypted.wall.median / f.plain.wall.median;
    f.cpuRatio = f.encrypted.cpu.median / f.plain.cpu.median;
    return f;
  } finally {
    await removeTree(root);
  }
}

/** The figure as [header, rows], for textTable or markdownTable. */
export function sopsRows(f) {
  const row = (what, m) => [what, int(f.resources), int(f.files), spread(m.wall), ms(m.cpu.median)];
  const verdict = f.ratio < f.target ? 'holds' : 'MISSED';
  return [
    [
      'validate',
      'resources',
      'files',
      'wall median (min - max)',
      'CPU median',
      `encrypted / plain (target < ${f.target}x)`,
    ],
    [
      [...row('plain (material inline)', f.plain), ''],
      [
        ...row('SOPS-encrypted (age)', f.encrypted),
        `${f.ratio.toFixed(2)}x wall, ${f.cpuRatio.toFixed(2)}x CPU: ${verdict}`,
      ],
    ],
  ];
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const config = benchConfig();
  const f = await measureSops({ resources: config.sizes.sops, runs: config.runs });
  console.log(`validate plain vs SOPS-encrypted, ${config.runs} runs each; "${f.summaries.encrypted}"\n`);
  console.log(textTable(...sopsRows(f)));
}
