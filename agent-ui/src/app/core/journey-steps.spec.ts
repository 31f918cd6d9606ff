import { TestBed } from '@angular/core/testing';
import { I18n, type Lang } from './i18n';
import { en } from './i18n/en';
import { fr } from './i18n/fr';
import { it as itDict } from './i18n/it';
import { JOURNEY_TYPES } from '@switchboard/protocol';
import { humanize, stepLabel } from './journey-steps';

/** Every event type the server may write (protocol/src/journey.ts; the server's entity is typed with it). */
const SERVER_TYPES = JOURNEY_TYPES;
const DICTIONARIES: Record<Lang, Record<string, string>> = { en, it: itDict, fr };

describe('journey steps', () => {
  beforeEach(() => localStorage.removeItem('sb.lang'));

  for (const lang of ['en', 'it', 'fr'] as const) {
    it(`names every event type the server writes in words (${lang})`, () => {
      const i18n = TestBed.inject(I18n);
      i18n.use(lang);
      for (const type of SERVER_TYPES) {
        const words = stepLabel(i18n.t, type);
        expect(words, type).toBe(DICTIONARIES[lang]['journey.' + type]);
        expect(words, type).not.toMatch(/^[a-z]+([.-][a-z]+)+$/);
      }
      i18n.use(null);
    });
  }

  it('reads an unknown type as words, never as a key', () => {
    const t = TestBed.inject(I18n).t;
    expect(stepLabel(t, 'offer.re-queued')).toBe('Offer re queued');
    expect(stepLabel(t, 'callbackDue')).toBe('Callback due');
    expect(stepLabel(t, 'survey_sent.by-mail')).toBe('Survey sent by mail');
    expect(humanize('')).toBe('—');
    expect(humanize('...')).toBe('—');
  });
});
