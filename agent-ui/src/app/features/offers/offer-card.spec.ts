import { TestBed } from '@angular/core/testing';
import type { OfferPayload } from '@switchboard/protocol';
import { I18n } from '../../core/i18n';
import type { HttpTestingController } from '@angular/common/http/testing';
import type { ComponentFixture } from '@angular/core/testing';
import { setUp, settle, text } from '../../testing/helpers';
import { OfferCard } from './offer-card';

const XSS = '<img src=x onerror="window.__pwned=1">';

describe('OfferCard', () => {
  it('shows customer, queue, waiting time and the time left; customer text stays text', async () => {
    setUp();
    const fixture = TestBed.createComponent(OfferCard);
    const offer: OfferPayload = {
      offerId: 'o1',
      kind: 'transfer',
      interactionId: 'i1',
      channel: 'chat',
      queueId: 'support-chat',
      queueName: 'Support (chat)',
      customerName: XSS,
      subject: XSS,
      waitingSince: new Date(Date.now() - 65_000).toISOString(),
      expiresAt: new Date(Date.now() + 15_500).toISOString(),
      fromAgentId: 'a2',
    };
    fixture.componentRef.setInput('offer', offer);
    let accepted = 0;
    fixture.componentInstance.accept.subscribe(() => accepted++);
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    expect(text(el.querySelector('.channel'))).toBe('Chat');
    expect(text(el.querySelector('.kind'))).toBe('Transfer to you');
    expect(text(el.querySelector('[data-test=offer-left]'))).toMatch(/^1[45] s to answer$/);
    expect(text(el.querySelector('[data-test=offer-customer]'))).toBe(XSS);
    expect(text(el.querySelector('.meta'))).toMatch(/^Support \(chat\) · waiting 1:0[4-6]$/);
    expect(el.querySelector('img')).toBeNull();
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    el.querySelector<HTMLButtonElement>('[data-test=offer-accept]')!.click();
    expect(accepted).toBe(1);
  });

  it('shows what the customer wrote first, the chat option only as the subject, and the queue in the agent’s language', async () => {
    setUp();
    TestBed.inject(I18n).use('it');
    const fixture = TestBed.createComponent(OfferCard);
    const offer: OfferPayload = {
      offerId: 'o2',
      kind: 'route',
      interactionId: 'i2',
      channel: 'chat',
      queueId: 'support-chat',
      // A queue name given per language in queues.yaml (the protocol types it as a string today).
      queueName: { en: 'Support (chat)', it: 'Assistenza (chat)' } as never,
      customerName: 'Ada',
      subject: 'Where is my order?',
      preview: ['My parcel PARCEL-4471 has not arrived', XSS, ''],
      waitingSince: new Date().toISOString(),
      expiresAt: new Date(Date.now() + 20_000).toISOString(),
      fromAgentId: null,
    };
    fixture.componentRef.setInput('offer', offer);
    await fixture.whenStable();
    const el: HTMLElement = fixture.nativeElement;
    const preview = el.querySelector('[data-test=offer-preview]');
    expect([...preview!.querySelectorAll('p')].map(text)).toEqual(['My parcel PARCEL-4471 has not arrived', XSS]);
    expect(preview!.getAttribute('aria-label')).toBe('Cosa ha scritto il cliente');
    expect(text(el.querySelector('.subject'))).toBe('Oggetto Where is my order?');
    expect(text(el.querySelector('.meta'))).toMatch(/^Assistenza \(chat\) · /);
    expect(el.querySelector('img')).toBeNull();
    TestBed.inject(I18n).use('en');
  });

  describe('a callback', () => {
    const callback = (over: Partial<NonNullable<OfferPayload['callback']>> = {}): OfferPayload => ({
      offerId: 'o4', kind: 'route', interactionId: 'i4', channel: 'callback', queueId: 'callbacks', queueName: 'Callbacks',
      customerName: 'Marie', subject: null, waitingSince: null, expiresAt: new Date(Date.now() + 20_000).toISOString(), fromAgentId: null,
      preview: ['Rappelez-moi pour la commande A-1042'],
      callback: { phoneNumber: '+33123456789', slot: null, dueAt: '2026-12-07T09:00:00Z', timeZone: 'Europe/Paris', attempt: 1, maxAttempts: 3, lastCause: null, waiting: false, ...over },
    });
    const render = async (offer: OfferPayload, lang: 'en' | 'fr' | 'it'): Promise<HTMLElement> => {
      setUp();
      TestBed.inject(I18n).use(lang);
      const fixture = TestBed.createComponent(OfferCard);
      fixture.componentRef.setInput('offer', offer);
      await fixture.whenStable();
      return fixture.nativeElement as HTMLElement;
    };
    afterEach(() => TestBed.inject(I18n).use('en'));

    it('words the attempts, the last cause and the time in French on a French desktop, the customer’s words as text', async () => {
      const el = await render(callback({ attempt: 2, lastCause: `486 busy ${XSS}` }), 'fr');
      expect(text(el.querySelector('[data-test=offer-callback-number]'))).toBe('+33123456789');
      expect(text(el.querySelector('[data-test=offer-callback-attempt]'))).toBe(`tentative 2 sur 3 (dernière : 486 busy ${XSS})`);
      // 09:00 UTC is 10:00 in Paris, on a Monday: the website's time, named, whatever the agent's zone.
      expect(text(el.querySelector('[data-test=offer-callback-when]'))).toMatch(/^dès que possible \(lundi .*10:00.*\)$/);
      expect([...el.querySelectorAll('[data-test=offer-preview] p')].map(text)).toEqual(['Rappelez-moi pour la commande A-1042']);
      expect(text(el.querySelector('[data-test=offer]'))).not.toMatch(/attempt|as soon as possible|on the line/);
      expect(el.querySelector('img')).toBeNull();
    });

    it('says a customer-first customer waits on the line, without attempts on the first one, in Italian and English', async () => {
      const italian = await render(callback({ waiting: true }), 'it');
      expect(text(italian.querySelector('[data-test=offer-callback-waiting]'))).toBe('in linea, in attesa');
      expect(italian.querySelector('[data-test=offer-callback-attempt]')).toBeNull();
      const english = await render(callback({ waiting: true, attempt: 3, lastCause: '480 Temporarily Unavailable' }), 'en');
      expect(text(english.querySelector('[data-test=offer-callback-waiting]'))).toBe('on the line, waiting');
      expect(text(english.querySelector('[data-test=offer-callback-attempt]'))).toBe('attempt 3 of 3 (last: 480 Temporarily Unavailable)');
    });

    it('shows the slot the customer picked, from its start to its end', async () => {
      const el = await render(callback({ slot: { start: '2026-12-08T13:00:00Z', end: '2026-12-08T13:30:00Z' } }), 'en');
      expect(text(el.querySelector('[data-test=offer-callback-when]'))).toMatch(/^Tuesday.*December 8.*02:00.PM–02:30.PM/);
    });
  });

  describe('the journey toggle', () => {
    let http: HttpTestingController;
    const offer: OfferPayload = {
      offerId: 'o3', kind: 'route', interactionId: 'now', channel: 'callback', queueId: 'callbacks', queueName: 'Callbacks',
      customerName: 'Maria', subject: null, waitingSince: null, expiresAt: new Date(Date.now() + 20_000).toISOString(), fromAgentId: null,
    };
    const line = (interactionId: string, channel: string | null, at: string, outcome: string) => ({ interactionId, channel, at, outcome });
    const render = async (): Promise<{ fixture: ComponentFixture<OfferCard>; el: HTMLElement }> => {
      http = setUp();
      const fixture = TestBed.createComponent(OfferCard);
      fixture.componentRef.setInput('offer', offer);
      await fixture.whenStable();
      return { fixture, el: fixture.nativeElement as HTMLElement };
    };
    const toggle = (el: HTMLElement) => el.querySelector<HTMLButtonElement>('[data-test=offer-journey-toggle]')!;
    const click = async (fixture: ComponentFixture<OfferCard>) => {
      toggle(fixture.nativeElement).click();
      await fixture.whenStable();
    };
    const answered = async (fixture: ComponentFixture<OfferCard>) => {
      await settle();
      await fixture.whenStable();
    };

    it('is closed and reads nothing until opened, then reads the journey once however often it is opened', async () => {
      const { fixture, el } = await render();
      expect(toggle(el).getAttribute('aria-expanded')).toBe('false');
      expect(text(toggle(el))).toBe('Journey');
      expect(el.querySelector('[data-test=offer-journey]')).toBeNull();
      http.expectNone(() => true);
      await click(fixture);
      expect(toggle(el).getAttribute('aria-expanded')).toBe('true');
      expect(text(el.querySelector('[data-test=offer-journey]'))).toBe('Loading…');
      http.expectOne('/api/offers/o3/journey').flush({
        interactions: [
          line('call1', 'phone', '2026-03-01T09:00:00Z', 'call.ended'),
          line('mail1', 'mail', '2026-02-01T10:00:00Z', 'closed'),
          line('x', null, '2026-01-01T09:00:00Z', 'some.newer-step'),
        ],
        nextCursor: null,
      });
      await answered(fixture);
      const lines = [...el.querySelectorAll('[data-test=offer-journey-entry]')].map(text);
      expect(lines).toHaveLength(3);
      expect(lines[0]).toMatch(/ · Phone · Call ended$/);
      expect(lines[1]).toMatch(/ · Mail · Closed$/);
      expect(lines[2]).toMatch(/2026.* · Some newer step$/);
      expect(el.querySelector('img')).toBeNull();
      await click(fixture);
      expect(toggle(el).getAttribute('aria-expanded')).toBe('false');
      expect(el.querySelector('[data-test=offer-journey]')).toBeNull();
      await click(fixture);
      expect(el.querySelectorAll('[data-test=offer-journey-entry]')).toHaveLength(3);
      expect(el.querySelector('[data-test=offer-journey-more]')).toBeNull();
      http.verify();
    });

    it('shows one line per earlier interaction as the server lists them, and reads on with its cursor on Show more', async () => {
      const { fixture, el } = await render();
      await click(fixture);
      const first = Array.from({ length: 20 }, (_, n) => line(`m${n}`, 'mail', new Date(Date.UTC(2026, 1, 20 - n)).toISOString(), 'closed'));
      http.expectOne('/api/offers/o3/journey').flush({ interactions: first, nextCursor: 'c/1+' });
      await answered(fixture);
      expect(el.querySelectorAll('[data-test=offer-journey-entry]')).toHaveLength(20);
      const more = el.querySelector<HTMLButtonElement>('[data-test=offer-journey-more]')!;
      expect(text(more)).toBe('Show more');
      more.click();
      await fixture.whenStable();
      http.expectOne('/api/offers/o3/journey?cursor=c%2F1%2B').flush({ interactions: [line('c0', 'chat', '2026-01-02T09:00:00Z', 'abandoned')], nextCursor: null });
      await answered(fixture);
      const lines = [...el.querySelectorAll('[data-test=offer-journey-entry]')].map(text);
      expect(lines).toHaveLength(21);
      expect(lines[20]).toMatch(/ · Chat · Customer left$/);
      expect(el.querySelector('[data-test=offer-journey-more]')).toBeNull();
      http.verify();
    });

    it('says when the customer has no earlier contact, in the agent’s language', async () => {
      const { fixture, el } = await render();
      TestBed.inject(I18n).use('it');
      await click(fixture);
      http.expectOne('/api/offers/o3/journey').flush({ interactions: [], nextCursor: null });
      await answered(fixture);
      expect(text(el.querySelector('[data-test=offer-journey-empty]'))).toBe('Nessun contatto precedente');
      expect(el.querySelector('[data-test=offer-journey-entry]')).toBeNull();
      TestBed.inject(I18n).use('en');
    });

    it('shows why the journey could not be read, as text', async () => {
      const { fixture, el } = await render();
      await click(fixture);
      http.expectOne('/api/offers/o3/journey').flush({ error: { code: 'not_found', message: `Offer not found. ${XSS}` } }, { status: 404, statusText: 'Not Found' });
      await answered(fixture);
      const error = el.querySelector('[data-test=offer-journey-error]');
      expect(error?.getAttribute('role')).toBe('alert');
      expect(text(error)).toBe(`The journey could not be read: Offer not found. ${XSS}`);
      expect(el.querySelector('img')).toBeNull();
      expect(el.querySelector('[data-test=offer-journey-entry]')).toBeNull();
    });
  });
});
