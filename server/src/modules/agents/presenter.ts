import type { AgentProfile, AgentStatusPayload } from '@switchboard/protocol';
import type { Agent } from './agent.entity.js';
import type { AgentStatus } from './status.js';

/** The only way an agent leaves the server: no password hash, no session version. */
export function presentAgent(a: Agent, skills: { skillId: string; level: number }[] = []): AgentProfile {
  return {
    id: a.id,
    username: a.username,
    name: a.displayName,
    email: a.email,
    role: a.role,
    extension: a.extension,
    capacity: a.capacity,
    active: a.active,
    skills: skills.map((s) => ({ skill: s.skillId, level: s.level })),
    lastLoginAt: a.lastLoginAt?.toISOString() ?? null,
    createdAt: a.createdAt.toISOString(),
  };
}

export function presentStatus(s: AgentStatus): AgentStatusPayload {
  return { agentId: s.agentId, state: s.state, reason: s.reason, since: s.since, wrapUpUntil: s.wrapUpUntil };
}
