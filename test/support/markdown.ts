// Rendering markdown the way a forge does, for tests: `marked` (a CommonMark + GFM renderer, a dev
// dependency) turns the plan comment into HTML, and these helpers read what a reviewer would see:
// the structure (tables, rows, cells, blocks) and the text outside code, where GitHub and GitLab
// look for mentions, references and bare links.
import { marked } from 'marked';

/** The HTML a GFM renderer makes of `markdown`. */
export function renderGfm(markdown: string): string {
  return marked.parse(markdown, { gfm: true, async: false });
}

/** The HTML with the content of every `<code>` element removed (marked escapes `<` inside code). */
export function outsideCode(html: string): string {
  return html.replace(/<code>[^<]*<\/code>/g, '<code></code>');
}

/** The name of every tag in the HTML, opening and closing, in order (`tr`, `/tr` ...). */
export function tagNames(html: string): string[] {
  return [...html.matchAll(/<(\/?[a-zA-Z][a-zA-Z0-9]*)/g)].map((m) => m[1]!.toLowerCase());
}

/** Text of the HTML with tags dropped and the entities marked writes decoded. */
export function textOf(html: string): string {
  return decodeEntities(html.replace(/<[^>]*>/g, ''));
}

/** The entities marked writes (and numeric ones), decoded as a browser would. */
export function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** The decoded content of each `<code>` element, in order. */
export function codeContents(html: string): string[] {
  return [...html.matchAll(/<code>([^<]*)<\/code>/g)].map((m) => decodeEntities(m[1]!));
}

/**
 * What a forge would turn into a ping, a cross-reference or a link if it stood outside code: a
 * mention (`@user`, `@org/team`), an issue or merge-request reference (`#1`, `owner/repo#1`, `!1`,
 * `%milestone`), or a bare URL (`https://`, `www.`). Run it on text outside code, decoded.
 */
export const LIVE_TEXT = /@[A-Za-z0-9]|#\d|![0-9]|%[A-Za-z]|https?:\/\/|www\./i;
