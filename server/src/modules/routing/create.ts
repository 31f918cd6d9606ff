import type { DataSource } from 'typeorm';
import type { Config } from '../../kernel/config/schema.js';
import type { Logger } from '../../kernel/logger.js';
import type { EventBus } from '../../kernel/bus.js';
import type { RedisHandle } from '../../kernel/redis.js';
import type { Clock } from '../../kernel/clock.js';
import type { AgentStateStore } from './state-store.js';
import type { AgentService } from '../agents/index.js';
import { RoutingEngine } from './engine.js';
import { RoutingRecords } from './records.js';
import { AgentEvents } from './agent-events.js';
import { RoutingService } from './service.js';

export function createRouting(d: { config: () => Config; log: Logger; bus: EventBus; redis: RedisHandle; db: DataSource; states: AgentStateStore; agents: AgentService;
  clock: Clock;
  /** Those of these interactions that have a call still going on (an agent who leaves keeps them). */
  withLiveCall: (interactionIds: string[]) => Promise<string[]>;
}): RoutingService {
  return new RoutingService({
    config: d.config,
    log: d.log.child({ component: 'routing' }),
    bus: d.bus,
    engine: new RoutingEngine(d.redis, d.clock),
    records: new RoutingRecords(d.db, d.withLiveCall, d.clock),
    events: new AgentEvents(d.redis, d.bus),
    states: d.states,
    agents: d.agents,
  });
}
