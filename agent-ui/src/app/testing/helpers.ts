import { provideHttpClient } from '@angular/common/http';
import { HttpTestingController, provideHttpClientTesting } from '@angular/common/http/testing';
import { TestBed } from '@angular/core/testing';
import { provideRouter } from '@angular/router';
import { I18n } from '../core/i18n';
import type { AgentStatusPayload } from '../core/models';
import { Session } from '../core/session';

/** HTTP answered by the spec, a router, English texts. */
export function setUp(): HttpTestingController {
  TestBed.resetTestingModule();
  TestBed.configureTestingModule({ providers: [provideHttpClient(), provideHttpClientTesting(), provideRouter([])] });
  TestBed.inject(I18n).use('en');
  return TestBed.inject(HttpTestingController);
}

export function signIn(status: Partial<AgentStatusPayload> = {}): Session {
  const session = TestBed.inject(Session);
  session.agent.set({
    id: 'a1', username: 'ada', name: 'Ada Lovelace', email: null, role: 'agent', extension: null, skills: [], active: true,
    capacity: { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4 }, lastLoginAt: null, createdAt: new Date().toISOString(),
  });
  session.status.set({ agentId: 'a1', state: 'available', reason: null, since: new Date().toISOString(), wrapUpUntil: null, ...status });
  return session;
}

/** Lets pending promise continuations (an awaited request, then the next) run. */
export const settle = () => new Promise((r) => setTimeout(r, 0));

export function type(input: HTMLInputElement, value: string): void {
  input.value = value;
  input.dispatchEvent(new Event('input'));
}

export const text = (el: Element | null | undefined) => el?.textContent?.replace(/\s+/g, ' ').trim() ?? '';
