import type { InteractionPayload } from '@switchboard/protocol';
import { badRequest } from '../../kernel/http/errors.js';
import { isId } from '../../kernel/db/ids.js';
import { notFound } from '../../kernel/http/errors.js';
import { isRefusal, queueScore, type OfferMade } from './engine.js';
import { refusal } from './refusals.js';
import type { Deps, RoutingCore } from './core.js';
import { ROUTED } from './records.js';

type S = Pick<Deps, 'config' | 'bus' | 'states' | 'agents'>;

/**
 * Transfer and conference: the owner hands the interaction to a queue (routed again), offers it
 * to a named agent (it stays with the owner until accepted), or invites a second agent in.
 */
export class Handover {
  constructor(private readonly s: S, private readonly routing: RoutingCore) {}

  async transfer(interactionId: string, agentId: string, to: { toQueue?: string; toAgent?: string }): Promise<InteractionPayload> {
    if (!!to.toQueue === !!to.toAgent) throw badRequest('Transfer to a queue or to an agent (one of them).', [{ field: 'toQueue', problem: 'give toQueue or toAgent, not both' }]);
    const i = await this.routing.records.get(interactionId);
    if (!i) throw notFound('Interaction');
    if (to.toQueue) {
      const q = this.routing.queue(to.toQueue);
      if (!q) throw badRequest(`Unknown queue "${to.toQueue}".`, [{ field: 'toQueue', problem: 'unknown queue' }]);
      if (q.channel !== i.channel) throw badRequest(`Queue "${q.id}" takes ${q.channel}, not ${i.channel}.`, [{ field: 'toQueue', problem: `is a ${q.channel} queue` }]);
      const r = await this.routing.engine.run<{ position: number }>('handover', [interactionId, agentId, 'queue', q.id, queueScore(q.priority, this.routing.engine.clock.now().getTime())]);
      await this.s.states.record(r.changes);
      if (isRefusal(r)) throw refusal(r, 'interaction');
      const now = this.routing.engine.clock.now();
      // Not over the customer leaving since the script (its close written first): then the
      // transfer no longer holds, and is neither recorded nor announced after the close.
      const moved = await this.routing.records.updateIf(interactionId, ROUTED, { state: 'queued', queueId: q.id, assignedAgentId: null, assignedAt: null, queuedAt: now });
      if (moved) await this.routing.records.journey(i, 'transferred', agentId, { toQueue: q.id });
      await this.routing.events.push(agentId, { type: 'interaction.removed', interactionId, reason: 'transferred' });
      if (moved) await this.s.bus.publish({ type: 'interaction.transferred', interactionId, channel: i.channel, fromAgentId: agentId, toAgentId: null, toQueueId: q.id });
      await this.routing.routeInteraction(interactionId);
      await this.routing.routeAgents(r.freed);
      return this.routing.payload(interactionId);
    }
    return this.invite(interactionId, agentId, to.toAgent!, 'agent');
  }

  /**
   * The owner could not take the interaction after all (their phone refused the call it was
   * accepted for): back to its queue at its old place, as after a rejected offer — queuedAt is
   * the wait the customer has already done, so the offer's "waiting since", the supervisor's
   * longest wait and the reports keep counting from their first entry.
   */
  async requeue(interactionId: string, agentId: string, data: Record<string, unknown>): Promise<InteractionPayload> {
    const i = await this.routing.records.get(interactionId);
    if (!i) throw notFound('Interaction');
    const r = await this.routing.engine.run<{ queueId: string; position: number }>('handover', [interactionId, agentId, 'back', '', '']);
    await this.s.states.record(r.changes);
    if (isRefusal(r)) throw refusal(r, 'interaction');
    // As for a transfer: not over a close written first, nor recorded or announced after it.
    const moved = await this.routing.records.updateIf(interactionId, ROUTED, { state: 'queued', assignedAgentId: null, assignedAt: null });
    if (moved) await this.routing.records.journey(i, 'requeued', agentId, { ...data, queueId: r.queueId, position: r.position });
    await this.routing.events.push(agentId, { type: 'interaction.removed', interactionId, reason: 'transferred' });
    if (moved) await this.s.bus.publish({ type: 'interaction.transferred', interactionId, channel: i.channel, fromAgentId: agentId, toAgentId: null, toQueueId: r.queueId });
    await this.routing.routeInteraction(interactionId);
    await this.routing.routeAgents(r.freed);
    return this.routing.payload(interactionId);
  }

  async conference(interactionId: string, agentId: string, guestId: string): Promise<InteractionPayload> {
    return this.invite(interactionId, agentId, guestId, 'conference');
  }

  private async invite(interactionId: string, agentId: string, targetId: string, mode: 'agent' | 'conference'): Promise<InteractionPayload> {
    const field = mode === 'agent' ? 'toAgent' : 'agentId';
    if (!isId(targetId)) throw badRequest('Unknown agent.', [{ field, problem: 'unknown agent' }]);
    await this.s.agents.get(targetId).catch(() => {
      throw badRequest('Unknown agent.', [{ field, problem: 'unknown agent' }]);
    });
    const i = await this.routing.records.get(interactionId);
    if (!i) throw notFound('Interaction');
    const timeoutMs = (this.routing.queue(i.queueId ?? '')?.offerTimeoutSeconds ?? 20) * 1000;
    const r = await this.routing.engine.run<OfferMade>('handover', [interactionId, agentId, mode, targetId, timeoutMs]);
    await this.s.states.record(r.changes);
    if (isRefusal(r)) {
      const e = refusal(r, 'interaction');
      if (e.fields) e.fields.forEach((f) => (f.field = field));
      throw e;
    }
    await this.routing.announce(r);
    if (mode === 'conference') {
      await this.routing.records.journey(i, 'conference.requested', agentId, { guest: targetId });
      await this.s.bus.publish({ type: 'interaction.conference', interactionId, channel: i.channel, agentId, guestId: targetId, phase: 'requested' });
    }
    const p = await this.routing.payload(interactionId);
    await this.routing.tellParticipants(p);
    return p;
  }

  async endConference(interactionId: string, agentId: string): Promise<InteractionPayload> {
    const i = await this.routing.records.get(interactionId);
    if (!i) throw notFound('Interaction');
    const r = await this.routing.engine.run<{ guest: string; owner: string }>('endConference', [interactionId, agentId]);
    await this.s.states.record(r.changes);
    if (isRefusal(r)) throw refusal(r, 'interaction');
    // Not over the customer leaving since the script (its close written first), nor recorded or announced after it.
    const ended = await this.routing.records.updateIf(interactionId, ROUTED, { state: 'assigned' });
    if (ended) await this.routing.records.journey(i, 'conference.ended', agentId, { guest: r.guest });
    await this.routing.events.push(r.guest, { type: 'interaction.removed', interactionId, reason: 'conference-ended' });
    if (ended) await this.s.bus.publish({ type: 'interaction.conference', interactionId, channel: i.channel, agentId: r.owner, guestId: r.guest, phase: 'ended' });
    const p = await this.routing.payload(interactionId);
    await this.routing.tellParticipants(p);
    await this.routing.routeAgents(r.freed);
    return p;
  }
}
