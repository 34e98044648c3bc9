// Number formatting and the text/markdown tables the bench prints and writes.

/** Milliseconds as "1,234 ms" or, from 10 s up, "12.3 s". */
export function ms(x) {
  if (!Number.isFinite(x)) return 'n/a';
  if (Math.abs(x) >= 10_000) return `${(x / 1000).toFixed(1)} s`;
  return `${Math.round(x).toLocaleString('en-US')} ms`;
}

/** A whole number with thousands separators. */
export function int(x) {
  return Number.isFinite(x) ? Math.round(x).toLocaleString('en-US') : 'n/a';
}

/** Kibibytes as "123.4 MB" (MiB, as the kernel counts RSS). */
export function mb(kb) {
  return Number.isFinite(kb) ? `${(kb / 1024).toFixed(1)} MB` : 'n/a';
}

/** A ratio as "1.07x". */
export function ratio(x) {
  return Number.isFinite(x) ? `${x.toFixed(2)}x` : 'n/a';
}

/** "median (min-max)" of a summary, each value through `f`. */
export function spread(s, f = ms) {
  if (!s || s.n === 0) return 'n/a';
  return `${f(s.median)} (${f(s.min)} - ${f(s.max)})`;
}

/** A plain-text table with columns padded to fit. */
export function textTable(header, rows) {
  const all = [header, ...rows].map((r) => r.map((c) => String(c)));
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (r) =>
    r
      .map((c, i) => (c ?? '').padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(all[0]), widths.map((w) => '-'.repeat(w)).join('  '), ...all.slice(1).map(line)].join('\n');
}

/** A GitHub-flavoured markdown table; pipes in cells are escaped. */
export function markdownTable(header, rows) {
  const cell = (c) => String(c).replace(/\|/g, '\\|');
  return [
    `| ${header.map(cell).join(' | ')} |`,
    `|${header.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`),
  ].join('\n');
}
