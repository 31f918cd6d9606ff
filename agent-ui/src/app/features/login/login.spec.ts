import type { HttpTestingController } from '@angular/common/http/testing';
import { TestBed, type ComponentFixture } from '@angular/core/testing';
import { Router } from '@angular/router';
import { Session } from '../../core/session';
import { setUp, settle, text, type } from '../../testing/helpers';
import { Login } from './login';

describe('Login', () => {
  let http: HttpTestingController;
  let fixture: ComponentFixture<Login>;
  let el: HTMLElement;
  const field = (name: string) => el.querySelector<HTMLInputElement>(`input[name=${name}]`)!;
  const submit = async () => {
    el.querySelector<HTMLButtonElement>('button[type=submit]')!.click();
    await fixture.whenStable();
  };

  beforeEach(async () => {
    http = setUp();
    fixture = TestBed.createComponent(Login);
    el = fixture.nativeElement;
    await fixture.whenStable();
  });
  afterEach(() => http.verify());

  it('asks for both fields before calling the server', async () => {
    type(field('username'), 'ada');
    await submit();
    expect(text(el.querySelector('[role=alert]'))).toBe('Enter your username and password.');
    http.expectNone('/api/auth/login');
  });

  it('says clearly when the password is wrong, and empties the password field', async () => {
    type(field('username'), 'ada');
    type(field('password'), 'nope');
    await submit();
    const req = http.expectOne('/api/auth/login');
    expect(req.request.body).toEqual({ username: 'ada', password: 'nope' });
    req.flush({ error: { code: 'unauthorized', message: 'Wrong username or password.' } }, { status: 401, statusText: 'Unauthorized' });
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[role=alert]'))).toBe('Wrong username or password.');
    expect(field('password').value).toBe('');
    expect(field('password').getAttribute('aria-invalid')).toBe('true');
  });

  it('tells a network failure apart from a wrong password', async () => {
    type(field('username'), 'ada');
    type(field('password'), 'secret');
    await submit();
    http.expectOne('/api/auth/login').error(new ProgressEvent('error'));
    await settle();
    await fixture.whenStable();
    expect(text(el.querySelector('[role=alert]'))).toBe('The server cannot be reached. Check your connection and try again.');
  });

  it('logs in, loads the agent and opens the desktop', async () => {
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigateByUrl').mockResolvedValue(true);
    type(field('username'), ' ada ');
    type(field('password'), 'secret');
    await submit();
    expect(text(el.querySelector('button[type=submit]'))).toBe('Logging in…');
    http.expectOne('/api/auth/login').flush({ token: 't', agent: {} });
    await settle();
    http.expectOne('/api/auth/me').flush({
      agent: { id: 'a1', username: 'ada', name: 'Ada', email: null, role: 'agent', extension: null, skills: [] },
      status: { agentId: 'a1', state: 'logged-out', reason: null, since: new Date().toISOString(), wrapUpUntil: null },
    });
    await settle();
    expect(TestBed.inject(Session).agent()?.name).toBe('Ada');
    expect(navigate).toHaveBeenCalledWith('/');
  });

  it('explains why the previous session ended', async () => {
    fixture.componentRef.setInput('ended', 'revoked');
    await fixture.whenStable();
    expect(text(el.querySelector('[data-test=login-notice]'))).toBe('You were logged out (from another tab or by a supervisor). Log in again.');
  });
});
