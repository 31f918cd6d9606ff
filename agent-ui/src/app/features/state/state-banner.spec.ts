import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import type { Session } from '../../core/session';
import { setUp, settle, signIn, text } from '../../testing/helpers';
import { StateBanner } from './state-banner';

describe('StateBanner', () => {
  let http: HttpTestingController;
  let session: Session;
  let fixture: ComponentFixture<StateBanner>;
  let el: HTMLElement;

  beforeEach(async () => {
    http = setUp();
    session = signIn({ state: 'rona' });
    fixture = TestBed.createComponent(StateBanner);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  it('explains RONA and leads back to Available', async () => {
    expect(text(el)).toContain('Missed offer (RONA)');
    expect(text(el)).toContain('not answered in time');
    el.querySelector<HTMLButtonElement>('[data-test=back-to-available]')!.click();
    const req = http.expectOne('/api/agents/me/state');
    expect(req.request.body).toEqual({ state: 'available' });
    req.flush({ agentId: 'a1', state: 'available', reason: null, since: new Date().toISOString() });
    await settle();
    await fixture.whenStable();
    expect(el.querySelector('[data-test=state-banner]')).toBeNull();
  });

  it('offers no way out of Busy: finishing the interaction is the way', async () => {
    session.status.update((s) => ({ ...s!, state: 'busy' }));
    await fixture.whenStable();
    expect(text(el)).toContain('You are handling an interaction.');
    expect(el.querySelector('[data-test=back-to-available]')).toBeNull();
  });
});
