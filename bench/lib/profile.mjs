// Reads a V8 .cpuprofile (from `node --cpu-prof`) and lists the functions with the most self time
// (or, with --inclusive, the most time with their callees: who is behind a hot built-in).
// Usage: node bench/lib/profile.mjs FILE.cpuprofile [TOP] [--inclusive]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

function frameKey(node) {
  const f = node.callFrame;
  const where = f.url
    ? `${f.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules|dist|src)\//, '$1/')}:${f.lineNumber + 1}`
    : '';
  return `${f.functionName || '(anonymous)'}\u0000${where}`;
}

/**
 * Time per function (ms), largest first: [{name, where, ms, share}]. Self time by default;
 * `inclusive` counts a sample for every distinct function on its stack.
 */
export function topSelfTime(profile, top = 20, inclusive = false) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map();
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (deltas[i] ?? 0) / 1000;
    total += dt;
    const keys = new Set();
    for (let at = id; at !== undefined; at = inclusive ? parent.get(at) : undefined) keys.add(frameKey(byId.get(at)));
    for (const key of keys) self.set(key, (self.get(key) ?? 0) + dt);
  });
  return [...self.entries()]
    .map(([k, ms]) => {
      const [name, where] = k.split('\u0000');
      return { name, where, ms, share: ms / total };
    })
    .sort((a, b) => b.ms - a.ms)
    .slice(0, top);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/lib/profile.mjs FILE.cpuprofile [TOP] [--inclusive]');
    process.exit(2);
  }
  const top = Number(process.argv.slice(3).find((a) => /^\d+$/.test(a)) ?? 25);
  const rows = topSelfTime(JSON.parse(readFileSync(file, 'utf8')), top, process.argv.includes('--inclusive'));
  for (const r of rows)
    console.log(`${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}  ${r.where}`);
}
