import type { AgentState } from './agent.entity.js';

/** An agent's current state as the desktop and supervisors see it (routing's state store keeps it). */
export interface AgentStatus {
  agentId: string;
  state: AgentState;
  reason: string | null;
  since: string;
  /** ISO; while in wrap-up, when it ends. */
  wrapUpUntil: string | null;
}

/** Reading and forcing an agent's state: what the agents and auth contexts use of routing's state store. */
export interface AgentStates {
  get(agentId: string): Promise<AgentStatus>;
  set(agentId: string, state: AgentState, reason?: string | null): Promise<AgentStatus>;
}
