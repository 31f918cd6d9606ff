import type { FormField, Website } from '../../config/schema.js';
import type { Services } from '../../services.js';
import { HttpError, badRequest } from '../../http/errors.js';
import { newId } from '../../db/ids.js';
import { validateForm } from '../chat/forms.js';
import { Callback } from './callback.entity.js';
import { callbackSlots, SLOT_MINUTES } from './slots.js';
import { normalisePhone, type CallbackBody } from './schema.js';

export const DEFAULT_CALLBACK_FORM: FormField[] = [
  { type: 'text', name: 'phone', label: 'Phone number', required: true, maxLength: 32, mapsTo: { contact: 'phone' } },
  { type: 'textarea', name: 'message', label: 'Message', required: false, maxLength: 500 },
];

export interface CallbackRequested {
  /** What the visitor is shown and can quote: short, from the callback's id. */
  reference: string;
  callbackId: string;
  asap: boolean;
  dueAt: string;
  slot: { start: string; end: string } | null;
}

export const reference = (prefix: string, id: string) => `${prefix}-${id.slice(0, 8).toUpperCase()}`;

/**
 * A visitor asks to be called back: contact found or created from the form, a callback
 * interaction routed to the website's callback queue, and the Callback row the dialler will pick
 * up at dueAt (state "scheduled").
 */
export async function requestCallback(s: Services, website: Website, body: CallbackBody, now = new Date()): Promise<CallbackRequested> {
  const ch = website.channels.callback;
  if (!ch.enabled) throw new HttpError(403, 'channel_disabled', `Callbacks are not enabled for website "${website.id}".`);
  if (!ch.queue) throw new HttpError(503, 'not_configured', `Website "${website.id}" has no callback queue configured (channels.callback.queue).`);
  const form = website.forms.callback.length ? website.forms.callback : DEFAULT_CALLBACK_FORM;
  const answers = validateForm(form, body.fields);
  const rawPhone = answers.contact.phone ?? (typeof answers.answers.phone === 'string' ? answers.answers.phone : undefined);
  const phoneField = form.find((f) => f.type !== 'label' && (f.name === 'phone' || (f.mapsTo && 'contact' in f.mapsTo && f.mapsTo.contact === 'phone')));
  const field = `fields.${phoneField && 'name' in phoneField ? phoneField.name : 'phone'}`;
  if (!rawPhone) throw badRequest('Give the phone number to call back.', [{ field, problem: 'is required' }]);
  const phone = normalisePhone(rawPhone);
  if (!phone) throw badRequest('The phone number is not valid: use digits, with the country code (e.g. +39 06 1234 5678).', [{ field, problem: 'must be a phone number (6-15 digits)' }]);

  let slot: { start: Date; end: Date } | null = null;
  if (body.slot !== 'asap') {
    const start = new Date(body.slot);
    const match = callbackSlots(s.config(), website, now).find((x) => new Date(x.start).getTime() === start.getTime());
    if (!match) throw badRequest('That time is not available any more; pick another slot or "as soon as possible".', [{ field: 'slot', problem: 'must be one of the offered slots' }]);
    slot = { start, end: new Date(start.getTime() + SLOT_MINUTES * 60_000) };
  }
  const message = typeof answers.answers.message === 'string' ? answers.answers.message : null;

  const contact = await s.contacts.findOrCreate({ name: answers.contact.name ?? null, email: answers.contact.email ?? null, phone, customFields: answers.contact.customFields });
  const created = await s.routing.create({ channel: 'callback', queueId: ch.queue, websiteId: website.id, contactId: contact.id, subject: `Callback to ${phone}`, routingVariables: answers.variables });
  const cb = s.db.getRepository(Callback).create({
    id: newId(),
    interactionId: created.interaction.id,
    phoneNumber: phone,
    message,
    asap: !slot,
    slotStart: slot?.start ?? null,
    slotEnd: slot?.end ?? null,
    dueAt: slot?.start ?? now,
    state: 'scheduled',
    attempts: 0,
    jobId: null,
    lastCause: null,
  });
  await s.db.getRepository(Callback).insert(cb);
  await s.routing.records.journey(created.interaction, 'callback.requested', null, { asap: cb.asap, dueAt: cb.dueAt.toISOString(), answers: answers.answers });
  s.log.info({ interactionId: created.interaction.id, callbackId: cb.id, asap: cb.asap, outcome: created.outcome }, 'callback requested');
  return {
    reference: reference('CB', cb.id),
    callbackId: cb.id,
    asap: cb.asap,
    dueAt: cb.dueAt.toISOString(),
    slot: slot ? { start: slot.start.toISOString(), end: slot.end.toISOString() } : null,
  };
}
