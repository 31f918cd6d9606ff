import { TestBed } from '@angular/core/testing';
import type { HttpTestingController } from '@angular/common/http/testing';
import { ReasonsStore } from '../../core/reasons';
import { setUp, settle, signIn, text } from '../../testing/helpers';
import type { AgentCallback } from '@switchboard/protocol';
import { CallbackPane } from './callback-pane';

const XSS = '<img src=x onerror="window.__pwned=1">';

const base: AgentCallback = {
  callbackId: 'c'.repeat(32), reference: 'CB-CCCCCCCC', interactionId: 'i1', state: 'queued', phoneNumber: '+390612345678', message: XSS,
  asap: false, dueAt: '2026-12-07T09:00:00.000Z', slot: { start: '2026-12-07T09:00:00.000Z', end: '2026-12-07T09:30:00.000Z' },
  mode: 'preview', attempts: 1, maxAttempts: 3, lastCause: '486 busy',
  history: [{ attempt: 1, outcome: 'busy', cause: '486 busy', dialled: '0612345678', startedAt: '2026-12-07T09:00:05.000Z', endedAt: '2026-12-07T09:00:09.000Z' }],
};

describe('CallbackPane', () => {
  let http: HttpTestingController;
  beforeEach(() => {
    http = setUp();
    signIn();
    TestBed.inject(ReasonsStore).reasons.set({ notReady: [], dispositions: [{ id: 'resolved', label: 'Resolved' }, { id: 'timeout', label: 'Timeout' }] } as never);
  });

  async function render(cb: AgentCallback, owner = true) {
    const fixture = TestBed.createComponent(CallbackPane);
    fixture.componentRef.setInput('interactionId', 'i1');
    fixture.componentRef.setInput('owner', owner);
    await fixture.whenStable();
    http.expectOne('/api/interactions/i1/callback').flush({ callback: cb });
    await settle();
    await fixture.whenStable();
    return { fixture, el: fixture.nativeElement as HTMLElement };
  }

  it('shows the number, the slot, the attempts with their causes and the message as text', async () => {
    const { el } = await render(base);
    expect(text(el.querySelector('[data-test=callback-number]'))).toBe('+390612345678');
    expect(text(el.querySelector('[data-test=callback-when]'))).toMatch(/–/);
    expect(text(el.querySelector('[data-test=callback-attempts]'))).toBe('1 of 3 · 486 busy');
    expect(text(el.querySelector('[data-test=callback-state]'))).toBe('Due · CB-CCCCCCCC');
    expect(text(el.querySelector('[data-test=callback-message]'))).toBe(XSS);
    expect(el.querySelector('img')).toBeNull();
    expect(el.querySelectorAll('[data-test=callback-attempt]').length).toBe(1);
    expect(text(el.querySelector('[data-test=callback-call]'))).toBe('Call again');
  });

  it('calls, reschedules to the picked time and closes with a disposition through the agent routes', async () => {
    const { fixture, el } = await render({ ...base, attempts: 0, history: [], lastCause: null, asap: true, slot: null });
    expect(text(el.querySelector('[data-test=callback-when]'))).toBe('As soon as possible');
    el.querySelector<HTMLButtonElement>('[data-test=callback-call]')!.click();
    const dial = http.expectOne(`/api/callbacks/${base.callbackId}/dial`);
    expect(dial.request.method).toBe('POST');
    dial.flush({ callback: { ...base, state: 'dialling' } });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=callback-state]'))).toMatch(/^Dialling/);
    expect(el.querySelector<HTMLButtonElement>('[data-test=callback-call]')!.disabled).toBe(true);

    el.querySelector<HTMLButtonElement>('[data-test=callback-reschedule]')!.click();
    await fixture.whenStable();
    const at = el.querySelector<HTMLInputElement>('[data-test=callback-at]')!;
    at.value = '2099-01-05T10:30';
    at.dispatchEvent(new Event('input'));
    el.querySelector<HTMLButtonElement>('[data-test=callback-reschedule-save]')!.click();
    const re = http.expectOne(`/api/callbacks/${base.callbackId}/reschedule`);
    expect(re.request.body).toEqual({ at: new Date('2099-01-05T10:30').toISOString() });
    re.flush({ callback: { ...base, state: 'scheduled' } });
    await settle();
    await fixture.whenStable();

    el.querySelector<HTMLButtonElement>('[data-test=callback-close]')!.click();
    await fixture.whenStable();
    expect(el.querySelector('[data-test=callback-dispose-timeout]')).toBeNull();
    el.querySelector<HTMLButtonElement>('[data-test=callback-dispose-resolved]')!.click();
    const close = http.expectOne(`/api/callbacks/${base.callbackId}/close`);
    expect(close.request.body).toEqual({ disposition: 'resolved' });
    close.flush({ callback: { ...base, state: 'closed' } });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=callback-state]'))).toMatch(/^Closed/);
    expect(el.querySelector('[data-test=callback-call]')).toBeNull();
  });

  it('refuses a time in the past without asking the server, shows the server\'s refusal, and gives a reader no buttons', async () => {
    const { fixture, el } = await render(base);
    el.querySelector<HTMLButtonElement>('[data-test=callback-reschedule]')!.click();
    await fixture.whenStable();
    const at = el.querySelector<HTMLInputElement>('[data-test=callback-at]')!;
    at.value = '2001-01-01T10:00';
    at.dispatchEvent(new Event('input'));
    el.querySelector<HTMLButtonElement>('[data-test=callback-reschedule-save]')!.click();
    await fixture.whenStable();
    http.expectNone(`/api/callbacks/${base.callbackId}/reschedule`);
    expect(text(el.querySelector('[role=alert]'))).toBe('Pick a time in the future.');
    el.querySelector<HTMLButtonElement>('[data-test=callback-call]')!.click();
    http.expectOne(`/api/callbacks/${base.callbackId}/dial`).flush({ error: { code: 'dialling', message: 'This callback is being dialled now.' } }, { status: 409, statusText: 'Conflict' });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[role=alert]'))).toContain('being dialled');

    const reader = await render(base, false);
    expect(reader.el.querySelector('[data-test=callback-call]')).toBeNull();
    expect(text(reader.el.querySelector('[data-test=callback-number]'))).toBe('+390612345678');
  });
});
