// Reads a V8 .cpuprofile (from `node --cpu-prof`) and lists the functions with the most self time.
// Usage: node bench/lib/profile.mjs FILE.cpuprofile [TOP]
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Self time per function (ms), largest first: [{name, where, ms, share}]. */
export function topSelfTime(profile, top = 20) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  const deltas = profile.timeDeltas ?? [];
  let total = 0;
  profile.samples.forEach((id, i) => {
    const dt = (deltas[i] ?? 0) / 1000;
    total += dt;
    const node = byId.get(id);
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^file:\/\//, '').replace(/.*\/(node_modules|dist|src)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'}\u0000${where}`;
    self.set(key, (self.get(key) ?? 0) + dt);
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
    console.error('usage: node bench/lib/profile.mjs FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  const rows = topSelfTime(JSON.parse(readFileSync(file, 'utf8')), Number(process.argv[3] ?? 25));
  for (const r of rows) console.log(`${r.ms.toFixed(0).padStart(7)} ms ${(r.share * 100).toFixed(1).padStart(5)} %  ${r.name}  ${r.where}`);
}
