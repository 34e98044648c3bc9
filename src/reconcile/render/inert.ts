// Pure: the one way text from outside (manifests, file names, the server) enters the markdown of a
// pull-request comment (SPEC §4, "a pull request is untrusted input"). The text becomes a code span:
// inside one, CommonMark interprets nothing (no emphasis, link, autolink, HTML or entity), and
// GitHub and GitLab look for mentions (`@user`, `@org/team`) and references (`#1`, `owner/repo#1`,
// `!1`, `%milestone`) only outside `code` elements, after decoding entities, so escaping `@` as
// `&#64;` is not enough but a code span is. What a code span cannot stop is done before it:
// - a line break (CR, LF, NEL, U+2028/9 ...) would end the span, the table row or the paragraph:
//   `printable` writes every control, line-break, bidi and zero-width character as a visible escape,
//   as the text output does, so the text stays on its line and shows what it really holds;
// - a backtick run as long as the fence would close it: the fence is one longer than any run;
// - in a table cell a `|` ends the cell even inside a code span (GFM splits rows first): it is
//   written `\|`, which GFM turns back into `|`; a backslash right before it would pair with ours
//   in some renderers (marked counts backslashes), so such a backslash is written as `\u005c`.
import { printable } from '../../diagnostics.js';

/** Where the text goes: running text (a paragraph or list item), a table cell, or raw HTML (a `<summary>`). */
export type InertContext = 'inline' | 'cell' | 'html';

/**
 * `text` from outside, made inert for markdown: it cannot end a line or a cell, open HTML or a link,
 * mention anyone or reference an issue, and bidi or zero-width characters show as escapes. Empty
 * text is the empty string (there is nothing to show).
 */
export function inertMarkdown(text: string, where: InertContext = 'inline'): string {
  let shown = printable(text);
  if (shown === '') return '';
  if (where === 'html') {
    // Raw HTML is not markdown: entities for the five significant characters, and a <code> element,
    // which the forges' mention and reference filters skip just as they skip code spans.
    const escaped = shown
      .replace(/&/g, '&amp;')
      .replace(/</g, '&lt;')
      .replace(/>/g, '&gt;')
      .replace(/"/g, '&quot;')
      .replace(/'/g, '&#39;');
    return `<code>${escaped}</code>`;
  }
  if (where === 'cell')
    shown = shown.replace(/\\+(?=\|)/g, (run) => '\\u005c'.repeat(run.length)).replace(/\|/g, '\\|');
  const longestRun = Math.max(0, ...(shown.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(longestRun + 1);
  // A backtick at either end would join the fence, and a space at both ends would be stripped: then
  // one space goes inside each fence, which CommonMark strips again (exactly one from each side), so
  // the text comes out as it went in. Text of spaces only is never stripped and needs none.
  const pad = !/^ +$/.test(shown) && (/^`|`$/.test(shown) || /^ [^]* $/.test(shown)) ? ' ' : '';
  return `${fence}${pad}${shown}${pad}${fence}`;
}
