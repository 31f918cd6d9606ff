import { z } from 'zod';

// What every configuration file shares: ids, ports, channels, roles, texts in several languages.

// Every object is strict: an unknown key is almost always a typo by the administrator, and a
// silently ignored typo (e.g. `offerTimout`) is worse than a refused start.

export const id = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'must be lowercase letters, digits and dashes (max 63), starting with a letter or digit');
export const port = z.number().int().min(1).max(65535);
export const host = z.string().min(1);
export const seconds = z.number().int().min(0);

export const CHANNELS = ['phone', 'video', 'chat', 'callback', 'mail'] as const;
export const channel = z.enum(CHANNELS);
export type Channel = z.infer<typeof channel>;

export const ROLES = ['agent', 'supervisor', 'admin'] as const;
export const role = z.enum(ROLES);
export type Role = z.infer<typeof role>;

// ---------------------------------------------------------------- texts users see
export const language = z.enum(['en', 'it', 'fr']);
/**
 * A text from the configuration that agents or visitors read: one string for every language, or
 * one per language (`{ en: …, it: …, fr: … }`, at least one). A reader gets their language, else
 * English, else the first language given (docs/config-reference.md, "Texts in several languages").
 */
export const localText = z.union([
  z.string().min(1),
  z
    .partialRecord(language, z.string().min(1))
    .refine((m) => Object.keys(m).length > 0, 'give the text, or at least one of en, it, fr'),
]);
export type LocalText = z.infer<typeof localText>;

/** The text in `lang`, else English, else the first language given (the widget and desktop pick the same way). */
export function textIn(text: LocalText | undefined, lang: z.infer<typeof language> = 'en'): string {
  if (text === undefined) return '';
  if (typeof text === 'string') return text;
  return text[lang] ?? text.en ?? Object.values(text).find((v) => typeof v === 'string') ?? '';
}
