/**
 * JSON may carry `\ud800`: a lone surrogate that is no character at all. MySQL refuses it in
 * utf8mb4 columns (a 500 after the interaction was half made) and XMPP/SIP peers choke on it,
 * so every parsed input is checked before any handler sees it.
 */
const LONE_SURROGATE = /\p{Cs}/u;

/** The path (`fields.name`, `items.2`) of the first string or key that is not valid Unicode, or null. */
export function invalidUnicodePath(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? path.join('.') || '(body)' : null;
  if (value === null || typeof value !== 'object') return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = invalidUnicodePath(value[i], [...path, String(i)]);
      if (found) return found;
    }
    return null;
  }
  for (const [key, v] of Object.entries(value)) {
    if (LONE_SURROGATE.test(key)) return [...path, key.replace(LONE_SURROGATE, '\ufffd')].join('.');
    const found = invalidUnicodePath(v, [...path, key]);
    if (found) return found;
  }
  return null;
}

export const INVALID_UNICODE = 'is not valid Unicode (it contains a lone surrogate)';
