import type { DataSource } from 'typeorm';
import type { RedisHandle } from '../../redis.js';
import type { EventBus } from '../../bus.js';
import { AgentStateChange, type AgentState } from './agent.entity.js';

export interface AgentStatus {
  agentId: string;
  state: AgentState;
  reason: string | null;
  since: string;
}

/**
 * An agent's current state lives in Redis, shared by every instance; each change is also written
 * to MySQL (for reports and the audit trail) and announced on the bus.
 */
export class AgentStateStore {
  constructor(private readonly redis: RedisHandle, private readonly db: DataSource, private readonly bus: EventBus) {}

  private key(agentId: string) {
    return this.redis.key('agent-state', agentId);
  }

  async get(agentId: string): Promise<AgentStatus> {
    const h = await this.redis.client.hgetall(this.key(agentId));
    if (!h.state) return { agentId, state: 'logged-out', reason: null, since: new Date(0).toISOString() };
    return { agentId, state: h.state as AgentState, reason: h.reason || null, since: h.since! };
  }

  async set(agentId: string, state: AgentState, reason: string | null = null): Promise<AgentStatus> {
    const now = new Date();
    const status: AgentStatus = { agentId, state, reason, since: now.toISOString() };
    await this.redis.client.hset(this.key(agentId), { state, reason: reason ?? '', since: status.since });
    await this.db.getRepository(AgentStateChange).insert({ agentId, state, reason, at: now });
    await this.bus.publish({ type: 'agent.state', ...status });
    return status;
  }
}
