import { In, IsNull, type DataSource, type EntityManager } from 'typeorm';
import { Interaction, Offer, type InteractionState, type OfferState } from '../interactions/interaction.entity.js';
import { InteractionEvent } from '../journey/event.entity.js';
import { Contact } from '../contacts/contact.entity.js';
import { Call } from '../calls/call.entity.js';

/**
 * MySQL is the system of record of what happened (interactions, offers, the journey); Redis holds
 * what is happening. Every routing step is written here after its script has decided it.
 */
export class RoutingRecords {
  constructor(private readonly db: DataSource) {}

  get interactions() {
    return this.db.getRepository(Interaction);
  }

  async journey(i: Pick<Interaction, 'id' | 'contactId'>, type: string, agentId: string | null, data: Record<string, unknown> = {}, m: EntityManager = this.db.manager): Promise<void> {
    await m.getRepository(InteractionEvent).insert({ contactId: i.contactId, interactionId: i.id, agentId, type, data: data as never, at: new Date() });
  }

  async update(id: string, patch: Partial<Pick<Interaction, 'state' | 'queueId' | 'assignedAgentId' | 'assignedAt' | 'closedAt' | 'dispositionId' | 'unmanaged' | 'queuedAt' | 'timedOut'>>): Promise<void> {
    await this.interactions.update({ id }, patch);
  }

  async offerCreated(o: { offerId: string; interactionId: string; agentId: string; kind: Offer['kind']; expiresAt: number }): Promise<void> {
    await this.db.getRepository(Offer).insert({
      id: o.offerId,
      interactionId: o.interactionId,
      agentId: o.agentId,
      kind: o.kind,
      state: 'pending',
      offeredAt: new Date(),
      expiresAt: new Date(o.expiresAt),
      respondedAt: null,
    });
  }

  async offerEnded(offerId: string, state: OfferState): Promise<void> {
    await this.db.getRepository(Offer).update({ id: offerId }, { state, respondedAt: new Date() });
  }

  async get(id: string): Promise<Interaction | null> {
    return this.interactions.findOneBy({ id });
  }

  async many(ids: string[]): Promise<Interaction[]> {
    return ids.length ? this.interactions.findBy({ id: In(ids) }) : [];
  }

  /** Those of these interactions that have a call still going on. */
  async withLiveCall(ids: string[]): Promise<string[]> {
    if (!ids.length) return [];
    const rows = await this.db.getRepository(Call).find({ where: { interactionId: In(ids), endedAt: IsNull() }, select: { id: true, interactionId: true } });
    return [...new Set(rows.map((r) => r.interactionId!))];
  }

  async customerName(contactId: string | null): Promise<string | null> {
    if (!contactId) return null;
    return (await this.db.getRepository(Contact).findOne({ where: { id: contactId }, select: { id: true, name: true } }))?.name ?? null;
  }

  async history(interactionId: string): Promise<InteractionEvent[]> {
    return this.db.getRepository(InteractionEvent).find({ where: { interactionId }, order: { seq: 'ASC' } });
  }

  static stateAfter(kind: string): InteractionState {
    return kind === 'conference' ? 'conference' : 'assigned';
  }
}
