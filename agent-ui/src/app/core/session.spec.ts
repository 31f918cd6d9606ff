import { TestBed } from '@angular/core/testing';
import { Router } from '@angular/router';
import { setUp, settle, signIn } from '../testing/helpers';

describe('Session', () => {
  it('goes to the login screen when any call finds the session gone', async () => {
    const http = setUp();
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const session = signIn();
    const done = session.setState('available').catch((e: unknown) => e);
    http.expectOne('/api/agents/me/state').flush({ error: { code: 'unauthorized', message: 'Your session has ended' } }, { status: 401, statusText: 'Unauthorized' });
    await settle();
    expect(((await done) as Error).message).toBe('Your session has ended');
    expect(session.signedIn()).toBe(false);
    expect(navigate).toHaveBeenCalledWith(['/login'], { queryParams: { ended: 'expired' } });
  });

  it('keeps "password changed" as the reason even when the revoked socket closes first', async () => {
    const http = setUp();
    const navigate = vi.spyOn(TestBed.inject(Router), 'navigate').mockResolvedValue(true);
    const session = signIn();
    const done = session.changePassword('old-password', 'new-password');
    session.end('revoked');
    http.expectOne('/api/auth/password').flush(null, { status: 204, statusText: 'No Content' });
    await done;
    expect(navigate).toHaveBeenCalledTimes(1);
    expect(navigate).toHaveBeenCalledWith(['/login'], { queryParams: { ended: 'password-changed' } });
  });
});
