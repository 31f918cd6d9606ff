import type { CallbackRequested } from '@switchboard/protocol';
import type { Website } from '../../kernel/config/schema.js';
import { HttpError, badRequest } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import { DEFAULT_CALLBACK_FORM, reference, validateForm } from '../intake/index.js';
import { Callback } from './callback.entity.js';
import type { Interaction } from '../interactions/index.js';
import { asapDue, callbackSlots, SLOT_MINUTES } from './slots.js';
import { CallbackDueJob } from './due-job.js';
import { normalisePhone, type CallbackBody } from './schema.js';
import { mailOn, newCallbackToken, sendConfirmation } from './confirmation.js';
import type { CallbacksDeps, CallbacksKit } from './types.js';

export type { CallbackRequested } from '@switchboard/protocol';

/** How long the same request (a double click, a retried POST) answers with the first one. */
const SAME_REQUEST_SECONDS = 600;


/**
 * A visitor asks to be called back: contact found or created from the form, a callback
 * interaction held (not offered) until it is due, the Callback row, and the job that routes it at
 * the slot's start (or now; outside working hours, at the next opening).
 */
/**
 * `route`: what makes the new callback due instead of its job (keeping a place in a queue); the
 * interaction is held and the callback scheduled when it is called.
 */
export type RouteCallback = (cb: Callback, interaction: Interaction) => Promise<void>;

export async function requestCallback(s: CallbacksKit, mailer: CallbacksDeps['mailer'], website: Website, body: CallbackBody, now = new Date(), route?: RouteCallback): Promise<CallbackRequested> {
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
  const dueAt = slot?.start ?? asapDue(s.config(), website, now);
  if (!dueAt) throw new HttpError(503, 'closed', 'Callbacks are closed for the coming weeks; please try again later.');

  const email = answers.contact.email ?? null;
  const id = newId();
  const sameKey = s.redis.key('callback-request', website.id, phone, slot ? slot.start.toISOString() : 'asap');
  if (!(await s.redis.client.set(sameKey, id, 'EX', SAME_REQUEST_SECONDS, 'NX'))) {
    const first = await sameRequest(s, await s.redis.client.get(sameKey));
    if (first) return present(first, true, !!first.tokenHash);
    await s.redis.client.set(sameKey, id, 'EX', SAME_REQUEST_SECONDS);
  }

  const contact = await s.contacts.findOrCreate({ name: answers.contact.name ?? null, email: answers.contact.email ?? null, phone, customFields: answers.contact.customFields });
  const interaction = await s.routing.createHeld({ channel: 'callback', queueId: ch.queue, websiteId: website.id, contactId: contact.id, subject: `Callback to ${phone}`, routingVariables: answers.variables });
  const cb = s.db.getRepository(Callback).create({
    id,
    interactionId: interaction.id,
    phoneNumber: phone,
    message,
    asap: !slot,
    slotStart: slot?.start ?? null,
    slotEnd: slot?.end ?? null,
    dueAt,
    state: 'scheduled',
    attempts: 0,
    jobId: id,
    lastCause: null,
    language: body.language ?? null,
    tokenHash: null,
    createdAt: now,
  });
  const token = newCallbackToken();
  const mailing = !!email && mailOn(s.config(), website);
  if (mailing) cb.tokenHash = token.hash;
  await s.db.getRepository(Callback).insert(cb);
  await s.routing.journey(interaction, 'callback.requested', null, { asap: cb.asap, dueAt: cb.dueAt.toISOString(), jobId: cb.jobId, jobScope: s.jobs.scope, answers: answers.answers });
  if (route) await route(cb, interaction);
  else await new CallbackDueJob(s).scheduleFor(cb);
  s.log.info({ interactionId: interaction.id, callbackId: cb.id, asap: cb.asap, dueAt: cb.dueAt }, 'callback scheduled');
  // The request stands even when the mail cannot be stored: the widget shows the reference anyway.
  const mailed = mailing && (await sendConfirmation(s, mailer, website, cb, email, token.token, body.language).then(
    () => true,
    (err) => (s.log.error({ err, callbackId: cb.id }, 'could not queue the callback confirmation mail'), false),
  ));
  return present(cb, false, mailed);
}

/** The open callback a repeated request refers to; the first request may still be writing it. */
async function sameRequest(s: CallbacksKit, id: string | null): Promise<Callback | null> {
  if (!id) return null;
  for (let i = 0; i < 30; i++) {
    const cb = await s.db.getRepository(Callback).findOneBy({ id });
    if (cb) return cb.state === 'scheduled' || cb.state === 'queued' ? cb : null;
    await new Promise((r) => setTimeout(r, 100));
  }
  return null;
}

function present(cb: Callback, existing: boolean, mailed: boolean): CallbackRequested {
  return {
    reference: reference('CB', cb.id),
    callbackId: cb.id,
    asap: cb.asap,
    dueAt: cb.dueAt.toISOString(),
    slot: cb.slotStart && cb.slotEnd ? { start: cb.slotStart.toISOString(), end: cb.slotEnd.toISOString() } : null,
    existing,
    mailed,
  };
}
