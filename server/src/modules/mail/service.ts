import type { TicketOpened } from '@switchboard/protocol';
import type { Website } from '../../kernel/config/schema.js';
import type { MailKit } from './types.js';
import { HttpError, badRequest } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import { DEFAULT_MAIL_FORM, DEFAULT_OFFLINE_FORM, formText, reference, validateForm } from '../intake/index.js';
import { Message } from '../chat/index.js';
import { MailThread } from './mail-thread.entity.js';
import type { MailBody } from './schema.js';
import { forwardByMail } from './forward.js';
import type { Outbox } from './outbox.js';
import { headerText } from './mailer.js';
import { issueUploadToken } from './files.js';

export type { TicketOpened } from '@switchboard/protocol';

/**
 * A mail ticket from the widget (the mail form, or the offline form outside hours): contact by
 * email, a mail interaction routed to the website's mail queue, its thread and first message.
 */
export async function openTicket(s: MailKit, outbox: Outbox, website: Website, body: MailBody): Promise<TicketOpened> {
  const ch = website.channels.mail;
  if (!body.offline && !ch.enabled) throw new HttpError(403, 'channel_disabled', `Mail is not enabled for website "${website.id}".`);
  if (!ch.queue) throw new HttpError(503, 'not_configured', `Website "${website.id}" has no mail queue configured (channels.mail.queue).`);
  const form = body.offline ? (website.forms.offline.length ? website.forms.offline : DEFAULT_OFFLINE_FORM) : website.forms.mail.length ? website.forms.mail : DEFAULT_MAIL_FORM;
  const answers = validateForm(form, body.fields);
  const email = answers.contact.email ?? (typeof answers.answers.email === 'string' ? answers.answers.email : undefined);
  if (!email) throw badRequest('Give the email address to answer to.', [{ field: 'fields.email', problem: 'is required' }]);
  const subject = headerText(typeof answers.answers.subject === 'string' ? answers.answers.subject : body.offline ? `Message left on ${website.name}` : `Message from ${website.name}`, 255);

  if (body.offline && website.offline.action === 'mail' && website.offline.forwardTo) {
    const id = newId();
    const ref = reference('T', id);
    await forwardByMail(s, outbox, { id, to: website.offline.forwardTo, replyTo: email, subject: `[${ref}] ${subject}`, text: formText(form, answers.answers) });
    s.log.info({ website: website.id, reference: ref }, 'offline form queued for forwarding by mail');
    return { reference: ref, ticketId: id };
  }

  const contact = await s.contacts.findOrCreate({ name: answers.contact.name ?? null, email, phone: answers.contact.phone ?? null, customFields: answers.contact.customFields });
  const { interactionId, threadId } = await fileTicket(s, website, {
    contactId: contact.id,
    email,
    name: answers.contact.name ?? null,
    subject,
    text: formText(form, answers.answers),
    variables: answers.variables,
    offline: body.offline,
    clientMessageId: 'widget-mail-form',
    journey: { type: 'mail.form', data: { offline: body.offline, answers: answers.answers } },
  });
  s.log.info({ interactionId, offline: body.offline }, 'mail ticket opened from the widget');
  const files = form.some((f) => f.type === 'attachment' && answers.answers[f.name] !== undefined);
  return { reference: reference('T', threadId), ticketId: threadId, ...(files ? { uploadToken: await issueUploadToken(s, interactionId) } : {}) };
}

export interface NewTicket {
  contactId: string | null;
  email: string;
  name: string | null;
  subject: string;
  text: string;
  variables: Record<string, string>;
  offline: boolean;
  clientMessageId: string;
  journey: { type: 'mail.form' | 'offline.form'; data: Record<string, unknown> };
}

/**
 * A ticket in the website's mail queue with its thread and first message, written before it can
 * be offered (an agent must find the text there), then queued, or held until the queue can take
 * it (see held.ts): never unmanaged.
 */
export async function fileTicket(s: MailKit, website: Website, t: NewTicket): Promise<{ interactionId: string; threadId: string }> {
  const queueId = website.channels.mail.queue;
  if (!queueId) throw new HttpError(503, 'not_configured', `Website "${website.id}" has no mail queue configured (channels.mail.queue).`);
  const i = await s.routing.createHeld({ channel: 'mail', queueId, websiteId: website.id, contactId: t.contactId, subject: t.subject, routingVariables: t.variables, offline: t.offline });
  const thread = s.db.getRepository(MailThread).create({ id: newId(), interactionId: i.id, subject: t.subject, customerAddress: t.email, rootMessageId: null, firstThreadId: null, previousInteractionId: null });
  await s.db.getRepository(MailThread).insert(thread);
  await s.db.getRepository(Message).insert({
    id: newId(),
    interactionId: i.id,
    authorKind: 'visitor',
    authorAgentId: null,
    authorName: t.name,
    body: t.text,
    deliveryState: 'stored',
    clientMessageId: t.clientMessageId,
    externalId: null,
    deliveredAt: null,
  });
  await s.routing.journey(i, t.journey.type, null, t.journey.data);
  await releaseTicket(s, i.id);
  return { interactionId: i.id, threadId: thread.id };
}

/** Queues a held ticket; should that fail now, the held-ticket check tries again within minutes. */
export async function releaseTicket(s: MailKit, interactionId: string): Promise<void> {
  try {
    await s.held.release(interactionId);
  } catch (err) {
    s.log.warn({ err, interactionId }, 'a new mail ticket could not be queued yet; it stays held and is tried again');
  }
}
