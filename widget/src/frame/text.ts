// Text the widget itself cuts before sending. No imports and no DOM: unit-tested in Node.

/**
 * At most `max` UTF-16 units, never half a character: a cut between the two halves of an emoji
 * would send a lone surrogate, which is not text (a server cannot store it, JSON cannot carry it
 * faithfully).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  return /[\ud800-\udbff]$/.test(cut) ? cut.slice(0, -1) : cut;
}
