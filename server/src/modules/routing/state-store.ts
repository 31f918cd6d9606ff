import type { DataSource } from 'typeorm';
import type { RedisHandle } from '../../kernel/redis.js';
import type { BusEvent, EventBus } from '../../kernel/bus.js';
import { systemClock, type Clock } from '../../kernel/clock.js';
import { StateChangeWriter } from './state-writer.js';
import type { AgentState, AgentStatus } from '../agents/index.js';
import { RoutingEngine, type OfferEnded, type StateChange } from './engine.js';

const iso = (ms: number | string | null | undefined) => (ms ? new Date(Number(ms)).toISOString() : null);
// The scripts hand an absent reason over as '' or null; the status always says null.
const toStatus = (c: StateChange): AgentStatus => ({ agentId: c.agentId, state: c.state, reason: c.reason || null, since: c.since, wrapUpUntil: iso(c.wrapUntil) });

/** An agent's status from their state hash in Redis (`agent-state:<id>`); none is logged out. */
export function statusFrom(agentId: string, h: Record<string, string>): AgentStatus {
  if (!h.state) return { agentId, state: 'logged-out', reason: null, since: new Date(0).toISOString(), wrapUpUntil: null };
  return { agentId, state: h.state as AgentState, reason: h.reason || null, since: h.since!, wrapUpUntil: h.state === 'wrap-up' ? iso(h.wrapUntil) : null };
}

/**
 * The routing service, told of what a state change sets going: an offer the change withdrew is
 * routed again; logging out hands what the agent held to others.
 */
export interface StateFollower {
  withdrawn(ended: OfferEnded): Promise<void>;
  leave(agentId: string): Promise<AgentStatus>;
}

/**
 * An agent's current state lives in Redis, shared by every instance; each change is also written
 * to MySQL (for reports and the audit trail) and announced on the bus. Changes go through the
 * routing engine's script, because state, load and pending offers must change together: Available
 * with work in hand is Busy, and leaving Available withdraws a pending offer.
 */
export class AgentStateStore {
  private readonly engine: RoutingEngine;
  private follower: StateFollower | undefined;
  private readonly writer: StateChangeWriter;

  constructor(private readonly redis: RedisHandle, db: DataSource, private readonly bus: EventBus, clock: Clock = systemClock) {
    this.engine = new RoutingEngine(redis, clock);
    this.writer = new StateChangeWriter(db);
  }

  /** The routing service follows the store it is built on. */
  follow(follower: StateFollower): void {
    if (this.follower) throw new Error('the agent state store already has a follower');
    this.follower = follower;
  }

  private key(agentId: string) {
    return this.redis.key('agent-state', agentId);
  }

  async get(agentId: string): Promise<AgentStatus> {
    return statusFrom(agentId, await this.redis.client.hgetall(this.key(agentId)));
  }

  async set(agentId: string, state: AgentState, reason: string | null = null): Promise<AgentStatus> {
    if (state === 'logged-out' && this.follower) return this.follower.leave(agentId);
    const r = await this.engine.run<{ state: AgentState; withdrawn?: OfferEnded }>('setState', [agentId, state, reason ?? '']);
    await this.record(r.changes);
    if ('withdrawn' in r && r.withdrawn) await this.follower?.withdrawn(r.withdrawn);
    const mine = r.changes.filter((c) => c.agentId === agentId).at(-1);
    return mine ? toStatus(mine) : this.get(agentId);
  }

  /** Writes and announces changes the routing scripts made (busy, wrap-up, RONA...). */
  async record(changes: StateChange[]): Promise<void> {
    await this.announce(await this.write(changes));
  }

  /** Publishes what write() returned. */
  async announce(events: BusEvent[]): Promise<void> {
    for (const e of events) await this.bus.publish(e);
  }

  /**
   * Writes the changes and returns their bus events, for a step that sends them in the same round
   * trip as its own (AgentEvents.send); announce() them when it does not get that far.
   */
  async write(changes: StateChange[]): Promise<BusEvent[]> {
    if (!changes.length) return [];
    // As SQL, not the ORM's insert (reading back each row's seq, which nothing here uses, costs
    // several times its round trip); two or more for every routed interaction, so the steps' rows
    // that come together are written together.
    await this.writer.write(changes.map((c) => ({ agentId: c.agentId, state: c.state, reason: c.reason || null, at: new Date(c.since) })));
    return changes.map((c): BusEvent => ({ type: 'agent.state', ...toStatus(c) }));
  }
}
