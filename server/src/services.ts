import type { AgentService } from './modules/agents/service.js';
import type { SessionStore } from './modules/agents/sessions.js';
import type { AgentStateStore } from './modules/routing/state-store.js';
import type { AgentStatus } from './modules/agents/status.js';
import type { Readiness } from './modules/health/checks.js';
import type { AgentState } from './modules/agents/agent.entity.js';
import type { ContactService } from './modules/contacts/service.js';
import type { RoutingService } from './modules/routing/service.js';
import type { XmppConnection } from './modules/chat/xmpp.js';
import type { Kernel } from './kernel/kernel.js';

/** What route modules and sockets may use; built once per server instance in app.ts. */
export interface Services extends Kernel {
  agents: AgentService;
  sessions: SessionStore;
  states: AgentStateStore;
  readiness: Readiness;
  contacts: ContactService;
  routing: RoutingService;
  xmpp: XmppConnection;
  setOwnState: (agentId: string, state: AgentState, reason: string | null) => Promise<AgentStatus>;
  reloadConfig: (by: string) => Promise<void>;
}
