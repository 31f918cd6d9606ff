import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { CallbacksKit } from './types.js';
import { ALL_ROLES, mount, type RouteDeps } from '../../kernel/http/route.js';
import { badRequest } from '../../kernel/http/errors.js';
import type { Principal } from '../../kernel/http/principal.js';
import { agentCallback, closeCallback, dialNow, reschedule } from './agent-actions.js';
import { CallbackDialJob } from './dial-job.js';
import { CallbackDueJob } from './due-job.js';
import type { Calls } from '../calls/index.js';

const rescheduleBody = z.object({ at: z.iso.datetime({ offset: true }) }).strict();
const closeBody = z.object({ disposition: z.string().min(1).max(64) }).strict();

const idOf = (ctx: Context, name: 'callbackId' | 'interactionId'): string => {
  const v = ctx.params[name] as string;
  if (!/^[0-9a-f]{32}$/.test(v)) throw badRequest(`${name} must be an id (32 hex characters).`, [{ field: name, problem: 'must be an id' }]);
  return v;
};
const principal = (ctx: Context) => ctx.state.principal as Principal;

/**
 * The desktop's callback actions. Only the agent handling a callback (holding its interaction,
 * else who made its last attempt) acts on it; supervisors and admins may read any.
 */
export function mountAgentRoutes(router: Router, deps: RouteDeps, s: CallbacksKit, sip: () => Calls | undefined): void {
  // The jobs are only scheduled or removed here (start() works them); made per request, after the runner exists.
  const d = () => ({ db: s.db, routing: s.routing, jobs: s.jobs, log: s.log, due: new CallbackDueJob(s) });

  mount(router, deps, {
    method: 'get',
    path: '/api/interactions/:interactionId/callback',
    summary: "The callback behind a callback interaction: number, message, slot, mode, attempts and their causes",
    tag: 'callbacks',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => ({ callback: await agentCallback(d(), { interactionId: idOf(ctx, 'interactionId') }, principal(ctx).agentId, principal(ctx).role) }),
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/callbacks/:callbackId',
    summary: 'A callback as the agent handling it sees it',
    tag: 'callbacks',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => ({ callback: await agentCallback(d(), { id: idOf(ctx, 'callbackId') }, principal(ctx).agentId, principal(ctx).role) }),
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/callbacks/:callbackId/dial',
    summary: "Call (preview mode) or Call again: one new attempt now, the agent's phone first (409 while dialling)",
    tag: 'callbacks',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      ctx.status = 202;
      return { callback: await dialNow(d(), new CallbackDialJob(s, sip), idOf(ctx, 'callbackId'), principal(ctx).agentId) };
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/callbacks/:callbackId/reschedule',
    summary: 'A new time for the callback: its pending job is replaced, the agent\'s interaction ends',
    tag: 'callbacks',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: rescheduleBody,
    handler: async (ctx, { body }) => ({ callback: await reschedule(d(), idOf(ctx, 'callbackId'), principal(ctx).agentId, new Date(body.at)) }),
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/callbacks/:callbackId/close',
    summary: 'Close the callback for good with a disposition: no more attempts',
    tag: 'callbacks',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: closeBody,
    handler: async (ctx, { body }) => ({ callback: await closeCallback(d(), idOf(ctx, 'callbackId'), principal(ctx).agentId, body.disposition) }),
  });
}
