import type { ContactJourneyEvent, ContactPayload } from '@switchboard/protocol';
import type { Contact } from './contact.entity.js';
import type { InteractionEvent } from '../journey/index.js';

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
