/**
 * The agent desktop's WebSocket protocol (/ws/agent). JSON text frames, one message each.
 * Commands may carry a `ref` that the server echoes in its answer or error.
 */
export type AgentStateName = 'logged-out' | 'available' | 'not-ready' | 'busy' | 'wrap-up' | 'rona';

export interface AgentStatusPayload {
  agentId: string;
  state: AgentStateName;
  reason: string | null;
  since: string;
}

export type AgentCommand =
  | { type: 'ping'; ref?: string }
  | { type: 'state.set'; state: 'available' | 'not-ready' | 'logged-out'; reason?: string; ref?: string };

export type AgentServerMessage =
  | { type: 'hello'; agentId: string; status: AgentStatusPayload }
  | { type: 'pong'; ref?: string }
  | { type: 'agent.state'; status: AgentStatusPayload; ref?: string }
  | { type: 'error'; code: string; message: string; ref?: string };

/** Close codes the desktop reacts to (4000-4999 are ours by RFC 6455). */
export const AGENT_CLOSE = {
  /** Logout, password change or deactivation elsewhere: show the login screen. */
  sessionRevoked: 4001,
  /** The server is restarting: reconnect with backoff. */
  serverShutdown: 1001,
} as const;
