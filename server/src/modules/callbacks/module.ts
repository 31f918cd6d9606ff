import { In } from 'typeorm';
import type { ServerModule } from '../../module.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Context } from 'koa';
import type { CallbackSlots } from '@switchboard/protocol';
import { SUPERVISORS, mount } from '../../kernel/http/route.js';
import { callbackSummary } from './summary.js';
import { badRequest } from '../../kernel/http/errors.js';
import { callbackStatus, cancelCallback } from './visitor.js';
import type { Website } from '../../kernel/config/schema.js';
import { callbackBody } from './schema.js';
import { requestCallback } from './service.js';
import { callbackSlots } from './slots.js';
import { CallbackDueJob } from './due-job.js';
import { CallbackDialJob } from './dial-job.js';
import { Callback } from './callback.entity.js';
import { cancelPageRoutes } from './cancel-page.js';
import { mountAgentRoutes } from './agent-routes.js';
import { lookupBody, lookupCallback } from './by-reference.js';
import { keepPlace, keepPlaceBody } from './keep-place.js';
import { callbackPreview, callbackPreviewRead } from './offer-preview.js';
import { CustomerFirstJob, PLACED_BY } from './customer-first.js';
import { retryAfterFailure } from './retry.js';
import type { CallbacksDeps, CallbacksKit } from './types.js';
import { hangUpSwitchedCalls } from './call-place.js';

/** The callbacks context as app.ts wires it; `kit` is what its parts (jobs, routes) work with. */
export interface CallbacksContext extends ServerModule {
  readonly kit: CallbacksKit;
}

/** Callback requests from the widget, and the job that routes each when it is due. */
export function createCallbacks(k: Kernel, d: CallbacksDeps): CallbacksContext {
  const s: CallbacksKit = { config: k.config, log: k.log, db: k.db, redis: k.redis, bus: k.bus, jobs: k.jobs, clock: k.clock, ...d };
  const { sip, mailer } = d;
  // The calls context starts first, and its first look for dead instances' calls may end one of
  // ours at once: the follow-up waits until this context runs.
  let started!: (job: CustomerFirstJob) => void;
  const customerFirstJob = new Promise<CustomerFirstJob>((resolve) => (started = resolve));
  d.lostCalls.followLostCalls(PLACED_BY, async (ref) => (await customerFirstJob).lost(ref));
  return {
    name: 'callbacks',
    kit: s,
    routes: (router, deps) => {
      mount(router, deps, {
        method: 'get',
        path: '/api/widget/:websiteId/callbacks/slots',
        summary: 'Half-hour slots within working hours (next 7 days) a visitor may pick for a callback',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        handler: async (ctx) => ({ slots: callbackSlots(s.config(), ctx.state.website as Website, s.clock.now()) }) satisfies CallbackSlots,
      });

      mount(router, deps, {
        method: 'post',
        path: '/api/widget/:websiteId/callbacks',
        summary: 'Ask for a callback: phone (validated), optional message, a slot or "asap"; answers with a reference',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        body: callbackBody,
        handler: async (ctx, { body }) => {
          const r = await requestCallback(s, mailer, ctx.state.website as Website, body, s.clock.now());
          ctx.status = r.existing ? 200 : 201;
          return r;
        },
      });

      mount(router, deps, {
        method: 'post',
        path: '/api/widget/:websiteId/callbacks/lookup',
        summary: 'Find a callback again by its reference and the last 4 digits of its number (or the mail\'s token); failed tries are limited',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        body: lookupBody,
        handler: async (ctx, { body }) => lookupCallback(s, ctx.state.website as Website, ctx.ip, body),
      });

      mount(router, deps, {
        method: 'post',
        path: '/api/widget/:websiteId/callbacks/keep-place',
        summary: 'A visitor waiting in a chat or call queue switches to a callback that keeps their place (the chat or call token as bearer)',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        body: keepPlaceBody,
        handler: async (ctx, { body }) => {
          const r = await keepPlace(s, mailer, ctx, ctx.state.website as Website, body);
          ctx.status = r.existing ? 200 : 201;
          return r;
        },
      });

      const callbackId = (ctx: Context): string => {
        const v = ctx.params.callbackId as string;
        if (!/^[0-9a-f]{32}$/.test(v)) throw badRequest('callbackId must be the id given when the callback was asked for (32 hex characters).', [{ field: 'callbackId', problem: 'must be an id' }]);
        return v;
      };

      mount(router, deps, {
        method: 'get',
        path: '/api/widget/:websiteId/callbacks/:callbackId',
        summary: 'Where a callback the visitor asked for stands (by the id its request answered with)',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        handler: async (ctx) => callbackStatus(s, ctx.state.website as Website, callbackId(ctx)),
      });

      mount(router, deps, {
        method: 'post',
        path: '/api/widget/:websiteId/callbacks/:callbackId/cancel',
        summary: 'The visitor cancels their callback: its job is removed and its interaction closed (409 once dialling began)',
        tag: 'widget',
        access: 'website',
        rateLimit: 'widget',
        handler: async (ctx) => cancelCallback(s, ctx.state.website as Website, callbackId(ctx)),
      });

      cancelPageRoutes(router, deps, s);

      mount(router, deps, {
        method: 'get',
        path: '/api/callbacks/summary',
        summary: 'Per callback queue: scheduled by hour (next 24 h), due now, overdue, and how today\'s ended',
        tag: 'callbacks',
        access: SUPERVISORS,
        rateLimit: 'api',
        handler: async () => ({ queues: await callbackSummary(s) }),
      });

      mountAgentRoutes(router, deps, s, sip);
    },
    start: async () => {
      const queueing = new Map<string, Callback>();
      s.routing.previewFor('callback', callbackPreview(s, queueing), callbackPreviewRead(s));
      const customerFirst = new CustomerFirstJob(s, { sip, routing: s.routing, agents: s.agents, retry: (cb, attempt, cause) => retryAfterFailure(s, cb, attempt, cause, cb) });
      customerFirst.work();
      started(customerFirst);
      const due = new CallbackDueJob(s, (cb) => customerFirst.dialFor(cb), queueing);
      due.work();
      const dial = new CallbackDialJob(s, sip);
      s.routing.readOnAccept('callback', dial.onAccept);
      dial.work();
      // Accepted by an agent: in automatic mode the instance where it was accepted schedules the
      // dial (its job runs on any instance); in preview mode the agent presses Call
      // (POST /api/callbacks/:id/dial). A customer-first call is connected by the instance holding it.
      const offSwitched = hangUpSwitchedCalls(s, { sip });
      const off = s.bus.on((e, origin) => {
        if (e.type !== 'interaction.assigned' || e.channel !== 'callback') return;
        customerFirst.assigned(e.interactionId, e.agentId).catch((err) => s.log.error({ err, interactionId: e.interactionId }, 'could not connect the agent to a customer-first callback'));
        if (!origin.local || s.routing.queue(e.queueId ?? '')?.callback.mode === 'preview') return;
        dial.accepted(e.interactionId, e.agentId).catch((err) => s.log.error({ err, interactionId: e.interactionId }, 'could not start dialling a callback'));
      });
      // Jobs lost with a Redis that had no append-only file come back from MySQL; the ones still
      // there are left alone (same job id).
      const open = await scheduledIn(s);
      for (const cb of open) await due.scheduleFor(cb).catch((err) => s.log.error({ err, callbackId: cb.id }, 'could not schedule a callback at start'));
      if (open.length) s.log.info({ callbacks: open.length }, 'scheduled callbacks checked');
      // A request whose job could not be added (Redis went away between MySQL and BullMQ) is
      // overdue without a job: one instance a minute schedules such callbacks again (same job id).
      const repair = setInterval(() => {
        void (async () => {
          if (!(await s.redis.client.set(s.redis.key('callbacks', 'repair-lease'), '1', 'PX', REPAIR_MS - 1000, 'NX'))) return;
          const overdue = (await scheduledIn(s)).filter((cb) => cb.dueAt.getTime() < Date.now() - REPAIR_MS);
          for (const cb of overdue) await due.scheduleFor(cb);
        })().catch((err) => s.log.warn({ err }, 'callback job repair failed; trying again in a minute'));
      }, REPAIR_MS);
      repair.unref();
      return () => {
        off();
        offSwitched();
        clearInterval(repair);
      };
    },
  };
}

const REPAIR_MS = 60_000;

/** Scheduled callbacks whose jobs live in this instance's job scope (where they were requested). */
async function scheduledIn(s: CallbacksKit): Promise<Callback[]> {
  const rows: { id: string }[] = await s.db.query(
    `SELECT c.id FROM callbacks c
       JOIN interaction_events e ON e.interactionId = c.interactionId
      WHERE c.state = 'scheduled' AND e.type IN ('callback.requested', 'callback.retry', 'callback.rescheduled') AND JSON_UNQUOTE(JSON_EXTRACT(e.data, '$.jobScope')) = ?`,
    [s.jobs.scope],
  );
  return rows.length ? s.db.getRepository(Callback).findBy({ id: In(rows.map((r) => r.id)) }) : [];
}
