import { TestBed } from '@angular/core/testing';
import { I18n, browserLang, formatDuration, localize } from './i18n';

describe('I18n', () => {
  beforeEach(() => localStorage.removeItem('sb.lang'));

  it('picks the first supported browser language, English otherwise', () => {
    expect(browserLang(['de-DE', 'it-CH', 'fr'])).toBe('it');
    expect(browserLang(['FR-ca'])).toBe('fr');
    expect(browserLang(['de', 'es'])).toBe('en');
    expect(browserLang([])).toBe('en');
  });

  it('translates with parameters and follows an explicit choice, remembered in the browser', () => {
    const i18n = TestBed.inject(I18n);
    i18n.use('fr');
    expect(i18n.t('state.available')).toBe('Disponible');
    expect(i18n.t('conn.reconnecting', { seconds: 4 })).toBe('Connexion perdue. Nouvel essai dans 4 s');
    i18n.use('it');
    expect(i18n.t('login.submit')).toBe('Accedi');
    TestBed.tick();
    expect(localStorage.getItem('sb.lang')).toBe('it');
    expect(document.documentElement.lang).toBe('it');
    i18n.use(null);
    TestBed.tick();
    expect(localStorage.getItem('sb.lang')).toBeNull();
  });

  it('reads a configuration text as a string or by language: the agent’s, else English, else the first', () => {
    expect(localize('Lunch', 'it')).toBe('Lunch');
    const lunch = { en: 'Lunch', it: 'Pranzo', fr: 'Déjeuner' };
    expect(localize(lunch, 'it')).toBe('Pranzo');
    expect(localize(lunch, 'fr')).toBe('Déjeuner');
    expect(localize({ en: 'Lunch', it: 'Pranzo' }, 'fr')).toBe('Lunch');
    expect(localize({ it: 'Pranzo', de: 'Mittagessen' }, 'fr')).toBe('Pranzo');
    expect(localize({ it: '', en: 'Lunch' }, 'it')).toBe('Lunch');
    // Garbage from a server reads as nothing rather than as "[object Object]" or a crash.
    expect(localize({ en: 5, it: 'Pranzo' } as never, 'fr')).toBe('Pranzo');
    expect(localize({}, 'en')).toBe('');
    expect(localize(['Lunch'] as never, 'en')).toBe('');
    expect(localize(42 as never, 'en')).toBe('');
    expect(localize(null, 'en')).toBe('');
    expect(localize(undefined, 'en')).toBe('');
  });

  it('follows the agent’s language for configuration texts', () => {
    const i18n = TestBed.inject(I18n);
    i18n.use('fr');
    expect(i18n.text({ en: 'Support (chat)', fr: 'Assistance (chat)' })).toBe('Assistance (chat)');
    i18n.use('it');
    expect(i18n.text({ en: 'Support (chat)', fr: 'Assistance (chat)' })).toBe('Support (chat)');
    i18n.use(null);
  });

  it('formats time in a state the way agents read it', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(65_400)).toBe('1:05');
    expect(formatDuration(3_909_000)).toBe('1:05:09');
    expect(formatDuration(-5)).toBe('0:00');
  });
});
