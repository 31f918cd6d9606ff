import sanitizeHtml from 'sanitize-html';

/** How an agent's reply is written: as plain text, or with the few marks the reply editor offers. */
export const REPLY_FORMATS = ['plain', 'formatted'] as const;
export type ReplyFormat = (typeof REPLY_FORMATS)[number];

const escape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const LINK = /\[([^\]\n]{1,500})\]\(((?:https?:\/\/|mailto:)[^\s()<>"']{1,2000})\)/g;

/** `**bold**`, `*italic*` / `_italic_` and `[text](https://…)` within one line of escaped text. */
function inline(escaped: string): string {
  return escaped
    .replace(LINK, (_m, text: string, url: string) => `<a href="${url}">${text}</a>`)
    .replace(/\*\*(?=\S)([^*\n]+?)\*\*/g, '<strong>$1</strong>')
    .replace(/(^|[^\w*])\*(?=\S)([^*\n]+?)\*(?!\w)/g, '$1<em>$2</em>')
    .replace(/(^|[^\w])_(?=\S)([^_\n]+?)_(?!\w)/g, '$1<em>$2</em>');
}

/**
 * The HTML alternative of a formatted reply. Everything the agent typed is escaped first, so the
 * only markup is what the marks make: paragraphs, line breaks, strong, em, lists and links to
 * http(s)/mailto. The result goes through an allow-list of exactly those tags as a second lock.
 */
export function replyHtml(text: string): string {
  const blocks = text.replace(/\r\n?/g, '\n').split(/\n\s*\n/).map((b) => b.replace(/^\n+|\n+$/g, '')).filter((b) => b.trim());
  const html = blocks
    .map((block) => {
      const lines = block.split('\n');
      if (lines.every((l) => /^\s*[-*•]\s+/.test(l))) return `<ul>${lines.map((l) => `<li>${inline(escape(l.replace(/^\s*[-*•]\s+/, '')))}</li>`).join('')}</ul>`;
      if (lines.every((l) => /^\s*\d{1,3}[.)]\s+/.test(l))) return `<ol>${lines.map((l) => `<li>${inline(escape(l.replace(/^\s*\d{1,3}[.)]\s+/, '')))}</li>`).join('')}</ol>`;
      return `<p>${lines.map((l) => inline(escape(l))).join('<br>')}</p>`;
    })
    .join('\n');
  return sanitizeHtml(html, {
    allowedTags: ['p', 'br', 'strong', 'em', 'ul', 'ol', 'li', 'a'],
    allowedAttributes: { a: ['href'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'escape',
  });
}

/** The plain-text part of a formatted reply: the marks a reader does not need go, links show their address. */
export function replyText(text: string): string {
  return text.replace(LINK, (_m, label: string, url: string) => (label === url ? url : `${label} <${url}>`));
}
