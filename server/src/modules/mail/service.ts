import type { FormField, Website } from '../../config/schema.js';
import type { Services } from '../../services.js';
import { HttpError, badRequest } from '../../http/errors.js';
import { newId } from '../../db/ids.js';
import { DEFAULT_OFFLINE_FORM, formText, validateForm } from '../chat/forms.js';
import { Message } from '../chat/message.entity.js';
import { reference } from '../callbacks/service.js';
import { MailThread } from './mail-thread.entity.js';
import type { MailBody } from './schema.js';
import { forwardByMail } from './forward.js';
import { issueUploadToken } from './files.js';

export const DEFAULT_MAIL_FORM: FormField[] = [
  { type: 'email', name: 'email', label: 'Email', required: true, mapsTo: { contact: 'email' } },
  { type: 'text', name: 'subject', label: 'Subject', required: true, maxLength: 200 },
  { type: 'textarea', name: 'body', label: 'Message', required: true, maxLength: 20000 },
];

export interface TicketOpened {
  /** The ticket reference the visitor is shown and can quote in replies. */
  reference: string;
  ticketId: string;
  /** When the form named files: the bearer token for POST …/mail/<ticketId>/files. */
  uploadToken?: string;
}

/**
 * A mail ticket from the widget (the mail form, or the offline form outside hours): contact by
 * email, a mail interaction routed to the website's mail queue, its thread and first message.
 */
export async function openTicket(s: Services, website: Website, body: MailBody): Promise<TicketOpened> {
  const ch = website.channels.mail;
  if (!body.offline && !ch.enabled) throw new HttpError(403, 'channel_disabled', `Mail is not enabled for website "${website.id}".`);
  if (!ch.queue) throw new HttpError(503, 'not_configured', `Website "${website.id}" has no mail queue configured (channels.mail.queue).`);
  const form = body.offline ? (website.forms.offline.length ? website.forms.offline : DEFAULT_OFFLINE_FORM) : website.forms.mail.length ? website.forms.mail : DEFAULT_MAIL_FORM;
  const answers = validateForm(form, body.fields);
  const email = answers.contact.email ?? (typeof answers.answers.email === 'string' ? answers.answers.email : undefined);
  if (!email) throw badRequest('Give the email address to answer to.', [{ field: 'fields.email', problem: 'is required' }]);
  const subject = (typeof answers.answers.subject === 'string' ? answers.answers.subject : body.offline ? `Message left on ${website.name}` : `Message from ${website.name}`).slice(0, 255);

  if (body.offline && website.offline.action === 'mail' && website.offline.forwardTo) {
    const id = newId();
    const ref = reference('T', id);
    await forwardByMail(s.config(), s.log, { to: website.offline.forwardTo, replyTo: email, subject: `[${ref}] ${subject}`, text: formText(form, answers.answers) });
    s.log.info({ website: website.id, reference: ref }, 'offline form forwarded by mail');
    return { reference: ref, ticketId: id };
  }

  const contact = await s.contacts.findOrCreate({ name: answers.contact.name ?? null, email, phone: answers.contact.phone ?? null, customFields: answers.contact.customFields });
  const created = await s.routing.create({ channel: 'mail', queueId: ch.queue, websiteId: website.id, contactId: contact.id, subject, routingVariables: answers.variables, offline: body.offline });
  const i = created.interaction;
  const thread = s.db.getRepository(MailThread).create({ id: newId(), interactionId: i.id, subject, customerAddress: email, rootMessageId: null });
  await s.db.getRepository(MailThread).insert(thread);
  await s.db.getRepository(Message).insert({
    id: newId(),
    interactionId: i.id,
    authorKind: 'visitor',
    authorAgentId: null,
    authorName: answers.contact.name ?? null,
    body: formText(form, answers.answers),
    deliveryState: 'stored',
    clientMessageId: 'widget-mail-form',
    externalId: null,
    deliveredAt: null,
  });
  await s.routing.records.journey(i, 'mail.form', null, { offline: body.offline, answers: answers.answers });
  s.log.info({ interactionId: i.id, offline: body.offline, outcome: created.outcome }, 'mail ticket opened from the widget');
  const files = form.some((f) => f.type === 'attachment' && answers.answers[f.name] !== undefined);
  return { reference: reference('T', thread.id), ticketId: thread.id, ...(files ? { uploadToken: await issueUploadToken(s, i.id) } : {}) };
}
