// Helpers for the routing tests: a server whose queues are always open, agents made through the
// API, and desktop sockets that collect the agent's events.
import { randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { api, login, startTestServer, TestSocket, type TestServer } from './server.js';
import { RUN_ID } from './env.js';
import type { TestConfigOptions } from './config.js';
import type { Clock } from '../kernel/clock.js';
import type { OfferPayload } from '@switchboard/protocol';

export const QUEUE = { chat: 'support-chat', phone: 'support-phone', video: 'support-video', callback: 'callbacks', mail: 'mail' } as const;

/** Keys that make every queue of the example config open round the clock, with short timers. */
export function openQueues(extra: Record<string, unknown> = {}): Record<string, unknown> {
  const set: Record<string, unknown> = { 'websites/example.yaml:hours': undefined };
  for (let n = 0; n < 5; n++) {
    set[`queues.yaml:queues.${n}.hours`] = undefined;
    set[`queues.yaml:queues.${n}.offerTimeoutSeconds`] = 5;
    set[`queues.yaml:queues.${n}.wrapUpSeconds`] = 0;
  }
  return { ...set, ...extra };
}

export function uniquePrefix(): string {
  return `sbtest:${RUN_ID}:rt${randomBytes(4).toString('hex')}:`;
}

export async function startRoutingServer(extra: Record<string, unknown> = {}, opts: TestConfigOptions & { clock?: Clock } = {}): Promise<TestServer> {
  return startTestServer({ redisPrefix: uniquePrefix(), ...opts, set: openQueues({ ...extra, ...opts.set }) });
}

export interface TestAgent {
  id: string;
  username: string;
  token: string;
  socket: TestSocket;
}

const PASSWORD = 'routing-test-password';

export async function makeAgent(
  url: string,
  adminToken: string,
  opts: { skills?: { skill: string; level: number }[]; capacity?: Partial<Record<string, number>>; role?: string; available?: boolean } = {},
): Promise<TestAgent> {
  const username = `rt-${randomBytes(5).toString('hex')}`;
  const capacity = { phone: 1, video: 1, chat: 3, callback: 1, mail: 5, total: 4, ...opts.capacity };
  const r = await api(url, 'POST', '/api/agents', { username, name: username, role: opts.role ?? 'agent', password: PASSWORD, skills: opts.skills ?? [], capacity }, adminToken);
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  const token = await login(url, username, PASSWORD);
  const socket = await openDesktop(url, token);
  const agent = { id: r.body.agent.id as string, username, token, socket };
  if (opts.available !== false) await setState(url, agent, 'available');
  return agent;
}

export async function openDesktop(url: string, token: string): Promise<TestSocket> {
  const socket = await TestSocket.open(url.replace('http', 'ws') + '/ws/agent', { authorization: `Bearer ${token}` });
  await socket.next((m) => m.type === 'hello');
  await socket.next((m) => m.type === 'snapshot');
  return socket;
}

export async function setState(url: string, agent: { token: string }, state: string, reason?: string) {
  const r = await api(url, 'PUT', '/api/agents/me/state', { state, ...(reason ? { reason } : {}) }, agent.token);
  expect(r.status, JSON.stringify(r.body)).to.equal(200);
  return r.body;
}

export async function createInteraction(url: string, adminToken: string, body: Record<string, unknown>) {
  const r = await api(url, 'POST', '/api/routing/interactions', body, adminToken);
  expect(r.status, JSON.stringify(r.body)).to.equal(201);
  return r.body;
}

/** The next offer shown on this desktop. */
export function nextOffer(a: TestAgent, timeoutMs = 15_000): Promise<OfferPayload> {
  return a.socket.next((m) => m.type === 'offer', timeoutMs).then((m) => m.offer);
}

/** Resolves when no offer arrived on this desktop within the time (the routing sweep runs every 250 ms). */
export async function noOffer(a: TestAgent, ms = 1200): Promise<void> {
  // Not through next(): a timed-out next() leaves its waiter behind, which would swallow a later offer.
  await new Promise((r) => setTimeout(r, ms));
  expect(a.socket.messages.filter((m) => m.type === 'offer'), 'no offer expected').to.deep.equal([]);
}

export async function accept(url: string, a: TestAgent, offerId: string) {
  return api(url, 'POST', `/api/offers/${offerId}/accept`, undefined, a.token);
}

export async function stateOf(url: string, a: TestAgent): Promise<string> {
  return (await api(url, 'GET', `/api/agents/${a.id}/state`, undefined, a.token)).body.state;
}

export async function waitState(url: string, a: TestAgent, state: string, timeoutMs = 15_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < until) {
    last = await stateOf(url, a);
    if (last === state) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`agent stayed ${last}, expected ${state}`);
}

export { api, login };
export type { TestServer };
