import { TestBed } from '@angular/core/testing';
import type { OfferPayload } from '@switchboard/protocol';
import { I18n } from '../../core/i18n';
import { setUp, text } from '../../testing/helpers';
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
});
