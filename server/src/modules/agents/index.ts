// The public face of this context: what app.ts and other contexts may use of it.
export { Agent, AgentSkill, AgentStateChange, type AgentState } from './agent.entity.js';
export { createAgentAccounts, createAgents, type AgentAccounts, type AgentsContext, type AgentsDeps } from './module.js';
export { presentAgent } from './presenter.js';
export { loginBody, passwordBody } from './schema.js';
export type { AgentService } from './service.js';
export type { SessionStore } from './sessions.js';
export type { AgentStates, AgentStatus } from './status.js';
