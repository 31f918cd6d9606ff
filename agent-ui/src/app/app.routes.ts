import type { Routes } from '@angular/router';
import { signedIn, signedOut } from './core/auth-guard';

export const routes: Routes = [
  { path: 'login', canActivate: [signedOut], loadComponent: () => import('./features/login/login').then((m) => m.Login) },
  { path: '', canActivate: [signedIn], loadComponent: () => import('./features/shell/shell').then((m) => m.Shell) },
  { path: '**', redirectTo: '' },
];
