import { TestBed } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import { HistoryRecordView } from './history-record';
import type { HistoryRecord } from './history-models';
import { setUp, settle, signIn } from '../../testing/helpers';

const XSS = '<img src=x onerror="window.__historyXss=1">';

function record(): HistoryRecord {
  const at = '2026-11-22T06:00:00.000Z';
  const line = (id: string, authorKind: 'visitor' | 'agent' | 'note', body: string) => ({
    id, interactionId: 'i1', authorKind, authorName: authorKind === 'visitor' ? XSS : 'Ada Lovelace', body, clientMessageId: null, deliveryState: 'delivered' as const, attachments: [], createdAt: at,
  });
  return {
    interaction: { id: 'i1', channel: 'chat', queueName: 'Support (chat)', contactName: XSS, contactEmail: null, agentNames: ['Ada Lovelace'], state: 'closed', disposition: 'Resolved', subject: null, createdAt: at, closedAt: at, csat: { rating: 2, comment: XSS, at } },
    messages: [line('m1', 'visitor', XSS), line('m2', 'agent', 'Hello'), line('m3', 'note', 'Only for agents')],
    calls: [],
    journey: [{ seq: 1, type: 'closed', interactionId: 'i1', agentId: null, data: null, at }],
  };
}

describe('HistoryRecordView', () => {
  let http: HttpTestingController;

  beforeEach(() => {
    http = setUp();
  });

  async function render(permissions: string[]): Promise<HTMLElement> {
    const session = signIn();
    session.permissions.set(new Set(permissions));
    const fixture = TestBed.createComponent(HistoryRecordView);
    fixture.componentRef.setInput('interactionId', 'i1');
    await fixture.whenStable();
    http.expectOne('/api/history/interactions/i1').flush(record());
    await settle();
    await fixture.whenStable();
    return fixture.nativeElement as HTMLElement;
  }

  it('shows what the visitor typed as text, notes marked apart, and the plain PDF only without the permission', async () => {
    const el = await render([]);
    const lines = [...el.querySelectorAll('[data-test=history-line]')];
    expect(lines.map((l) => l.getAttribute('data-kind'))).toEqual(['visitor', 'agent', 'note']);
    expect(lines[0]!.querySelector('.body')!.textContent).toBe(XSS);
    expect(el.querySelector('img')).toBeNull();
    expect((window as { __historyXss?: number }).__historyXss).toBeUndefined();
    expect(lines[2]!.querySelector('.note-label')!.textContent).toBe('Internal note');
    expect(el.querySelector('[data-test=transcript-pdf]')!.getAttribute('href')).toBe('/api/history/interactions/i1/transcript.pdf?attachments=0');
    expect(el.querySelector('[data-test=transcript-pdf-files]')).toBeNull();
  });

  it('offers the transcript with attachments to those with the permission', async () => {
    const el = await render(['transcript.attachments']);
    expect(el.querySelector('[data-test=transcript-pdf-files]')!.getAttribute('href')).toBe('/api/history/interactions/i1/transcript.pdf?attachments=1');
  });
});
