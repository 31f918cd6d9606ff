import { Injectable, computed, effect, signal } from '@angular/core';
import { en, type MessageKey } from './i18n/en';
import { fr } from './i18n/fr';
import { it } from './i18n/it';

export const LANGUAGES = [
  { id: 'en', name: 'English' },
  { id: 'it', name: 'Italiano' },
  { id: 'fr', name: 'Français' },
] as const;
export type Lang = (typeof LANGUAGES)[number]['id'];

const DICTIONARIES: Record<Lang, Record<MessageKey, string>> = { en, it, fr };
const STORAGE_KEY = 'sb.lang';

/**
 * A text from the server's configuration (queue names, Not-ready reasons, dispositions): one
 * string for every language, or one per language (`{ en, it, fr }`).
 */
export type ConfigText = string | Readonly<Record<string, string>>;

/**
 * The text in `lang`, else in English, else the first language the map gives; a plain string as
 * it is. Empty and non-string entries count as missing, and anything else reads as "".
 */
export function localize(text: ConfigText | null | undefined, lang: Lang): string {
  if (typeof text === 'string') return text;
  if (!text || typeof text !== 'object' || Array.isArray(text)) return '';
  const pick = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  return pick(text[lang]) ?? pick(text['en']) ?? Object.values(text).map(pick).find((v) => v !== undefined) ?? '';
}

/** The first supported language among the browser's preferences; English otherwise. */
export function browserLang(preferences: readonly string[]): Lang {
  for (const p of preferences) {
    const base = p.toLowerCase().split('-')[0];
    if (base === 'en' || base === 'it' || base === 'fr') return base;
  }
  return 'en';
}

/**
 * Texts in the agent's language: the browser's, unless the agent picked one (kept in this
 * browser). `t()` reads a signal, so templates re-render when the language changes.
 */
@Injectable({ providedIn: 'root' })
export class I18n {
  /** The agent's explicit choice; null follows the browser. */
  readonly override = signal<Lang | null>(readStored());
  readonly lang = computed<Lang>(() => this.override() ?? browserLang(navigator.languages ?? [navigator.language]));

  constructor() {
    effect(() => {
      document.documentElement.lang = this.lang();
      const o = this.override();
      try {
        if (o) localStorage.setItem(STORAGE_KEY, o);
        else localStorage.removeItem(STORAGE_KEY);
      } catch {
        // Storage may be blocked (private mode): the choice then lasts for this page only.
      }
    });
  }

  readonly t = (key: MessageKey, params: Record<string, string | number> = {}): string => {
    // A key built at run time from server data (a channel, a state) may be one we have no words for.
    const text = DICTIONARIES[this.lang()][key] ?? en[key] ?? key;
    return text.replace(/\{(\w+)\}/g, (_, name: string) => String(params[name] ?? `{${name}}`));
  };

  /** A configuration text in the agent's language (re-renders on a language switch, as `t` does). */
  readonly text = (value: ConfigText | null | undefined): string => localize(value, this.lang());

  use(lang: Lang | null): void {
    this.override.set(lang);
  }
}

function readStored(): Lang | null {
  try {
    const v = localStorage.getItem(STORAGE_KEY);
    return v === 'en' || v === 'it' || v === 'fr' ? v : null;
  } catch {
    return null;
  }
}

/** "1:05:09" / "4:07": how agents read durations in a state. */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${h ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}
