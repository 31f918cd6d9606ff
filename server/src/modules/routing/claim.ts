import type { InteractionPayload } from '@switchboard/protocol';
import { isRefusal, type OfferEnded } from './engine.js';
import type { Deps, RoutingCore } from './core.js';
import type { InteractionState } from '../interactions/index.js';

/** What a claim may take: anything not finished by a close (see the check before the script). */
const OPEN: InteractionState[] = ['new', 'queued', 'offered', 'assigned', 'conference', 'wrap-up', 'unmanaged'];

interface Claimed {
  interactionId: string;
  channel: string;
  previous: string;
  /** The agent who held it before (a transfer the PBX made), or ''. */
  from: string;
  withdrawn?: OfferEnded;
}

/**
 * A call the PBX handed to an agent's extension, answered there: its interaction becomes that
 * agent's work (load, Busy, wrap-up when it closes), in the agent's list and in the journey.
 * Returns null when there is nothing to take (closed already, or theirs already).
 */
export async function claimForAgent(d: Deps, routing: RoutingCore, interactionId: string, agentId: string, data: Record<string, unknown>): Promise<InteractionPayload | null> {
  const i = await d.records.get(interactionId);
  if (!i || i.state === 'closed' || i.state === 'abandoned') return null;
  const r = await d.engine.run<Claimed>('claim', [interactionId, agentId, i.queueId ?? '', i.channel, i.websiteId ?? '']);
  await d.states.record(r.changes);
  if (isRefusal(r)) return null;
  const now = d.engine.clock.now();
  if (r.withdrawn) {
    await d.records.offerEnded(r.withdrawn.offerId, 'withdrawn');
    await d.events.push(r.withdrawn.agentId, { type: 'offer.ended', offerId: r.withdrawn.offerId, interactionId, reason: 'withdrawn' });
  }
  // Not over the customer's close that came after the script (on any instance, its close written
  // first): the closed call would be assigned again in its row, and a rebuild would route it.
  if (!(await d.records.updateIf(interactionId, OPEN, { state: 'assigned', assignedAgentId: agentId, assignedAt: now }))) {
    if (r.from) await d.events.push(r.from, { type: 'interaction.removed', interactionId, reason: 'transferred' });
    await routing.routeAgents(r.freed);
    return null;
  }
  if (r.from) {
    await d.records.journey(i, 'transferred', agentId, { ...data, from: r.from });
    await d.events.push(r.from, { type: 'interaction.removed', interactionId, reason: 'transferred' });
    await d.bus.publish({ type: 'interaction.transferred', interactionId, channel: i.channel, fromAgentId: r.from, toAgentId: agentId, toQueueId: null });
  } else {
    await d.records.journey(i, 'assigned', agentId, data);
    await d.bus.publish({ type: 'interaction.assigned', interactionId, channel: i.channel, agentId, queueId: i.queueId });
  }
  const payload = await routing.payload(interactionId);
  await routing.tellParticipants(payload);
  await routing.routeAgents(r.freed);
  return payload;
}
