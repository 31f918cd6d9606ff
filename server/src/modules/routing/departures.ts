import type { Channel } from '../../kernel/config/schema.js';
import type { AgentStatus } from '../agents/index.js';
import { isRefusal, list, type OfferEnded } from './engine.js';
import type { Deps, RoutingCore } from './core.js';
import { ROUTED, type StepEntry } from './records.js';

/** Why an agent left; recorded in the journey of what they held. */
export type LeaveReason = 'logged-out' | 'logout' | 'forced-logout' | 'deactivated' | 'password-changed' | 'role-changed' | 'session-expired';

interface Left {
  wasLoggedIn: boolean;
  withdrawn: OfferEnded[];
  requeued: { interactionId: string; queueId: string; channel: Channel }[];
  kept: string[];
  handed: { interactionId: string; to: string; channel: Channel }[];
  guestLeft: { interactionId: string; owner: string; channel: Channel }[];
}

/**
 * An agent leaving, however it happens: nothing they held may wait for them. Offers go to other
 * agents at once, work that can go on without them goes back to its queue ahead of newer
 * arrivals, a conference stays with the other agent; only a call still going on stays theirs
 * until it ends (the call's end closes it, see RoutingService.callEnded).
 */
export class Departures {
  constructor(private readonly d: Deps, private readonly routing: RoutingCore) {}

  async leave(agentId: string, why: LeaveReason): Promise<AgentStatus> {
    const held = await this.d.engine.interactionsOf(agentId);
    const calls = (await this.d.records.many(held)).filter((i) => i.channel === 'phone' || i.channel === 'video').map((i) => i.id);
    const live = await this.d.records.withLiveCall(calls);
    const r = await this.d.engine.run<Left>('leave', [agentId, live.join(',')]);
    await this.d.states.record(r.changes);
    if (isRefusal(r)) throw new Error(`leave refused: ${r.error}`);
    const status = await this.d.states.get(agentId);
    if (r.wasLoggedIn) this.d.log.info({ agentId, why }, 'agent left');

    for (const q of list<Left['requeued'][number]>(r.requeued)) {
      const i = await this.d.records.get(q.interactionId);
      if (!i) continue;
      // queuedAt stays: it is the wait the customer has already done. Not over the customer
      // leaving since the script (its close written first): it would stay queued in its row.
      const requeued = await this.d.records.updateIf(i.id, ROUTED, { state: 'queued', assignedAgentId: null, assignedAt: null });
      if (requeued) await this.d.records.journey(i, 'requeued', agentId, { reason: 'agent-left', why, queueId: q.queueId });
      await this.d.events.push(agentId, { type: 'interaction.removed', interactionId: i.id, reason: 'transferred' });
      if (requeued) await this.d.bus.publish({ type: 'interaction.transferred', interactionId: i.id, channel: i.channel, fromAgentId: agentId, toAgentId: null, toQueueId: q.queueId });
    }
    for (const h of list<Left['handed'][number]>(r.handed)) {
      const i = await this.d.records.get(h.interactionId);
      if (!i) continue;
      // Not over the customer's close that came after the script (its close written first).
      const handed = await this.d.records.updateIf(i.id, ROUTED, { state: 'assigned', assignedAgentId: h.to });
      if (handed) await this.d.records.journey(i, 'transferred', h.to, { from: agentId, reason: 'agent-left', why });
      await this.d.events.push(agentId, { type: 'interaction.removed', interactionId: i.id, reason: 'transferred' });
      if (handed) await this.d.bus.publish({ type: 'interaction.transferred', interactionId: i.id, channel: i.channel, fromAgentId: agentId, toAgentId: h.to, toQueueId: null });
      await this.routing.tellParticipants(await this.routing.payload(i.id));
    }
    for (const g of list<Left['guestLeft'][number]>(r.guestLeft)) {
      const i = await this.d.records.get(g.interactionId);
      if (!i) continue;
      const ended = await this.d.records.updateIf(i.id, ROUTED, { state: 'assigned' });
      if (ended) await this.d.records.journey(i, 'conference.ended', agentId, { guest: agentId, reason: 'agent-left', why });
      await this.d.events.push(agentId, { type: 'interaction.removed', interactionId: i.id, reason: 'conference-ended' });
      if (ended) await this.d.bus.publish({ type: 'interaction.conference', interactionId: i.id, channel: i.channel, agentId: g.owner, guestId: agentId, phase: 'ended' });
      await this.routing.tellParticipants(await this.routing.payload(i.id));
    }
    // Withdrawn offers: a route offer is routed again, a transfer's owner hears it was not taken.
    for (const e of list<OfferEnded>(r.withdrawn)) await this.routing.afterDecline(e);
    for (const q of list<Left['requeued'][number]>(r.requeued)) await this.routing.routeInteraction(q.interactionId);
    await this.routing.routeAgents(r.freed.filter((a) => a !== agentId));
    return status;
  }

  /**
   * A call ended: a phone, video or callback interaction an agent holds is closed by the system
   * (e.g. the one an agent kept when logging out mid-call), its row with it. False when routing did
   * not close it (nobody holds it, or it was closed meanwhile): the row is the caller's to close.
   * `entry`: the call's end in the journey, written with the close's.
   */
  callEnded(interactionId: string, entry?: StepEntry): Promise<boolean> {
    return this.routing.closeFor(interactionId, entry);
  }

  /** Agents in a logged-in state none of whose sessions is left (they expired): they leave. */
  async leaveWithoutSession(): Promise<void> {
    const online = await this.d.engine.online();
    const alive = await this.d.agents.withSession(online);
    for (const a of online) {
      // Asked again alone, just before it counts: a login since the check above keeps the agent.
      if (!alive.has(a) && !(await this.d.agents.hasSession(a))) await this.leave(a, 'session-expired');
    }
  }
}
