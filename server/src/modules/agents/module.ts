import { z } from 'zod';
import type { ServerModule } from '../../module.js';
import { agentRoutes } from './routes.js';
import { settableStates } from './schema.js';

export const agentsModule: ServerModule = {
  name: 'agents',
  routes: agentRoutes,
  start: async (s, hub) => {
    hub.onAgentCommand(
      z.object({ type: z.literal('state.set'), state: z.enum(settableStates), reason: z.string().max(63).optional(), ref: z.string().max(64).optional() }).strict(),
      async (conn, cmd) => ({ type: 'agent.state', status: await s.setOwnState(conn.principal.agentId, cmd.state, cmd.reason ?? null) }),
    );
  },
};
