import type { ChannelName, InteractionJourneyEvent, InteractionPayload, InteractionStateName } from '@switchboard/protocol';
import type { Interaction } from './interaction.entity.js';
import type { InteractionEvent } from '../journey/index.js';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
const orNull = (v: string | undefined) => (v ? v : null);

/**
 * The only way an interaction becomes JSON: never the visitor token hash. `live` is the routing
 * hash in Redis, which knows what MySQL does not (a conference guest, a pending transfer).
 */
export function presentInteraction(i: Interaction, live: Record<string, string> = {}, customerName: string | null = null): InteractionPayload {
  const pending = orNull(live.pendingKind);
  return {
    id: i.id,
    channel: i.channel as ChannelName,
    state: i.state as InteractionStateName,
    queueId: i.queueId,
    websiteId: i.websiteId,
    contactId: i.contactId,
    customerName,
    subject: i.subject,
    routingVariables: i.routingVariables ?? {},
    ownerId: i.assignedAgentId,
    conference: orNull(live.conf) ? 'active' : pending === 'conference' ? 'requested' : 'none',
    conferenceAgentId: orNull(live.conf) ?? (pending === 'conference' ? orNull(live.pendingAgent) : null),
    transferTo: pending === 'transfer' ? orNull(live.pendingAgent) : null,
    dispositionId: i.dispositionId,
    queuedAt: iso(i.queuedAt),
    assignedAt: iso(i.assignedAt),
    closedAt: iso(i.closedAt),
  };
}

export function presentJourneyEvent(e: InteractionEvent): InteractionJourneyEvent {
  return { seq: Number(e.seq), type: e.type, interactionId: e.interactionId, agentId: e.agentId, data: e.data, at: e.at.toISOString() };
}
