import type { Channel, Queue } from '../../kernel/config/schema.js';
import type { AgentState, AgentStatus } from '../agents/index.js';
import { presentInteraction, type Interaction } from '../interactions/index.js';
import { badRequest } from '../../kernel/http/errors.js';
import { isRefusal, list, waitEstimate, type Accepted, type Closed, type OfferEnded, type OfferMade, type Reply, type RoutingEngine } from './engine.js';
import type { BusEvent } from '../../kernel/bus.js';
import type { AgentEvents, Outgoing } from './agent-events.js';
import type { Deps, RoutingCore } from './core.js';
import { ROUTED, type HoldCompanion, type JoinedColumns, type RoutingRecords, type StepEntry } from './records.js';
import { refusal } from './refusals.js';
import { RoutingViews, type QueueAvailability } from './views.js';
import { Handover } from './handover.js';
import { Departures, type LeaveReason } from './departures.js';
import { RoutingRebuild } from './rebuild.js';
import { claimForAgent } from './claim.js';
import { Entry, type CreateInteraction, type CreateResult, type QueuePlace } from './entry.js';
import { OfferCards, type Preview } from './offer-cards.js';
import type { InteractionPayload, OfferPayload } from '@switchboard/protocol';

const SESSION_CHECK_MS = 3000;
const DISPATCH_LEASE_MS = 900;
/** A queueing is over in well under this: a held row left queued longer, untouched and not in Redis, was cut short. */
const STRANDED_QUIET_S = 120;

export type { CreateInteraction, CreateResult, QueuePlace } from './entry.js';

/**
 * What a channel's own step after an offer of its interaction is accepted needs of its rows, read
 * with the accept's read of the interaction: the step then reads none of it again.
 */
export interface AcceptRead extends JoinedColumns {
  /** The columns as read, once the accept is written: before its interaction.assigned goes out. */
  accepted(interactionId: string, agentId: string, row: Record<string, unknown>): void;
}

/**
 * The one routing engine every channel uses. Decisions are made by atomic scripts in Redis (see
 * lua.ts); this class validates input, writes each step to MySQL and the journey, tells the agents
 * concerned (their sequenced event stream) and announces the step on the bus for the channels.
 */
export class RoutingService implements RoutingCore {
  readonly views: RoutingViews;
  private readonly handover: Handover;

  private readonly departures: Departures;
  private readonly entry: Entry;
  private readonly cards: OfferCards;
  private readonly acceptReads = new Map<string, AcceptRead>();
  readonly rebuilder: RoutingRebuild;

  constructor(private readonly d: Deps) {
    // Every way of leaving ends up here: the state logged-out (own, admin), and the end of the
    // agent's sessions (logout everywhere, deactivation, password or role change).
    d.states.follow({ withdrawn: (ended) => this.afterDecline(ended), leave: (agentId) => this.leave(agentId, 'logged-out') });
    d.agents.follow({ sessionsEnded: async (agentId, why) => void (await this.leave(agentId, why)), profileChanged: (agentId) => this.profileChanged(agentId) });
    this.views = new RoutingViews({ config: d.config, redis: d.engine.redis, states: d.states }, this);
    this.handover = new Handover(d, this);
    this.departures = new Departures(d, this);
    this.rebuilder = new RoutingRebuild(d, this);
    this.entry = new Entry(d, this, this.rebuilder);
    this.cards = new OfferCards(d, this);
  }

  /** The agent leaves: offers and the work that can go on without them go to others at once. */
  leave(agentId: string, why: LeaveReason): Promise<AgentStatus> {
    return this.departures.leave(agentId, why);
  }

  /** A call ended: the phone, video or callback interaction routing holds closes; false when routing did not close it (see Departures). */
  callEnded(interactionId: string, entry?: StepEntry): Promise<boolean> {
    return this.departures.callEnded(interactionId, entry);
  }

  /** Agents in a logged-in state none of whose sessions is left (expired): they leave. */
  leaveWithoutSession(): Promise<void> {
    return this.departures.leaveWithoutSession();
  }

  /** The PBX handed this interaction's call to the agent, who answered: theirs now (see claim.ts). */
  claim(interactionId: string, agentId: string, data: Record<string, unknown> = {}): Promise<InteractionPayload | null> {
    return claimForAgent(this.d, this, interactionId, agentId, data);
  }

  /** Per queue: open now, agents who could take one more now, agents logged in, waiting. */
  availability(filter: { websiteId?: string; queueId?: string; channel?: Channel } = {}): Promise<QueueAvailability[]> {
    return this.views.availability(filter);
  }

  /** The customer left (or the channel gave up) before an agent took it: abandoned. Once assigned, it closes. */
  cancel(interactionId: string): Promise<InteractionPayload> {
    return this.close(interactionId, { by: 'customer' });
  }

  /** To a queue (routed again) or to a named agent (offered; declined → stays with the owner). */
  transfer(interactionId: string, agentId: string, to: { toQueue?: string; toAgent?: string }): Promise<InteractionPayload> {
    return this.handover.transfer(interactionId, agentId, to);
  }

  /** The owner could not take it after all (their phone refused the call): back to its queue at its old place. */
  requeue(interactionId: string, agentId: string, data: Record<string, unknown> = {}): Promise<InteractionPayload> {
    return this.handover.requeue(interactionId, agentId, data);
  }

  /** Invites a second agent: "conference requested" until they accept, then "conference". */
  conference(interactionId: string, agentId: string, guestId: string): Promise<InteractionPayload> {
    return this.handover.conference(interactionId, agentId, guestId);
  }

  /** The owner or the guest ends the conference; the owner keeps the interaction. */
  endConference(interactionId: string, agentId: string): Promise<InteractionPayload> {
    return this.handover.endConference(interactionId, agentId);
  }

  private get log() {
    return this.d.log;
  }

  queue(id: string): Queue | undefined {
    return this.d.config().queues.find((q) => q.id === id);
  }

  /** Creates the interaction and queues it, or records it as unmanaged and says why. */
  create(input: CreateInteraction): Promise<CreateResult> {
    return this.entry.create(input);
  }

  /** Creates the interaction without queueing it: work due later (a callback's slot) waits for enqueueHeld(). */
  createHeld(input: CreateInteraction): Promise<Interaction> {
    return this.entry.createHeld(input);
  }

  /** Queues an interaction made by createHeld() (see Entry.enqueueHeld). */
  enqueueHeld(held: string | Interaction, place?: QueuePlace, along?: HoldCompanion): Promise<CreateResult> {
    return this.entry.enqueueHeld(held, place, along);
  }

  /** Queues a held interaction whose queueing was cut short (see Entry.resumeHeld); null when there was nothing to do. */
  resumeHeld(i: Interaction, place?: Pick<QueuePlace, 'priority'>): Promise<CreateResult | null> {
    return this.entry.resumeHeld(i, place);
  }

  /**
   * Queues the held interactions whose queueing died between their row and Redis (see
   * RoutingRecords.strandedHeld), oldest first; how many were queued. A callback's due job does
   * this for its own when it runs again; a mail ticket, a kept place or a retry has no such job.
   */
  async resumeStranded(quietSeconds = STRANDED_QUIET_S): Promise<number> {
    let queued = 0;
    for (const i of await this.d.records.strandedHeld(quietSeconds)) {
      const r = await this.entry.resumeHeld(i).catch((err: unknown) => {
        this.d.log.warn({ err, interactionId: i.id }, 'a stranded held interaction could not be queued; trying again later');
        return null;
      });
      if (r?.outcome === 'queued') queued++;
    }
    return queued;
  }

  /** A held interaction that will never be queued (its callback was cancelled): closed as it is. */
  closeHeld(interactionId: string, by: 'customer' | 'system'): Promise<boolean> {
    return this.entry.closeHeld(interactionId, by);
  }

  async estimate(queueId: string, position: number): Promise<number | null> {
    return waitEstimate(await this.d.engine.avgWaitMs(queueId), position);
  }

  /** Where a queued interaction stands, for the channel to show the customer. */
  position(interactionId: string): ReturnType<Entry['position']> {
    return this.entry.position(interactionId);
  }

  /**
   * The full pass: offers every queued interaction (two heads per queue) that a free agent can
   * take now. Run periodically for relaxation; arrivals and freed agents are routed directly.
   */
  async dispatch(): Promise<number> {
    const queues = this.d.config().queues.map((q) => q.id);
    let made = 0;
    for (let round = 0; round < 100; round++) {
      const n = await this.offers(await this.d.engine.run<{ offers: OfferMade[] }>('dispatch', queues));
      made += n;
      if (!n) break;
    }
    return made;
  }

  /**
   * Offers this interaction to the best free agent, if there is one; `held`: its row, as the caller
   * has just read or written it; `first`: the caller's bus events, sent with the offer in one round
   * trip, or on their own when no offer is made.
   */
  async routeInteraction(interactionId: string, held?: Interaction, first: BusEvent[] = []): Promise<void> {
    return this.routed(await this.d.engine.run<{ offers: OfferMade[] }>('routeOne', [interactionId]), held, first);
  }

  async routed(r: Reply<{ offers?: OfferMade[] }>, held?: Interaction, first: BusEvent[] = []): Promise<void> {
    try {
      await this.offers(r, held, first);
    } finally {
      for (const e of first.splice(0)) await this.d.bus.publish(e);
    }
  }

  /** Lets each of these agents, if free, take the most urgent waiting interaction they may take. */
  async routeAgents(agentIds: string[]): Promise<void> {
    const queues = this.d.config().queues.map((q) => q.id);
    for (const a of new Set(agentIds)) await this.offers(await this.d.engine.run<{ offers: OfferMade[] }>('routeAgent', [a, ...queues]));
  }

  private async offers(r: Awaited<ReturnType<RoutingEngine['run']>> & { offers?: OfferMade[] }, held?: Interaction, first: BusEvent[] = []): Promise<number> {
    await this.d.states.record(r.changes);
    const offers = isRefusal(r) ? [] : list<OfferMade>(r.offers);
    for (const o of offers) await this.announce(o, o.interactionId === held?.id ? held : undefined, first).catch((err) => this.log.error({ err, offerId: o.offerId }, 'announcing an offer failed'));
    return offers.length;
  }

  /** Records a new offer and shows it to the agent; `held`: the interaction's row in hand, if the step has it; `first`: bus events that go out before the offer's. */
  async announce(o: OfferMade, held?: Interaction, first: BusEvent[] = []): Promise<void> {
    // Read here, the interaction comes with what its channel's preview reads of its own rows.
    const read = held ? undefined : this.cards.readFor(o.channel);
    const got = read ? await this.d.records.getWith(o.interactionId, read, o.agentId) : undefined;
    const i = held ?? (read ? got?.i : await this.d.records.get(o.interactionId));
    if (!i) return;
    // Its customer may have left since the script made the offer (on any instance), the close
    // already written: the offer went with it, and the row stays as the close left it. The row
    // is not marked offered: Redis has the offer, MySQL its offer row and journey entry, and
    // what reads the row's state (a rebuild, the channels) takes offered as queued.
    if (o.kind === 'route') {
      if (!(await this.d.records.offerCreatedIf(o, ROUTED))) return;
    } else await this.d.records.offerCreated(o);
    await this.d.records.journey(i, 'offered', o.agentId, { offerId: o.offerId, kind: o.kind, from: o.from });
    const payload = await this.offerPayload(o, i, got?.joined);
    await this.d.events.send([
      ...first.splice(0).map((event) => ({ event })),
      { agentId: o.agentId, msg: { type: 'offer', offer: payload } },
      { event: { type: 'interaction.offered', interactionId: i.id, channel: i.channel, agentId: o.agentId, offerId: o.offerId, kind: o.kind } },
    ]);
  }

  /** `joined`: the columns of the channel's preview read (see previewFor), when read with the interaction. */
  async offerPayload(o: OfferMade, i: Interaction, joined?: Record<string, unknown>): Promise<OfferPayload> {
    return this.cards.payload(o, i, joined);
  }

  /** Shows the interaction's pending offers again, with the customer's first lines as the channel now gives them. */
  refreshOffers(interactionId: string): Promise<number> {
    return this.cards.refresh(interactionId);
  }

  /** How a channel shows what the customer wrote first on its offers (see OfferCards). */
  previewFor(channel: Channel, fn: Preview, read?: JoinedColumns): void {
    this.cards.previewFor(channel, fn, read);
  }

  /** A channel's rows read with the accept's read of its interactions (see AcceptRead). */
  readOnAccept(channel: Channel, read: AcceptRead): void {
    this.acceptReads.set(channel, read);
  }

  async accept(offerId: string, agentId: string): Promise<InteractionPayload> {
    const r = await this.d.engine.run<Accepted>('accept', [offerId, agentId]);
    // The agents' new states go out with the step's events, or alone if it stops before them.
    const states = await this.d.states.write(r.changes);
    return this.accepted(r, offerId, agentId, states).finally(() => this.d.states.announce(states));
  }

  private async accepted(r: Reply<Accepted>, offerId: string, agentId: string, states: BusEvent[]): Promise<InteractionPayload> {
    if (isRefusal(r)) throw refusal(r, 'offer');
    const now = this.d.engine.clock.now();
    const read = r.kind === 'route' ? this.acceptReads.get(r.channel) : undefined;
    const got = read ? await this.d.records.getWith(r.interactionId, read, agentId) : undefined;
    const before = read ? (got?.i ?? null) : await this.d.records.get(r.interactionId);
    if (!before) {
      await this.d.records.offerEnded(offerId, 'accepted');
      throw new Error(`interaction ${r.interactionId} missing`);
    }
    const { channel } = before;
    const patch = r.kind === 'route' ? { state: 'assigned' as const, assignedAgentId: agentId, assignedAt: now } : r.kind === 'transfer' ? { assignedAgentId: agentId, assignedAt: now } : { state: 'conference' as const };
    // The customer may have closed it since the script (on any instance), the close written
    // first: the row stays as the close left it, and a step that no longer holds is not recorded
    // or announced — a closed chat written back to assigned would be routed again by a rebuild.
    const written = await this.d.records.acceptOffer(offerId, before, ROUTED, patch);
    // The step's bus events and the agents' events go out together, in this order.
    const lines: Outgoing[] = states.splice(0).map((event) => ({ event }));
    if (r.kind === 'route') {
      if (written) {
        if (read && got) read.accepted(r.interactionId, agentId, got.joined);
        await this.d.records.journey(before, 'assigned', agentId, { offerId, waitedMs: r.waitedMs });
        lines.push({ event: { type: 'interaction.assigned', interactionId: r.interactionId, channel, agentId, queueId: r.queueId || null } });
      }
    } else if (r.kind === 'transfer') {
      if (written) await this.d.records.journey(before, 'transferred', agentId, { from: r.from, offerId });
      await this.d.events.push(r.from, { type: 'interaction.removed', interactionId: r.interactionId, reason: 'transferred' });
      if (written) await this.d.bus.publish({ type: 'interaction.transferred', interactionId: r.interactionId, channel, fromAgentId: r.from, toAgentId: agentId, toQueueId: null });
    } else if (written) {
      await this.d.records.journey(before, 'conference.started', agentId, { owner: r.from, offerId });
      await this.d.bus.publish({ type: 'interaction.conference', interactionId: r.interactionId, channel, agentId: r.from, guestId: agentId, phase: 'started' });
    }
    lines.push({ agentId, msg: { type: 'offer.ended', offerId, interactionId: r.interactionId, reason: 'accepted', byAgentId: agentId } });
    // Agents who saw this interaction earlier (and may still show it) learn that it was taken.
    if (r.kind === 'route') {
      for (const other of list<string>(r.seen)) {
        if (other !== agentId) lines.push({ agentId: other, msg: { type: 'offer.ended', offerId, interactionId: r.interactionId, reason: 'taken', byAgentId: agentId } });
      }
    }
    // Closed meanwhile: read as the close left it, so the desktops drop it. Routed, as the script
    // left it: nobody else can change the routing hash of an interaction the agent has just taken.
    // Its participants get it in the same round trip as the step's events, after them.
    let payload: InteractionPayload;
    try {
      payload = written ? await this.payload(r.interactionId, before, r.kind === 'route' ? r.live : undefined) : await this.payload(r.interactionId);
    } catch (err) {
      await this.d.events.send(lines);
      throw err;
    }
    for (const a of participants(payload)) lines.push({ agentId: a, msg: { type: 'interaction.updated', interaction: payload } });
    await this.d.events.send(lines);
    await this.routeAgents(r.freed);
    return payload;
  }

  async reject(offerId: string, agentId: string): Promise<void> {
    const r = await this.d.engine.run<OfferEnded>('decline', [offerId, agentId, 'rejected']);
    await this.d.states.record(r.changes);
    if (isRefusal(r)) throw refusal(r, 'offer');
    await this.afterDecline(r);
  }

  /** After a reject, a timeout or a withdrawal: record it, tell those concerned, route again. */
  async afterDecline(e: OfferEnded): Promise<void> {
    await this.d.records.offerEnded(e.offerId, e.outcome);
    const i = await this.d.records.get(e.interactionId);
    await this.d.events.push(e.agentId, { type: 'offer.ended', offerId: e.offerId, interactionId: e.interactionId, reason: e.outcome });
    if (!i) return;
    await this.d.records.journey(i, `offer.${e.outcome}`, e.agentId, { offerId: e.offerId, kind: e.kind });
    if (e.kind === 'route') {
      const live = await this.d.engine.interactionLive(i.id);
      // Not over a close that came after the read (the customer leaving, on any instance): the
      // row would say queued for good, and a rebuild of the routing state would queue it again.
      if (live.state === 'queued' && (await this.d.records.updateIf(i.id, ['offered', 'queued'], { state: 'queued' }))) {
        await this.d.bus.publish({ type: 'interaction.requeued', interactionId: i.id, channel: i.channel, queueId: e.queueId, agentId: e.agentId, outcome: e.outcome });
      }
    } else if (e.from) {
      await this.d.events.push(e.from, { type: 'transfer.declined', interactionId: i.id, agentId: e.agentId, kind: e.kind === 'conference' ? 'conference' : 'transfer', reason: e.outcome });
      await this.d.bus.publish({ type: 'interaction.transfer-declined', interactionId: i.id, channel: i.channel, agentId: e.from, toAgentId: e.agentId, kind: e.kind === 'conference' ? 'conference' : 'transfer', outcome: e.outcome });
      await this.tellParticipants(await this.payload(i.id));
    }
    if (e.kind === 'route') await this.routeInteraction(i.id);
    await this.routeAgents([e.agentId]);
  }

  /** Ends offers whose time ran out and wrap-ups that are over; every instance runs this. */
  async sweep(): Promise<void> {
    // One round trip: whether the state is there, what is due, and the leases of the passes below.
    const run = () => this.d.engine.run<{ lost?: true; offers: string[]; wraps: string[]; waits: string[]; dispatch: boolean; sessionCheck: boolean }>('due', [200, DISPATCH_LEASE_MS, SESSION_CHECK_MS]);
    let due = await run();
    // Nothing is routed on a lost state; the instance that gets the lock rebuilds it first.
    if (!isRefusal(due) && due.lost) {
      if (!(await this.rebuilder.tryRebuild())) return;
      due = await run();
    }
    if (isRefusal(due) || due.lost) return;
    for (const offerId of list<string>(due.offers)) {
      const r = await this.d.engine.run<OfferEnded>('decline', [offerId, '', 'timeout']);
      await this.d.states.record(r.changes);
      if (!isRefusal(r)) await this.afterDecline(r);
    }
    for (const member of list<string>(due.wraps)) {
      const r = await this.d.engine.run<{ ended: unknown }>('endWrap', [member]);
      await this.d.states.record(r.changes);
      await this.routeAgents(r.freed);
    }
    for (const id of list<string>(due.waits)) await this.expireWait(id);
    // One instance at a time makes the full pass, about once a second.
    if (due.dispatch) await this.dispatch();
    // Sessions expire silently in Redis; one instance every few seconds notices the agents left.
    if (due.sessionCheck) await this.leaveWithoutSession();
  }

  /** Waited longer than the queue's maxWaitSeconds: to its overflow queue, or unmanaged (timed out). */
  private async expireWait(interactionId: string): Promise<void> {
    const r = await this.d.engine.run<{ waitedMs: number; queueId: string; overflowTo?: string; position?: number }>('expireWait', [interactionId]);
    if (isRefusal(r)) return;
    const i = await this.d.records.get(interactionId);
    if (!i) return;
    if (r.overflowTo) {
      await this.d.records.update(i.id, { queueId: r.overflowTo });
      await this.d.records.journey(i, 'overflowed', null, { from: r.queueId, to: r.overflowTo, waitedMs: r.waitedMs });
      await this.d.bus.publish({ type: 'interaction.overflowed', interactionId: i.id, channel: i.channel, fromQueueId: r.queueId, queueId: r.overflowTo, position: r.position ?? 1 });
      await this.routeInteraction(i.id);
      return;
    }
    await this.d.records.update(i.id, { state: 'unmanaged', unmanaged: true, timedOut: true });
    await this.d.records.journey(i, 'unmanaged', null, { reason: 'max-wait', waitedMs: r.waitedMs });
    await this.d.bus.publish({ type: 'interaction.unmanaged', interactionId: i.id, channel: i.channel, queueId: i.queueId!, reason: 'max-wait', nextOpening: null });
  }

  /** The agent's own state change; going Available loads their current skills and capacity. */
  async setOwnState(agentId: string, state: AgentState, reason: string | null): Promise<AgentStatus> {
    // Any logged-in state: the agent counts for "is anyone there" even while Not ready.
    if (state !== 'logged-out') await this.loadProfile(agentId);
    const status = await this.d.states.set(agentId, state, reason);
    if (state === 'available') await this.routeAgents([agentId]);
    return status;
  }

  async loadProfile(agentId: string): Promise<void> {
    const agent = await this.d.agents.get(agentId);
    const skills = (await this.d.agents.skillsOf([agentId])).get(agentId) ?? [];
    await this.d.engine.profile(agentId, agent.capacity, skills, this.d.config().queues.map((q) => q.id));
  }

  /**
   * An administrator changed the agent's skills or capacity: a logged-in agent is ranked again at
   * once and, if that made them free for something waiting, gets it now rather than at their next
   * state change.
   */
  async profileChanged(agentId: string): Promise<void> {
    if ((await this.d.states.get(agentId)).state === 'logged-out') return;
    await this.loadProfile(agentId);
    await this.routeAgents([agentId]);
  }

  /** After the queues changed (start, reload): ranks every logged-in agent again. */
  async refreshProfiles(): Promise<void> {
    for (const a of await this.d.engine.online()) {
      await this.loadProfile(a).catch((err) => this.log.warn({ err, agentId: a }, 'could not refresh the routing profile'));
    }
  }

  /** Closes an assigned interaction (agent, customer or system), or abandons one still waiting. */
  async close(interactionId: string, by: { agentId: string } | { by: 'customer' | 'system' }, dispositionId: string | null = null): Promise<InteractionPayload> {
    const before = (await this.closing(interactionId, by, dispositionId))!;
    // The close script emptied the routing hash's conference and transfer fields, and nothing
    // writes them on a finished interaction.
    return this.payload(interactionId, before, {});
  }

  /**
   * The system closes a call's interaction an agent holds, for its call's end (see
   * Departures.callEnded); false when it did not close it. Nobody waits for the interaction's
   * payload, and the step's entry goes with the close's, after it.
   */
  async closeFor(interactionId: string, entry?: StepEntry): Promise<boolean> {
    const before = await this.d.records.get(interactionId);
    if (!before || !['phone', 'video', 'callback'].includes(before.channel)) return false;
    return this.closing(interactionId, { by: 'system' }, null, entry, before).then(
      (closed) => !!closed,
      (err: { status?: number }) => {
        // Not in the routing state (a call the PBX gave nobody), or finished meanwhile.
        if (err.status !== 404 && err.status !== 409) throw err;
        return false;
      },
    );
  }

  /** `held`: the row as the caller has just read it, for a call's end, which closes only what an agent holds (null when nobody does). */
  private async closing(interactionId: string, by: { agentId: string } | { by: 'customer' | 'system' }, dispositionId: string | null, entry?: StepEntry, held?: Interaction): Promise<Interaction | null> {
    if (dispositionId !== null) this.checkDisposition(dispositionId);
    const before = held ?? (await this.d.records.get(interactionId));
    if (!before) throw refusal({ error: 'not_found' }, 'interaction');
    const agentId = 'agentId' in by ? by.agentId : '';
    const wrapMs = (this.queue(before.queueId ?? '')?.wrapUpSeconds ?? 0) * 1000;
    const r = await this.d.engine.run<Closed>('close', [interactionId, agentId, wrapMs, 'closed', held ? 'held' : '']);
    // Refused before any change: nothing to write or announce.
    if (isRefusal(r) && r.error === 'not_held') return null;
    // The agents' new states go out with the step's events, or alone if it stops before them.
    const states = await this.d.states.write(r.changes);
    await this.closed(r, before, by, dispositionId, states, entry).finally(() => this.d.states.announce(states));
    await this.routeAgents(r.freed);
    return before;
  }

  private async closed(r: Reply<Closed>, before: Interaction, by: { agentId: string } | { by: 'customer' | 'system' }, dispositionId: string | null, states: BusEvent[], entry?: StepEntry): Promise<void> {
    const interactionId = before.id;
    if (isRefusal(r)) throw refusal(r, 'interaction');
    const now = this.d.engine.clock.now();
    const who = 'agentId' in by ? 'agent' : by.by;
    if (r.withdrawn) await this.afterDeclineQuiet(r.withdrawn);
    const lines: Outgoing[] = states.splice(0).map((event) => ({ event }));
    const after = entry ? [{ type: entry.type, agentId: null, data: entry.data }] : [];
    if (r.state === 'abandoned') {
      await this.d.records.apply(before, { state: 'abandoned', closedAt: now });
      await this.d.records.journeyAll(before, [{ type: 'abandoned', agentId: null, data: { by: who } }, ...after]);
      if (entry) entry.written = true;
      lines.push({ event: { type: 'interaction.abandoned', interactionId, channel: before.channel, queueId: before.queueId } });
    } else {
      await this.d.records.apply(before, { state: 'closed', closedAt: now, dispositionId, timedOut: dispositionId === 'timeout' });
      await this.d.records.journeyAll(before, [{ type: 'closed', agentId: r.owner || null, data: { by: who, dispositionId, wrapUpUntil: r.wrapUntil ? new Date(r.wrapUntil).toISOString() : null } }, ...after]);
      if (entry) entry.written = true;
      for (const a of [r.owner, r.conf].filter(Boolean)) lines.push({ agentId: a, msg: { type: 'interaction.removed', interactionId, reason: 'closed' } });
      lines.push({ event: { type: 'interaction.closed', interactionId, channel: before.channel, websiteId: before.websiteId, contactId: before.contactId, agentId: r.owner || null, by: who, dispositionId } });
    }
    await this.d.events.send(lines);
  }

  /** A withdrawal caused by a close: the offer goes, nothing is routed again. */
  private async afterDeclineQuiet(e: OfferEnded): Promise<void> {
    await this.d.records.offerEnded(e.offerId, 'withdrawn');
    await this.d.events.push(e.agentId, { type: 'offer.ended', offerId: e.offerId, interactionId: e.interactionId, reason: 'withdrawn' });
  }

  checkDisposition(id: string): void {
    const known = [...this.d.config().reasons.dispositions.map((d) => d.id), 'timeout'];
    if (!known.includes(id)) throw badRequest(`Unknown disposition "${id}".`, [{ field: 'disposition', problem: `must be one of ${known.join(', ')}` }]);
  }

  /** Sends the interaction as it is now to its owner and conference guest (all their tabs). */
  async tellParticipants(p: InteractionPayload): Promise<void> {
    for (const a of participants(p)) await this.d.events.push(a, { type: 'interaction.updated', interaction: p });
  }

  /** `held`: the interaction's row as this step has just written it, if it has; `live`: its routing hash as the step's script left it; each read otherwise. */
  async payload(interactionId: string, held?: Interaction, live?: Record<string, string>): Promise<InteractionPayload> {
    const i = held ?? (await this.d.records.get(interactionId));
    if (!i) throw refusal({ error: 'not_found' }, 'interaction');
    return presentInteraction(i, live ?? (await this.d.engine.interactionLive(interactionId)), await this.d.records.customerName(i.contactId));
  }

  get engine(): RoutingEngine {
    return this.d.engine;
  }
  get records(): RoutingRecords {
    return this.d.records;
  }
  get events(): AgentEvents {
    return this.d.events;
  }
}

/** Who works on the interaction: its owner and its conference guest. */
function participants(p: InteractionPayload): Set<string> {
  return new Set([p.ownerId, p.conferenceAgentId].filter((x): x is string => !!x));
}
