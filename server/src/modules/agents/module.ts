import { z } from 'zod';
import type { Kernel } from '../../kernel/kernel.js';
import type { ServerModule } from '../../module.js';
import type { AgentState } from './agent.entity.js';
import { agentRoutes, checkReason } from './routes.js';
import { settableStates } from './schema.js';
import { AgentService } from './service.js';
import { SessionStore } from './sessions.js';
import type { AgentStates, AgentStatus } from './status.js';

/** What the agents context uses of routing: its state store, and an agent's own state change (which may hand work over). */
export interface AgentsDeps {
  states: AgentStates;
  routing: { setOwnState(agentId: string, state: AgentState, reason: string | null): Promise<AgentStatus> };
}

/** The accounts and sessions, built before routing (which offers work to the accounts' agents). */
export interface AgentAccounts {
  readonly service: AgentService;
  readonly sessions: SessionStore;
}

export function createAgentAccounts(k: Kernel): AgentAccounts {
  const sessions = new SessionStore(k.redis, () => k.config().main.security.sessionTtlHours * 3600);
  return { sessions, service: new AgentService(k.db, sessions, k.bus, k.config) };
}

/** The agents context as app.ts wires it. */
export interface AgentsContext extends ServerModule {
  /** Sets the agent's own state, after checking the not-ready reason against reasons.yaml. */
  setOwnState(agentId: string, state: AgentState, reason: string | null): Promise<AgentStatus>;
}

/** Agent accounts for administrators, agents' states for supervisors, and each agent's own state. */
export function createAgents(k: Kernel, accounts: AgentAccounts, deps: AgentsDeps): AgentsContext {
  const setOwnState = async (agentId: string, state: AgentState, reason: string | null) => {
    checkReason(k.config(), state, reason);
    return deps.routing.setOwnState(agentId, state, reason);
  };
  return {
    name: 'agents',
    setOwnState,
    routes: (router, routeDeps) => agentRoutes(router, routeDeps, { agents: accounts.service, states: deps.states, setOwnState }),
    start: async (hub) => {
      hub.onAgentCommand(
        z.object({ type: z.literal('state.set'), state: z.enum(settableStates), reason: z.string().max(63).optional(), ref: z.string().max(64).optional() }).strict(),
        async (conn, cmd) => ({ type: 'agent.state', status: await setOwnState(conn.principal.agentId, cmd.state, cmd.reason ?? null) }),
      );
    },
  };
}
