// The website's look as the visitor meets it, shared by the loader and the frame: the text colour
// on the website's colour, and the website's own texts in the visitor's language. No runtime
// imports and no DOM, so both bundles can take it and unit tests can run it in Node.
import type { Language, LocalText } from '@switchboard/protocol';

export type { Language, LocalText } from '@switchboard/protocol';

export const LANGUAGES: readonly Language[] = ['en', 'it', 'fr'];

/** The visitor's language: the one the site (or the website's config) asks for, else the browser's first we speak, else English. */
export function pickLanguage(wanted: string | undefined, browser: readonly string[]): Language {
  const ours = (l: string | undefined) => LANGUAGES.find((x) => x === l?.slice(0, 2).toLowerCase());
  return ours(wanted) ?? browser.map(ours).find(Boolean) ?? 'en';
}

/** The text in the visitor's language, else in English, else the first the website wrote. */
export function localText(text: LocalText | null | undefined, lang: Language): string {
  if (typeof text === 'string') return text;
  if (!text || typeof text !== 'object') return '';
  return [text[lang], text.en, ...Object.values(text)].find((v): v is string => typeof v === 'string') ?? '';
}

const channel = (hex: string, at: number) => {
  const c = parseInt(hex.slice(at, at + 2), 16) / 255;
  return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
};

/** WCAG relative luminance of a colour like #1a73e8. */
export function luminance(hex: string): number {
  return 0.2126 * channel(hex, 1) + 0.7152 * channel(hex, 3) + 0.0722 * channel(hex, 5);
}

/**
 * Black or white, whichever reads better on the website's colour. The two are equal at luminance
 * 0.179, where each still gives 4.58:1: every colour gets text at WCAG AA (4.5:1) or better.
 */
export function textOn(hex: string): '#000000' | '#ffffff' {
  return luminance(hex) > 0.179 ? '#000000' : '#ffffff';
}
