import { inject } from '@angular/core';
import { type CanActivateFn, Router } from '@angular/router';
import { Session } from './session';

/** Lets the shell open only with a live session; otherwise the login screen. */
export const signedIn: CanActivateFn = async () => {
  const session = inject(Session);
  const router = inject(Router);
  if (session.signedIn()) return true;
  try {
    if (await session.restore()) return true;
  } catch {
    return router.createUrlTree(['/login'], { queryParams: { ended: 'unreachable' } });
  }
  return router.createUrlTree(['/login']);
};

/** The login screen is for logged-out agents: one with a live session goes to the desktop. */
export const signedOut: CanActivateFn = async () => {
  const session = inject(Session);
  const router = inject(Router);
  if (session.signedIn()) return router.createUrlTree(['/']);
  try {
    return (await session.restore()) ? router.createUrlTree(['/']) : true;
  } catch {
    return true;
  }
};

/** The supervisor view: supervisors and admins (the server checks again on every call). */
export const supervisorsOnly: CanActivateFn = () => {
  const role = inject(Session).agent()?.role;
  return role === 'supervisor' || role === 'admin' ? true : inject(Router).createUrlTree(['/']);
};
