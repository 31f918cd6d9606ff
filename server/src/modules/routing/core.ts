import type { InteractionPayload, OfferPayload } from '@switchboard/protocol';
import type { Config, Queue } from '../../kernel/config/schema.js';
import type { Logger } from '../../kernel/logger.js';
import type { BusEvent, EventBus } from '../../kernel/bus.js';
import type { AgentService } from '../agents/index.js';
import type { Interaction } from '../interactions/index.js';
import type { OfferEnded, OfferMade, Reply, RoutingEngine } from './engine.js';
import type { RoutingRecords, StepEntry } from './records.js';
import type { AgentEvents } from './agent-events.js';
import type { AgentStateStore } from './state-store.js';

/** What the routing service is built from (create.ts puts it together). */
export interface Deps {
  config: () => Config;
  log: Logger;
  bus: EventBus;
  engine: RoutingEngine;
  records: RoutingRecords;
  events: AgentEvents;
  states: AgentStateStore;
  agents: AgentService;
}

/**
 * The steps of RoutingService that its parts (views, handover, departures, rebuild) call back
 * into. They see this interface, not the class, so the service can own them without a circle.
 */
export interface RoutingCore {
  readonly engine: RoutingEngine;
  readonly records: RoutingRecords;
  readonly events: AgentEvents;
  queue(id: string): Queue | undefined;
  estimate(queueId: string, position: number): Promise<number | null>;
  dispatch(): Promise<number>;
  routeInteraction(interactionId: string, held?: Interaction, first?: BusEvent[]): Promise<void>;
  /** As routeInteraction(), with the offers a script that queued it made at once (enqueue.lua). */
  routed(r: Reply<{ offers?: OfferMade[] }>, held?: Interaction, first?: BusEvent[]): Promise<void>;
  routeAgents(agentIds: string[]): Promise<void>;
  announce(o: OfferMade, held?: Interaction): Promise<void>;
  offerPayload(o: OfferMade, i: Interaction): Promise<OfferPayload>;
  afterDecline(e: OfferEnded): Promise<void>;
  close(interactionId: string, by: { agentId: string } | { by: 'customer' | 'system' }, dispositionId?: string | null): Promise<InteractionPayload>;
  closeFor(interactionId: string, entry?: StepEntry): Promise<boolean>;
  tellParticipants(p: InteractionPayload): Promise<void>;
  payload(interactionId: string, held?: Interaction): Promise<InteractionPayload>;
}
