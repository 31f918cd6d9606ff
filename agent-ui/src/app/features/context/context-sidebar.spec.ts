import { beforeEach, describe, expect, it } from 'vitest';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import { ContextSidebar, journeyEntries, type JourneyEvent } from './context-sidebar';
import { setUp, settle, signIn } from '../../testing/helpers';

describe('journeyEntries', () => {
  it('groups events by interaction, newest first, without the current one, and names the channel', () => {
    const entries = journeyEntries([
      { interactionId: 'old', agentId: null, type: 'chat.form', data: null, at: '2026-01-01T10:00:00Z' },
      { interactionId: 'old', agentId: 'a', type: 'assigned', data: null, at: '2026-01-01T10:01:00Z' },
      { interactionId: 'old', agentId: 'a', type: 'closed', data: null, at: '2026-01-01T10:09:00Z' },
      { interactionId: 'now', agentId: null, type: 'chat.form', data: null, at: '2026-03-01T10:00:00Z' },
      { interactionId: 'call', agentId: null, type: 'call.requested', data: null, at: '2026-02-01T10:00:00Z' },
      { interactionId: 'call', agentId: null, type: 'call.ended', data: null, at: '2026-02-01T10:05:00Z' },
    ], 'now');
    expect(entries.map((e) => [e.interactionId, e.channel, e.steps])).toEqual([
      ['call', 'phone', ['call.requested', 'call.ended']],
      ['old', 'chat', ['chat.form', 'assigned', 'closed']],
    ]);
    expect(entries[1]!.last).toBe('2026-01-01T10:09:00Z');
  });
});

describe('ContextSidebar', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    http = setUp();
    signIn();
  });

  /** Shows the contact of interaction `id`, as the interaction's detail does. */
  const select = (fixture: ComponentFixture<ContextSidebar>, id: string, contactId: string | null) => {
    fixture.componentRef.setInput('contactId', contactId);
    fixture.componentRef.setInput('interactionId', id);
  };
  const contact = { id: 'c1', name: 'Maria', email: null, phone: null, customFields: {}, createdAt: '2026-01-01T00:00:00Z', updatedAt: '2026-01-01T00:00:00Z' };
  const ev = (interactionId: string, type: JourneyEvent['type'], at: string): JourneyEvent => ({ interactionId, agentId: null, type, data: null, at });

  async function render(): Promise<{ fixture: ComponentFixture<ContextSidebar>; el: HTMLElement }> {
    const fixture = TestBed.createComponent(ContextSidebar);
    select(fixture, 'now', 'c1');
    await fixture.whenStable();
    http.expectOne('/api/contacts/c1').flush({ contact });
    // The first page ends inside the interaction `b`: its older events come with the next page.
    http.expectOne('/api/contacts/c1/journey').flush({ events: [ev('now', 'assigned', '2026-03-01T10:00:00Z'), ev('a', 'closed', '2026-02-02T10:00:00Z'), ev('b', 'closed', '2026-01-05T10:00:00Z')], nextCursor: 'page2' });
    await settle();
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }
  const entries = (el: HTMLElement) => [...el.querySelectorAll('[data-test=journey-entry] ol')].map((o) => [...o.querySelectorAll('li')].length);
  const more = (el: HTMLElement) => el.querySelector<HTMLButtonElement>('[data-test=journey-more]');

  it('shows more of the journey with the cursor given until there is none, joining an interaction split across pages', async () => {
    const { fixture, el } = await render();
    expect(entries(el)).toEqual([1, 1]);
    more(el)!.click();
    await fixture.whenStable();
    expect(more(el)!.disabled).toBe(true);
    http.expectOne('/api/contacts/c1/journey?cursor=page2').flush({ events: [ev('b', 'assigned', '2026-01-05T09:00:00Z'), ev('old', 'closed', '2025-12-01T10:00:00Z')], nextCursor: 'page3' });
    await settle();
    await fixture.whenStable();
    expect(entries(el)).toEqual([1, 2, 1]);
    more(el)!.click();
    await fixture.whenStable();
    http.expectOne('/api/contacts/c1/journey?cursor=page3').flush({ events: [ev('oldest', 'closed', '2025-11-01T10:00:00Z')], nextCursor: null });
    await settle();
    await fixture.whenStable();
    expect(entries(el)).toEqual([1, 2, 1, 1]);
    expect(more(el)).toBeNull();
    http.verify();
  });

  it("drops a page that comes back after another contact's interaction was selected", async () => {
    const { fixture, el } = await render();
    more(el)!.click();
    await fixture.whenStable();
    const late = http.expectOne('/api/contacts/c1/journey?cursor=page2');
    select(fixture, 'other', 'c2');
    await fixture.whenStable();
    http.expectOne('/api/contacts/c2').flush({ contact: { ...contact, id: 'c2' } });
    http.expectOne('/api/contacts/c2/journey').flush({ events: [ev('x', 'closed', '2026-01-01T10:00:00Z')], nextCursor: null });
    await settle();
    late.flush({ events: [ev('old', 'closed', '2025-12-01T10:00:00Z')], nextCursor: 'page3' });
    await settle();
    await fixture.whenStable();
    expect(entries(el)).toEqual([1]);
    expect(more(el)).toBeNull();
  });
});
