import type { InteractionDetail, LiveAgentList, OfferAccepted, QueueStatsList } from '@switchboard/protocol';
import type Router from '@koa/router';
import { ALL_ROLES, SUPERVISORS, mount, type RouteDeps } from '../../kernel/http/route.js';
import { forbidden, notFound } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { AgentService } from '../agents/index.js';
import type { RoutingService } from './service.js';
import type { Principal } from '../../kernel/http/principal.js';
import { availabilityQuery, closeBody, conferenceBody, createInteractionBody, transferBody, transferTargetsQuery, transferTargetsResponse } from './schema.js';
import { transferTargets } from './transfer-targets.js';
import { presentTransferTargets } from './presenter.js';
import { presentJourneyEvent } from '../interactions/index.js';

const idParam = (raw: string | undefined, what: string) => {
  if (!isId(raw)) throw notFound(what);
  return raw;
};
const me = (ctx: { state: Record<string, unknown> }) => (ctx.state.principal as Principal).agentId;

/** REST equivalents of the agent socket commands, and the supervisor's views. */
export function routingRoutes(router: Router, deps: RouteDeps, k: Kernel, s: { routing: RoutingService; agents: AgentService }): void {
  mount(router, deps, {
    method: 'post',
    path: '/api/routing/interactions',
    summary: 'Create and route an interaction (supervisors; channels use the routing service directly)',
    tag: 'routing',
    access: SUPERVISORS,
    rateLimit: 'api',
    body: createInteractionBody,
    handler: async (ctx, { body }) => {
      const r = await s.routing.create(body);
      ctx.status = 201;
      const interaction = await s.routing.payload(r.interaction.id);
      return r.outcome === 'queued'
        ? { outcome: r.outcome, interaction, position: r.position, estimatedWaitSeconds: r.estimatedWaitSeconds }
        : { outcome: r.outcome, interaction, reason: r.reason, nextOpening: r.nextOpening };
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/routing/interactions/:id/cancel',
    summary: 'Abandon an interaction that is still waiting (or close it for the customer once assigned)',
    tag: 'routing',
    access: SUPERVISORS,
    rateLimit: 'api',
    handler: async (ctx) => ({ interaction: await s.routing.cancel(idParam(ctx.params.id, 'Interaction')) }),
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/routing/queues',
    summary: 'Live view of every queue: waiting, longest wait, offered, agents by state',
    tag: 'routing',
    access: SUPERVISORS,
    rateLimit: 'api',
    handler: async () => ({ queues: await s.routing.views.queueStats() }) satisfies QueueStatsList,
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/routing/agents',
    summary: 'Live view of every logged-in agent: state, load, pending offer, interactions',
    tag: 'routing',
    access: SUPERVISORS,
    rateLimit: 'api',
    handler: async () => ({ agents: await s.routing.views.agents() }) satisfies LiveAgentList,
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/routing/transfer-targets',
    summary: "Where the owner of an interaction may transfer it: its channel's queues and the other logged-in agents",
    tag: 'routing',
    access: ALL_ROLES,
    rateLimit: 'api',
    query: transferTargetsQuery,
    response: transferTargetsResponse,
    handler: async (ctx, { query }) => presentTransferTargets(await transferTargets({ config: k.config, agents: s.agents, routing: s.routing }, query.interactionId, me(ctx))),
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/routing/availability',
    summary: 'Per queue: open, agents available now, agents logged in, waiting',
    tag: 'routing',
    access: SUPERVISORS,
    rateLimit: 'api',
    query: availabilityQuery,
    handler: async (_ctx, { query }) => ({ queues: await s.routing.availability({ websiteId: query.website, queueId: query.queue, channel: query.channel }) }),
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/interactions/mine',
    summary: 'My pending offer and my open interactions, with the event seq they are current to',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const { type: _t, ...snapshot } = await s.routing.views.snapshot(me(ctx));
      return snapshot;
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/interactions/:id',
    summary: 'One interaction with its history (its owner, conference guest or a supervisor)',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const id = idParam(ctx.params.id, 'Interaction');
      const interaction = await s.routing.payload(id);
      const p = ctx.state.principal as Principal;
      if (p.role === 'agent' && interaction.ownerId !== p.agentId && interaction.conferenceAgentId !== p.agentId) throw forbidden('This interaction is not assigned to you.');
      return { interaction, history: (await s.routing.records.history(id)).map(presentJourneyEvent) } satisfies InteractionDetail;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/offers/:id/accept',
    summary: 'Accept an offer made to me',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => ({ interaction: await s.routing.accept(idParam(ctx.params.id, 'Offer'), me(ctx)) }) satisfies OfferAccepted,
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/offers/:id/reject',
    summary: 'Reject an offer made to me; it goes to another agent',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      await s.routing.reject(idParam(ctx.params.id, 'Offer'), me(ctx));
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/interactions/:id/close',
    summary: 'Close my interaction, optionally with a disposition; wrap-up follows',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: closeBody,
    handler: async (ctx, { body }) => ({ interaction: await s.routing.close(idParam(ctx.params.id, 'Interaction'), { agentId: me(ctx) }, body.disposition ?? null) }),
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/interactions/:id/transfer',
    summary: 'Transfer my interaction to a queue or to an agent',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: transferBody,
    handler: async (ctx, { body }) => ({ interaction: await s.routing.transfer(idParam(ctx.params.id, 'Interaction'), me(ctx), body) }),
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/interactions/:id/conference',
    summary: 'Invite another agent into my interaction',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: conferenceBody,
    handler: async (ctx, { body }) => ({ interaction: await s.routing.conference(idParam(ctx.params.id, 'Interaction'), me(ctx), body.agentId) }),
  });

  mount(router, deps, {
    method: 'delete',
    path: '/api/interactions/:id/conference',
    summary: 'End the conference (owner or guest)',
    tag: 'interactions',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => ({ interaction: await s.routing.endConference(idParam(ctx.params.id, 'Interaction'), me(ctx)) }),
  });
}
