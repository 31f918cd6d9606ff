import type { Routes } from '@angular/router';
import { signedIn, signedOut, supervisorsOnly } from './core/auth-guard';

export const routes: Routes = [
  { path: 'login', canActivate: [signedOut], loadComponent: () => import('./features/login/login').then((m) => m.Login) },
  {
    path: '',
    canActivate: [signedIn],
    loadComponent: () => import('./features/shell/shell').then((m) => m.Shell),
    // The work area is the shell itself (it stays alive under these): the other sections are
    // their own chunks, so an agent who never opens them never downloads them.
    children: [
      { path: 'history', loadComponent: () => import('./features/history/history-view').then((m) => m.HistoryView) },
      { path: 'contacts', loadComponent: () => import('./features/contacts/contacts-view').then((m) => m.ContactsView) },
      { path: 'supervisor', canActivate: [supervisorsOnly], loadComponent: () => import('./features/supervisor/supervisor-view').then((m) => m.SupervisorView) },
      { path: 'reports', canActivate: [supervisorsOnly], loadComponent: () => import('./features/reports/reports-view').then((m) => m.ReportsView) },
      { path: '', children: [] },
    ],
  },
  { path: '**', redirectTo: '' },
];
