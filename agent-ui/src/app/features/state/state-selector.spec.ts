import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { I18n } from '../../core/i18n';
import type { Session } from '../../core/session';
import { setUp, settle, signIn, text } from '../../testing/helpers';
import { StateSelector } from './state-selector';

describe('StateSelector', () => {
  let http: HttpTestingController;
  let session: Session;
  let fixture: ComponentFixture<StateSelector>;
  let el: HTMLElement;
  const current = () => el.querySelector<HTMLButtonElement>('[data-test=state-current]')!;

  beforeEach(async () => {
    http = setUp();
    session = signIn({ state: 'available' });
    fixture = TestBed.createComponent(StateSelector);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  it('offers the Not ready reasons from the server and sets the one picked', async () => {
    expect(text(current())).toContain('Available');
    current().click();
    await fixture.whenStable();
    http.expectOne('/api/reasons').flush({ notReady: [{ id: 'lunch', label: 'Lunch' }, { id: 'training', label: 'Training' }], dispositions: [] });
    await settle();
    await fixture.whenStable();
    const items = [...el.querySelectorAll('[role=menuitem]')].map(text);
    expect(items).toEqual(['Available', 'Lunch', 'Training', 'Logged out']);

    el.querySelector<HTMLButtonElement>('[data-test=set-not-ready-lunch]')!.click();
    const req = http.expectOne((r) => r.method === 'PUT' && r.url === '/api/agents/me/state');
    expect(req.request.body).toEqual({ state: 'not-ready', reason: 'lunch' });
    req.flush({ agentId: 'a1', state: 'not-ready', reason: 'lunch', since: new Date().toISOString() });
    await settle();
    await fixture.whenStable();
    expect(el.querySelector('[role=menu]')).toBeNull();
    expect(current().dataset['state']).toBe('not-ready');
    expect(text(current().querySelector('.name'))).toBe('Not ready');
    expect(text(current().querySelector('.reason'))).toBe('· Lunch');
    expect(text(current().querySelector('.time'))).toMatch(/^0:0\d$/);
  });

  it('names reasons given per language in the agent’s language, following a switch', async () => {
    current().click();
    await fixture.whenStable();
    http.expectOne('/api/reasons').flush({
      notReady: [{ id: 'lunch', label: { en: 'Lunch', it: 'Pranzo', fr: 'Déjeuner' } }, { id: 'training', label: { en: 'Training' } }, { id: 'meeting', label: 'Meeting' }],
      dispositions: [],
    });
    await settle();
    TestBed.inject(I18n).use('it');
    await fixture.whenStable();
    expect([...el.querySelectorAll('[data-test^=set-not-ready]')].map(text)).toEqual(['Pranzo', 'Training', 'Meeting']);
    session.updateStatus({ agentId: 'a1', state: 'not-ready', reason: 'lunch', since: new Date().toISOString(), wrapUpUntil: null });
    TestBed.inject(I18n).use('fr');
    await fixture.whenStable();
    expect(text(current().querySelector('.reason'))).toBe('· Déjeuner');
  });

  it('shows the server’s refusal and keeps the state', async () => {
    const done = fixture.componentInstance.set('not-ready', 'gone');
    const req = http.expectOne('/api/agents/me/state');
    req.flush({ error: { code: 'invalid_request', message: 'Unknown reason "gone".' } }, { status: 400, statusText: 'Bad Request' });
    await done;
    await fixture.whenStable();
    expect(text(el.querySelector('[role=alert]'))).toBe('The state could not be changed: Unknown reason "gone".');
    expect(current().dataset['state']).toBe('available');
  });

  it('follows state pushed for this agent only (supervisors receive everyone’s)', async () => {
    session.updateStatus({ agentId: 'someone-else', state: 'rona', reason: null, since: new Date().toISOString(), wrapUpUntil: null });
    session.updateStatus({ agentId: 'a1', state: 'busy', reason: null, since: new Date().toISOString(), wrapUpUntil: null });
    await fixture.whenStable();
    expect(current().dataset['state']).toBe('busy');
  });

  it('shows no time in state for an agent who was never logged in (the server says since 1970)', async () => {
    session.status.set({ agentId: 'a1', state: 'logged-out', reason: null, since: new Date(0).toISOString(), wrapUpUntil: null });
    await fixture.whenStable();
    expect(text(current()).replace('▾', '')).toBe('Logged out');
  });

  it('counts down a wrap-up from the end the status carries (the same in every tab)', async () => {
    session.status.set({ agentId: 'a1', state: 'wrap-up', reason: null, since: new Date().toISOString(), wrapUpUntil: new Date(Date.now() + 65_000).toISOString() });
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=wrap-up-left]'))).toMatch(/^1:0[45] left$/);
  });
});

describe('StateSelector from the keyboard', () => {
  it('focuses the first choice on open and moves with the arrow keys, wrapping around', async () => {
    const http = setUp();
    signIn({ state: 'not-ready', reason: 'lunch' });
    const fixture = TestBed.createComponent(StateSelector);
    document.body.appendChild(fixture.nativeElement);
    await fixture.whenStable();
    fixture.componentInstance.toggle();
    http.expectOne('/api/reasons').flush({ notReady: [{ id: 'lunch', label: 'Lunch' }], dispositions: [] });
    await settle();
    await fixture.whenStable();
    const focused = () => text(document.activeElement);
    expect(focused()).toBe('Available');
    const press = (key: string) => (fixture.nativeElement as HTMLElement).querySelector('[role=menu]')!.dispatchEvent(new KeyboardEvent('keydown', { key, bubbles: true }));
    press('ArrowDown');
    expect(focused()).toBe('Lunch');
    press('ArrowDown');
    press('ArrowDown');
    expect(focused()).toBe('Available');
    press('ArrowUp');
    expect(focused()).toBe('Logged out');
    (fixture.nativeElement as HTMLElement).remove();
  });
});

describe('StateSelector wrap-up countdown without an end in the status', () => {
  it('uses the end learnt from the closed interaction, but not a stale one from an earlier wrap-up', async () => {
    setUp();
    const session = signIn({ state: 'wrap-up', since: new Date(Date.now() - 5_000).toISOString() });
    const fixture = TestBed.createComponent(StateSelector);
    const el: HTMLElement = fixture.nativeElement;
    session.wrapUpUntil.set(Date.now() - 60_000);
    await fixture.whenStable();
    expect(el.querySelector('[data-test=wrap-up-left]')).toBeNull();
    session.wrapUpUntil.set(Date.now() + 25_000);
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=wrap-up-left]'))).toMatch(/^0:2[45] left$/);
  });
});
