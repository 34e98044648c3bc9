// Reading the repository's markdown for the docs tests: links, headings and their GitHub anchors,
// and the sections of a page. Pure apart from the file reads the caller does.

/** One `[text](target)` link found in a markdown file, with its 1-based line. */
export interface MarkdownLink {
  target: string;
  line: number;
}

/** The text with fenced code blocks and inline code spans blanked out (links there are examples). */
export function withoutCode(text: string): string {
  const lines = text.split('\n');
  let fence: string | null = null;
  const kept = lines.map((line) => {
    const open = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (open && open[1]!.startsWith(fence)) fence = null;
      return '';
    }
    if (open) {
      fence = open[1]!;
      return '';
    }
    return line.replace(/`[^`]*`/g, (m) => ' '.repeat(m.length));
  });
  return kept.join('\n');
}

/** Every inline link and image target outside code, in order (`<...>` and titles removed). */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutCode(text)
    .split('\n')
    .forEach((line, i) => {
      const found = line.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g);
      for (const m of found) links.push({ target: m[1]!, line: i + 1 });
    });
  return links;
}

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
export function headingSlug(heading: string): string {
  return heading
    .trim()
    .replace(/`/g, '')
    .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

/** The anchors a page offers: one per heading outside code, repeats suffixed -1, -2 as GitHub does. */
export function headingAnchors(text: string): Set<string> {
  const anchors = new Set<string>();
  const seen = new Map<string, number>();
  for (const line of withoutCodeBlocks(text).split('\n')) {
    const m = /^#{1,6}\s+(.+?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const slug = headingSlug(m[1]!);
    const n = seen.get(slug) ?? 0;
    seen.set(slug, n + 1);
    anchors.add(n === 0 ? slug : `${slug}-${n}`);
  }
  return anchors;
}

/** Like withoutCode, but keeps inline code (a heading may contain it). */
function withoutCodeBlocks(text: string): string {
  let fence: string | null = null;
  return text
    .split('\n')
    .map((line) => {
      const open = /^\s*(`{3,}|~{3,})/.exec(line);
      if (fence !== null) {
        if (open && open[1]!.startsWith(fence)) fence = null;
        return '';
      }
      if (open) {
        fence = open[1]!;
        return '';
      }
      return line;
    })
    .join('\n');
}

/** The `## title` sections of a page, by title: the text from the heading to the next `## `. */
export function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let title: string | null = null;
  let body: string[] = [];
  for (const line of withoutCodeBlocks(text).split('\n')) {
    const m = /^##\s+(.+?)\s*$/.exec(line);
    if (m) {
      if (title !== null) out.set(title, body.join('\n'));
      title = m[1]!;
      body = [];
    } else if (title !== null) {
      body.push(line);
    }
  }
  if (title !== null) out.set(title, body.join('\n'));
  return out;
}

/** The flags (`--name`) named in the first cell of each table row of a section. */
export function tableFlags(section: string): string[] {
  const flags: string[] = [];
  for (const line of section.split('\n')) {
    const cells = line.split(/(?<!\\)\|/);
    if (!line.startsWith('|') || cells.length < 3) continue;
    for (const m of cells[1]!.matchAll(/`(--[a-z][a-z0-9-]*)/g)) flags.push(m[1]!);
  }
  return flags;
}
