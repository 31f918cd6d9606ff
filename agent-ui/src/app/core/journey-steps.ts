import type { JourneyType } from '@switchboard/protocol';
import { en, type MessageKey } from './i18n/en';

const PREFIX = 'journey.';

/**
 * The server writes only the types protocol/ lists (JOURNEY_TYPES): one without words in the
 * dictionaries (`journey.<type>`; it and fr must have every key of en) fails this build.
 */
type Wordless = Exclude<`journey.${JourneyType}`, MessageKey>;
export const EVERY_JOURNEY_TYPE_HAS_WORDS: [Wordless] extends [never] ? true : Wordless = true;

/** Journey event types the desktop has words for: every `journey.<type>` text of the dictionaries. */
export const KNOWN_STEPS: ReadonlySet<string> = new Set(
  Object.keys(en)
    .filter((k) => k.startsWith(PREFIX))
    .map((k) => k.slice(PREFIX.length)),
);

/**
 * A type the desktop has no words for (written by a newer server) still reads as words rather
 * than as a key: "offer.re-queued" → "Offer re queued", "callbackDue" → "Callback due".
 */
export function humanize(type: string): string {
  const words = type
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s._:/-]+/)
    .filter(Boolean)
    .join(' ')
    .toLowerCase();
  return words ? words.charAt(0).toUpperCase() + words.slice(1) : '—';
}

export function stepLabel(t: (key: MessageKey) => string, type: string): string {
  return KNOWN_STEPS.has(type) ? t((PREFIX + type) as MessageKey) : humanize(type);
}
