import sanitizeHtml from 'sanitize-html';

const MAX_HTML = 512 * 1024;

/**
 * A customer's HTML mail made safe to show: no scripts, styles, frames, forms, event handlers or
 * images (remote images would tell the sender the mail was read, and can carry anything); links
 * only to http(s) and mailto, opened away from the desktop. The desktop still shows it in a
 * sandboxed frame without scripts: two locks, not one.
 */
export function sanitizeMailHtml(html: string): string {
  return sanitizeHtml(html.slice(0, MAX_HTML * 4), {
    allowedTags: ['p', 'br', 'div', 'span', 'b', 'strong', 'i', 'em', 'u', 's', 'blockquote', 'pre', 'code', 'ul', 'ol', 'li', 'a', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'table', 'thead', 'tbody', 'tr', 'td', 'th', 'hr'],
    allowedAttributes: { a: ['href', 'rel', 'target'], td: ['colspan', 'rowspan'], th: ['colspan', 'rowspan'] },
    allowedSchemes: ['http', 'https', 'mailto'],
    allowProtocolRelative: false,
    disallowedTagsMode: 'discard',
    transformTags: { a: sanitizeHtml.simpleTransform('a', { rel: 'noopener noreferrer nofollow', target: '_blank' }) },
  }).slice(0, MAX_HTML);
}

/** The words of sanitised HTML as plain text: blocks on their own lines, entities decoded. */
export function htmlText(safe: string): string {
  return safe
    .replace(/<(br|\/p|\/div|\/li|\/tr|\/h[1-6]|\/blockquote)\b[^>]*>/gi, '\n')
    .replace(/<[^>]*>/g, '')
    .replace(/&nbsp;/g, ' ')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n\s*\n+/g, '\n\n')
    .trim();
}
