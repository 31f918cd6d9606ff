import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import type { ContactPayload } from '@switchboard/protocol';
import { ContactsView, SEARCH_DELAY_MS, contactSearchUrl } from './contacts-view';
import { setUp, settle, signIn, text, type } from '../../testing/helpers';

describe('contactSearchUrl', () => {
  it('sends the words and the cursor only when there are some', () => {
    expect(contactSearchUrl('', null)).toBe('/api/contacts');
    expect(contactSearchUrl('rossi & co', null)).toBe('/api/contacts?q=rossi+%26+co');
    expect(contactSearchUrl('rossi', 'c/2=')).toBe('/api/contacts?q=rossi&cursor=c%2F2%3D');
  });
});

describe('ContactsView', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    http = setUp();
    signIn();
  });
  afterEach(() => vi.useRealTimers());

  const contact = (id: string, name: string | null, extra: Partial<ContactPayload> = {}): ContactPayload => ({
    id, name, email: `${id}@example.com`, phone: '+39 02 1234', customFields: {}, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-03-01T10:00:00Z', ...extra,
  });

  async function render(): Promise<{ fixture: ComponentFixture<ContactsView>; el: HTMLElement }> {
    const fixture = TestBed.createComponent(ContactsView);
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }
  const answer = async (fixture: ComponentFixture<ContactsView>, url: string, contacts: ContactPayload[], nextCursor: string | null = null) => {
    http.expectOne(url).flush({ contacts, nextCursor });
    await settle();
    await fixture.whenStable();
  };
  const names = (el: HTMLElement) => [...el.querySelectorAll('[data-test=contacts-name]')].map(text);
  const more = (el: HTMLElement) => el.querySelector<HTMLButtonElement>('[data-test=contacts-more]');
  /** Types words and presses Enter in the search box. */
  const searchFor = async (fixture: ComponentFixture<ContactsView>, el: HTMLElement, q: string) => {
    type(el.querySelector<HTMLInputElement>('[data-test=contacts-q]')!, q);
    el.querySelector<HTMLFormElement>('[data-test=contacts-form]')!.requestSubmit();
    await fixture.whenStable();
  };

  it('lists contacts most recently changed first, then searches the words typed when Enter is pressed', async () => {
    const { fixture, el } = await render();
    await answer(fixture, '/api/contacts', [contact('c1', 'Maria Rossi'), contact('c2', null, { email: null, phone: null })]);
    expect(names(el)).toEqual(['Maria Rossi', '—']);
    const first = el.querySelector('[data-test=contacts-item]')!;
    expect(text(first.querySelector('[data-test=contacts-email]'))).toBe('c1@example.com');
    expect(text(first.querySelector('[data-test=contacts-phone]'))).toBe('+39 02 1234');
    expect(text(first)).toContain('Last change');
    await searchFor(fixture, el, ' rossi ');
    await answer(fixture, '/api/contacts?q=rossi', [contact('c1', 'Maria Rossi')]);
    expect(names(el)).toEqual(['Maria Rossi']);
    await searchFor(fixture, el, 'nobody');
    await answer(fixture, '/api/contacts?q=nobody', []);
    expect(el.querySelector('[data-test=contacts-empty]')).not.toBeNull();
    http.verify();
  });

  describe('while typing', () => {
    it('searches the words once typing pauses, once for a burst of keys, and not again when Enter already did; the next page is of the words searched', async () => {
      const { fixture, el } = await render();
      await answer(fixture, '/api/contacts', []);
      vi.useFakeTimers();
      const box = el.querySelector<HTMLInputElement>('[data-test=contacts-q]')!;
      type(box, 'ro');
      vi.advanceTimersByTime(SEARCH_DELAY_MS - 1);
      type(box, 'ros');
      vi.advanceTimersByTime(SEARCH_DELAY_MS - 1);
      http.expectNone((r) => r.url.startsWith('/api/contacts?'));
      vi.advanceTimersByTime(1);
      http.expectOne('/api/contacts?q=ros').flush({ contacts: [contact('c1', 'Rossi')], nextCursor: 'page2' });
      await vi.advanceTimersByTimeAsync(0);
      fixture.detectChanges();
      // Words typed but not searched yet do not change the list the cursor goes on with.
      type(box, 'rossi');
      more(el)!.click();
      http.expectOne('/api/contacts?q=ros&cursor=page2').flush({ contacts: [contact('c2', 'Rossetti')], nextCursor: null });
      await vi.advanceTimersByTimeAsync(0);
      el.querySelector<HTMLFormElement>('[data-test=contacts-form]')!.requestSubmit();
      http.expectOne('/api/contacts?q=rossi').flush({ contacts: [contact('c1', 'Rossi')], nextCursor: null });
      vi.advanceTimersByTime(SEARCH_DELAY_MS * 2);
      http.verify();
    });
  });

  it('shows what contacts typed as text, not as markup', async () => {
    const { fixture, el } = await render();
    await answer(fixture, '/api/contacts', [contact('c1', '<img src=x onerror="alert(1)">Eve')]);
    expect(names(el)).toEqual(['<img src=x onerror="alert(1)">Eve']);
    expect(el.querySelector('[data-test=contacts-results] img')).toBeNull();
  });

  it('shows more with the cursor and words of the list shown, appended, until there is no more', async () => {
    const { fixture, el } = await render();
    await answer(fixture, '/api/contacts', []);
    await searchFor(fixture, el, 'ro');
    await answer(fixture, '/api/contacts?q=ro', [contact('c1', 'A'), contact('c2', 'B')], 'page2');
    more(el)!.click();
    await fixture.whenStable();
    expect(more(el)!.disabled).toBe(true);
    await answer(fixture, '/api/contacts?q=ro&cursor=page2', [contact('c3', 'C')], 'page3');
    expect(names(el)).toEqual(['A', 'B', 'C']);
    more(el)!.click();
    await fixture.whenStable();
    await answer(fixture, '/api/contacts?q=ro&cursor=page3', [contact('c4', 'D')], null);
    expect(names(el)).toEqual(['A', 'B', 'C', 'D']);
    expect(more(el)).toBeNull();
  });

  it('drops a late answer for an older search, and a page of the list a new search replaced', async () => {
    const { fixture, el } = await render();
    await answer(fixture, '/api/contacts', [contact('c1', 'Old list')], 'page2');
    more(el)!.click();
    await fixture.whenStable();
    const latePage = http.expectOne('/api/contacts?cursor=page2');
    await searchFor(fixture, el, 'ma');
    const lateSearch = http.expectOne('/api/contacts?q=ma');
    await searchFor(fixture, el, 'maria');
    await answer(fixture, '/api/contacts?q=maria', [contact('c2', 'Maria')]);
    lateSearch.flush({ contacts: [contact('c3', 'Mario')], nextCursor: 'x' });
    latePage.flush({ contacts: [contact('c4', 'Older')], nextCursor: 'y' });
    await settle();
    await fixture.whenStable();
    expect(names(el)).toEqual(['Maria']);
    expect(more(el)).toBeNull();
  });

  it("shows the server's error, for a search and for the next page", async () => {
    const { fixture, el } = await render();
    http.expectOne('/api/contacts').flush({ error: { code: 'rate_limited', message: 'Too many requests.' } }, { status: 429, statusText: 'Too Many Requests' });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=contacts-error]'))).toBe('Too many requests.');
    expect(el.querySelector('[data-test=contacts-empty]')).toBeNull();
    await searchFor(fixture, el, 'ro');
    expect(el.querySelector('[data-test=contacts-error]')).toBeNull();
    await answer(fixture, '/api/contacts?q=ro', [contact('c1', 'A')], 'page2');
    more(el)!.click();
    await fixture.whenStable();
    http.expectOne('/api/contacts?q=ro&cursor=page2').flush({ error: { code: 'bad_request', message: 'Some fields are not valid.' } }, { status: 400, statusText: 'Bad Request' });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=contacts-error]'))).toBe('Some fields are not valid.');
    expect(names(el)).toEqual(['A']);
    expect(more(el)!.disabled).toBe(false);
  });

  it("shows the picked contact's details and journey", async () => {
    const { fixture, el } = await render();
    await answer(fixture, '/api/contacts', [contact('c1', 'Maria Rossi')]);
    const item = el.querySelector<HTMLButtonElement>('[data-test=contacts-item]')!;
    item.click();
    await fixture.whenStable();
    expect(item.getAttribute('aria-pressed')).toBe('true');
    http.expectOne('/api/contacts/c1').flush({ contact: contact('c1', 'Maria Rossi') });
    http.expectOne('/api/contacts/c1/journey').flush({ events: [{ interactionId: 'i1', agentId: null, type: 'chat.form', data: null, at: '2026-02-01T10:00:00Z' }], nextCursor: null });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=contact-name-value]'))).toBe('Maria Rossi');
    expect(el.querySelectorAll('[data-test=journey-entry]').length).toBe(1);
    http.verify();
  });
});
