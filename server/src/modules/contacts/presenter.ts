import type { ChannelName, ContactJourneyEvent, ContactPayload, OfferJourneyInteraction } from '@switchboard/protocol';
import type { Contact } from './contact.entity.js';
import type { InteractionEvent } from '../journey/index.js';
import type { JourneyLine } from './service.js';

export function presentContact(c: Contact): ContactPayload {
  return {
    id: c.id,
    name: c.name,
    email: c.email,
    phone: c.phone,
    customFields: c.customFields,
    createdAt: c.createdAt.toISOString(),
    updatedAt: c.updatedAt.toISOString(),
  };
}

export function presentJourneyEvent(e: InteractionEvent): ContactJourneyEvent {
  return { interactionId: e.interactionId, agentId: e.agentId, type: e.type, data: e.data, at: e.at.toISOString() };
}

export function presentJourneyLine(l: JourneyLine): OfferJourneyInteraction {
  return { interactionId: l.interactionId, channel: l.channel as ChannelName | null, at: l.at.toISOString(), outcome: l.outcome };
}
