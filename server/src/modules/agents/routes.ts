import type { AgentList } from '@switchboard/protocol';
import type Router from '@koa/router';
import { z } from 'zod';
import { ADMINS, ALL_ROLES, SUPERVISORS, mount, type RouteDeps } from '../../kernel/http/route.js';
import { badRequest, forbidden } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import { notFound } from '../../kernel/http/errors.js';
import { createAgentBody, setStateBody, updateAgentBody } from './schema.js';
import { presentAgent, presentStatus } from './presenter.js';
import type { AgentService } from './service.js';
import type { AgentStates, AgentStatus } from './status.js';
import type { AgentState } from './agent.entity.js';
import type { Config } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';

const agentId = (raw: string | undefined) => {
  if (!isId(raw)) throw notFound('Agent');
  return raw;
};

/** What the agents' routes use: the accounts, routing's state store, and setting one's own state. */
export interface AgentRouteParts {
  agents: AgentService;
  states: AgentStates;
  setOwnState(agentId: string, state: AgentState, reason: string | null): Promise<AgentStatus>;
}

export function agentRoutes(router: Router, deps: RouteDeps, s: AgentRouteParts): void {
  mount(router, deps, {
    method: 'get',
    path: '/api/agents',
    summary: 'List agents with their current state',
    tag: 'agents',
    access: SUPERVISORS,
    rateLimit: 'api',
    handler: async () => {
      const agents = await s.agents.list();
      const skills = await s.agents.skillsOf(agents.map((a) => a.id));
      const states = await Promise.all(agents.map((a) => s.states.get(a.id)));
      return { agents: agents.map((a, i) => ({ ...presentAgent(a, skills.get(a.id)), status: presentStatus(states[i]!) })) } satisfies AgentList;
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/agents',
    summary: 'Create an agent',
    tag: 'agents',
    access: ADMINS,
    rateLimit: 'api',
    body: createAgentBody,
    handler: async (ctx, { body }) => {
      const agent = await s.agents.create(body);
      ctx.status = 201;
      return { agent: presentAgent(agent, body.skills.map((x) => ({ skillId: x.skill, level: x.level }))) };
    },
  });

  mount(router, deps, {
    method: 'patch',
    path: '/api/agents/:id',
    summary: 'Change an agent; a new password, a new role or deactivation ends their sessions',
    tag: 'agents',
    access: ADMINS,
    rateLimit: 'api',
    body: updateAgentBody,
    handler: async (ctx, { body }) => {
      const id = agentId(ctx.params.id);
      const agent = await s.agents.update(id, body);
      return { agent: presentAgent(agent, (await s.agents.skillsOf([id])).get(id)) };
    },
  });

  mount(router, deps, {
    method: 'post',
    path: '/api/agents/:id/logout',
    summary: 'End every session of an agent',
    tag: 'agents',
    access: SUPERVISORS,
    rateLimit: 'api',
    handler: async (ctx) => {
      const id = agentId(ctx.params.id);
      await s.agents.get(id);
      await s.agents.revokeSessions(id, 'forced-logout');
      await s.states.set(id, 'logged-out');
    },
  });

  mount(router, deps, {
    method: 'get',
    path: '/api/agents/:id/state',
    summary: "An agent's current state",
    tag: 'agents',
    access: ALL_ROLES,
    rateLimit: 'api',
    handler: async (ctx) => {
      const id = agentId(ctx.params.id);
      const p = ctx.state.principal as Principal;
      if (p.agentId !== id && p.role === 'agent') throw forbidden('Agents may only read their own state.');
      await s.agents.get(id);
      return presentStatus(await s.states.get(id));
    },
  });

  mount(router, deps, {
    method: 'put',
    path: '/api/agents/me/state',
    summary: 'Set your own state (available, not-ready with a reason, logged-out)',
    tag: 'agents',
    access: ALL_ROLES,
    rateLimit: 'api',
    body: setStateBody,
    response: z.object({ agentId: z.string(), state: z.string(), reason: z.string().nullable(), since: z.string(), wrapUpUntil: z.string().nullable() }),
    handler: async (ctx, { body }) => {
      const p = ctx.state.principal as Principal;
      return presentStatus(await s.setOwnState(p.agentId, body.state, body.reason ?? null));
    },
  });
}

export function checkReason(config: Config, state: string, reason: string | null): void {
  if (state === 'not-ready') {
    const reasons = config.reasons.notReady;
    if (!reason) throw badRequest('Pick a reason for Not ready.', [{ field: 'reason', problem: 'is required for not-ready' }]);
    if (!reasons.some((r) => r.id === reason)) throw badRequest(`Unknown reason "${reason}".`, [{ field: 'reason', problem: `must be one of ${reasons.map((r) => r.id).join(', ')}` }]);
  } else if (reason) {
    throw badRequest('Only Not ready takes a reason.', [{ field: 'reason', problem: `not allowed with ${state}` }]);
  }
}
