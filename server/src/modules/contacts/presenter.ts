import type { Contact } from './contact.entity.js';
import type { InteractionEvent } from '../journey/event.entity.js';

export function presentContact(c: Contact) {
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

export function presentJourneyEvent(e: InteractionEvent) {
  return { interactionId: e.interactionId, agentId: e.agentId, type: e.type, data: e.data, at: e.at.toISOString() };
}
