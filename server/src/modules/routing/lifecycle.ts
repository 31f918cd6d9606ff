import type { InteractionPayload, JourneyType } from '@switchboard/protocol';
import { In, type DataSource } from 'typeorm';
import type { Channel, Queue } from '../../kernel/config/schema.js';
import { newId } from '../../kernel/db/ids.js';
import type { Clock } from '../../kernel/clock.js';
import { Interaction } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import type { HoldCompanion, JoinedColumns, StepEntry } from './records.js';
import type { AcceptRead, CreateInteraction, CreateResult, QueuePlace, RoutingService } from './service.js';
import type { Preview } from './offer-cards.js';

/** An interaction made for a call the PBX routes (a widget call, or an inbound call without one). */
export interface CallInteraction {
  channel: 'phone' | 'video';
  queueId: string | null;
  websiteId: string | null;
  contactId: string | null;
  routingVariables?: Record<string, string>;
  /** The hash of the visitor's token for this call (keep my place proves it is theirs). */
  visitorTokenHash?: string | null;
  at?: Date;
  /** The call's first step in the journey (call.requested, call.inbound). */
  step: { type: JourneyType; data: Record<string, unknown> };
}

/** How a call moves its interaction: answered → assigned, ended → closed; a note changes nothing. */
export type CallChange = { state: 'assigned'; assignedAt: Date } | { state: 'closed'; closedAt: Date } | Record<string, never>;

/**
 * The interaction lifecycle every channel goes through: created (queued, held, or for a call the
 * PBX routes), assigned, transferred, closed, and the journey of each step. Routing is the only
 * writer of Interaction rows and journey entries; channels take this interface in their Deps.
 */
export interface InteractionSteps {
  /** Creates the interaction and queues it, or records it as unmanaged and says why. */
  create(input: CreateInteraction): Promise<CreateResult>;
  /** Creates it without queueing (state "new"): work due later waits for enqueueHeld(). */
  createHeld(input: CreateInteraction): Promise<Interaction>;
  /**
   * `held`: its id, or its row as the caller has just read it (not read again). `along`: a row of
   * the caller's changed in the statement that takes it out of its hold, which it needs.
   */
  enqueueHeld(held: string | Interaction, place?: QueuePlace, along?: HoldCompanion): Promise<CreateResult>;
  /** A held interaction queued in MySQL whose queueing never reached Redis (its instance died): queued now; null when there was nothing to do. */
  resumeHeld(held: Interaction, place?: Pick<QueuePlace, 'priority'>): Promise<CreateResult | null>;
  closeHeld(interactionId: string, by: 'customer' | 'system'): Promise<boolean>;
  /** An interaction for a call: queued at the PBX, never offered by Switchboard's routing. */
  createForCall(input: CallInteraction): Promise<Interaction>;
  /** A call's step on its interaction, then its journey entry (see calls/lifecycle.ts); a call's end closes it as callEnded() does, or its row alone. */
  callStep(interactionId: string, type: JourneyType, data: Record<string, unknown>, change: CallChange): Promise<void>;
  /** The PBX handed the call to this agent, who answered: theirs now. */
  claim(interactionId: string, agentId: string, data?: Record<string, unknown>): Promise<InteractionPayload | null>;
  /** A call ended: the interaction routing holds for it closes (false: routing did not close it). */
  callEnded(interactionId: string): Promise<boolean>;
  /** A call no agent took yet closes: its customer switched to a callback that keeps the place (false: not waiting any more). */
  closeWaitingCall(interactionId: string): Promise<boolean>;
  transfer(interactionId: string, agentId: string, to: { toQueue?: string; toAgent?: string }): Promise<InteractionPayload>;
  /**
   * The agent who accepted it could not take it after all (their phone refused the call): back to
   * its queue at its old place, its wait counted from its first entry (`data` goes to the journey).
   */
  requeue(interactionId: string, agentId: string, data?: Record<string, unknown>): Promise<InteractionPayload>;
  close(interactionId: string, by: { agentId: string } | { by: 'customer' | 'system' }, dispositionId?: string | null): Promise<InteractionPayload>;
  /** The customer left before an agent took it: abandoned; once assigned, closed. */
  cancel(interactionId: string): Promise<InteractionPayload>;
  checkDisposition(id: string): void;
  /** The outcome of an interaction already closed (a callback's disposition given afterwards). */
  setDisposition(interactionId: string, dispositionId: string): Promise<void>;
  /** The hash of the visitor's bearer token for this interaction (chat, mail ticket files). */
  setVisitorToken(interactionId: string, tokenHash: string): Promise<void>;
  /** Marks a chat as left for the offline form; false when it already was. */
  markOffline(interactionId: string, contactId: string): Promise<boolean>;
  /** Appends a step to the interaction's journey (`at`: when it happened, if not now). */
  journey(i: Pick<Interaction, 'id' | 'contactId'>, type: JourneyType, agentId: string | null, data?: Record<string, unknown>, at?: Date): Promise<void>;

  get(interactionId: string): Promise<Interaction | null>;
  /** The live routing state (owner, conference guest, state, queue) of an interaction. */
  live(interactionId: string): Promise<Record<string, string>>;
  customerName(contactId: string | null): Promise<string | null>;
  position(interactionId: string): Promise<{ state: string; position: number | null; estimatedWaitSeconds: number | null }>;
  queue(id: string): Queue | undefined;
  /** How a channel shows what the customer wrote first on its offers. */
  /** `read`: what `fn` reads of the channel's own rows, read with the interaction when routing reads it for the offer (given to `fn` as `joined`). */
  previewFor(channel: Channel, fn: Preview, read?: JoinedColumns): void;
  /** Shows the interaction's pending offers again, with the customer's first lines as the channel now gives them. */
  refreshOffers(interactionId: string): Promise<number>;
  /** What the channel's step after an accept needs of its own rows, read with the accept's read of the interaction. */
  readOnAccept(channel: Channel, read: AcceptRead): void;
}

/** The lifecycle over the routing service and the database it records in; times from the kernel's clock. */
export function interactionSteps(routing: RoutingService, db: DataSource, clock: Clock): InteractionSteps {
  const records = routing.records;
  return {
    create: (input) => routing.create(input),
    createHeld: (input) => routing.createHeld(input),
    enqueueHeld: (id, place, along) => routing.enqueueHeld(id, place, along),
    resumeHeld: (i, place) => routing.resumeHeld(i, place),
    closeHeld: (id, by) => routing.closeHeld(id, by),
    createForCall: (input) =>
      db.transaction(async (m) => {
        const at = input.at ?? clock.now();
        const i = m.getRepository(Interaction).create({
          id: newId(), channel: input.channel, direction: 'inbound', state: 'queued', queueId: input.queueId, websiteId: input.websiteId,
          contactId: input.contactId, assignedAgentId: null, routingVariables: input.routingVariables ?? {}, subject: null, dispositionId: null,
          unmanaged: false, offline: false, timedOut: false, visitorTokenHash: input.visitorTokenHash ?? null, queuedAt: at, assignedAt: null, closedAt: null,
        });
        await m.getRepository(Interaction).insert(i);
        await m.getRepository(InteractionEvent).insert({ interactionId: i.id, contactId: i.contactId, agentId: null, type: input.step.type, data: input.step.data as never, at });
        return i;
      }),
    callStep: async (interactionId, type, data, change) => {
      // A call joined from a chat (an agent's invitation) is part of the chat: the chat goes on
      // after it, so only the journey hears about it; an ended interaction (closed, abandoned,
      // unmanaged) stays as it ended. No transaction around the change and its entry: one
      // interaction's call steps come one after the other (calls/lifecycle.ts), and a routing step
      // changing the row meanwhile wrote its own entry outside the row's lock already, so the lock
      // never ordered the entries.
      //
      // A call's end closes an interaction routing holds through routing's close (its agent freed,
      // their wrap-up, the row written once, the step's entry with the close's); any other, or any
      // while the live state is unreachable, by the row alone. Its failure is told once the row
      // and the entry are written.
      let failed: { err: unknown } | undefined;
      const entry: StepEntry = { type, data };
      const closedByRouting = 'state' in change && change.state === 'closed' && (await routing.callEnded(interactionId, entry).catch((err: unknown) => ((failed = { err }), false)));
      if (!closedByRouting && Object.keys(change).length) await records.updateForCall(interactionId, change);
      if (!entry.written) await records.journeyOf(interactionId, type, null, data);
      if (failed) throw failed.err;
    },
    claim: (id, agentId, data) => routing.claim(id, agentId, data),
    callEnded: (id) => routing.callEnded(id),
    closeWaitingCall: async (id) => {
      // A call never connected has no end to close it.
      const r = await records.interactions.update({ id, state: In(['queued', 'assigned']) }, { state: 'closed', closedAt: clock.now() });
      return !!r.affected;
    },
    transfer: (id, agentId, to) => routing.transfer(id, agentId, to),
    requeue: (id, agentId, data) => routing.requeue(id, agentId, data),
    close: (id, by, dispositionId) => routing.close(id, by, dispositionId),
    cancel: (id) => routing.cancel(id),
    checkDisposition: (id) => routing.checkDisposition(id),
    setDisposition: (id, dispositionId) => records.update(id, { dispositionId }),
    setVisitorToken: async (id, tokenHash) => void (await records.interactions.update({ id }, { visitorTokenHash: tokenHash })),
    markOffline: async (id, contactId) => {
      const r = await records.interactions.update({ id, offline: false }, { offline: true, contactId });
      return !!r.affected;
    },
    journey: (i, type, agentId, data = {}, at) => records.journey(i, type, agentId, data, undefined, at),
    get: (id) => records.get(id),
    live: (id) => routing.engine.interactionLive(id),
    customerName: (contactId) => records.customerName(contactId),
    position: (id) => routing.position(id),
    queue: (id) => routing.queue(id),
    previewFor: (channel, fn, read) => routing.previewFor(channel, fn, read),
    refreshOffers: (id) => routing.refreshOffers(id),
    readOnAccept: (channel, read) => routing.readOnAccept(channel, read),
  };
}
