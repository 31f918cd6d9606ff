import type { Channel } from '../../kernel/config/schema.js';

/** Why an interaction could not be queued; the channel tells the customer what to do. */
export type UnmanagedReason = 'outside-hours' | 'no-agent' | 'over-capacity' | 'licensed-limit' | 'max-wait';

/**
 * Lifecycle steps the routing engine announces on the bus, heard by every instance. Channel
 * modules (chat, calls, callbacks, mail) react to these: e.g. join the agent to the chat room on
 * `interaction.assigned`, tell the visitor on `interaction.unmanaged`, hang up on `interaction.closed`.
 */
export type RoutingBusEvent =
  | { type: 'interaction.queued'; interactionId: string; channel: Channel; queueId: string; position: number }
  | { type: 'interaction.overflowed'; interactionId: string; channel: Channel; fromQueueId: string; queueId: string; position: number }
  | { type: 'interaction.unmanaged'; interactionId: string; channel: Channel; queueId: string; reason: UnmanagedReason; nextOpening: string | null }
  | { type: 'interaction.offered'; interactionId: string; channel: Channel; agentId: string; offerId: string; kind: 'route' | 'transfer' | 'conference' }
  | { type: 'interaction.requeued'; interactionId: string; channel: Channel; queueId: string; agentId: string; outcome: 'rejected' | 'timeout' | 'withdrawn' }
  | { type: 'interaction.assigned'; interactionId: string; channel: Channel; agentId: string; queueId: string | null }
  | { type: 'interaction.transferred'; interactionId: string; channel: Channel; fromAgentId: string; toAgentId: string | null; toQueueId: string | null }
  | { type: 'interaction.transfer-declined'; interactionId: string; channel: Channel; agentId: string; toAgentId: string; kind: 'transfer' | 'conference'; outcome: 'rejected' | 'timeout' | 'withdrawn' }
  | { type: 'interaction.conference'; interactionId: string; channel: Channel; agentId: string; guestId: string; phase: 'requested' | 'started' | 'ended' }
  /** `websiteId`, `contactId`: the interaction's, so that those who react need not read it. */
  | { type: 'interaction.closed'; interactionId: string; channel: Channel; websiteId: string | null; contactId: string | null; agentId: string | null; by: 'agent' | 'customer' | 'system'; dispositionId: string | null }
  | { type: 'interaction.abandoned'; interactionId: string; channel: Channel; queueId: string | null };

declare module '../../kernel/bus.js' {
  interface BusEvents {
    routing: RoutingBusEvent;
  }
}
