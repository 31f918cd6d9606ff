import { In, IsNull } from 'typeorm';
import type { MailDelivery, MailThreadPayload } from '@switchboard/protocol';
import type { MailKit } from './types.js';
import type { Principal } from '../../kernel/http/principal.js';
import { HttpError, badRequest, forbidden, notFound } from '../../kernel/http/errors.js';
import { newId } from '../../kernel/db/ids.js';
import { Attachment, Message } from '../chat/index.js';
import { presentMessage } from '../chat/index.js';
import { Interaction } from '../interactions/index.js';
import { reference } from '../intake/index.js';
import { MailThread } from './mail-thread.entity.js';
import type { OutgoingMail } from './outgoing-mail.entity.js';
import { IncomingMail } from './incoming-mail.entity.js';
import { newMessageId, referencesOf, replySubject, supportAddress } from './mailer.js';
import type { Outbox } from './outbox.js';
import type { ReplyBody } from './schema.js';
import { replyHtml, replyText } from './format.js';

const LIVE = ['assigned', 'conference'];

/** A mail interaction as the desktop may see it: its agents act; supervisors (and its last agent) read. */
export async function mailAccess(s: MailKit, p: Principal, interactionId: string, need: 'read' | 'write'): Promise<{ i: Interaction; thread: MailThread }> {
  const i = /^[0-9a-f]{32}$/.test(interactionId) ? await s.db.getRepository(Interaction).findOneBy({ id: interactionId }) : null;
  const thread = i?.channel === 'mail' ? await s.db.getRepository(MailThread).findOneBy({ interactionId }) : null;
  if (!i || !thread) throw notFound('Mail interaction');
  const live = await s.routing.live(i.id);
  const handling = (!!live.owner && live.owner === p.agentId) || (!!live.conf && live.conf === p.agentId);
  if (need === 'write') {
    if (!handling) throw new HttpError(403, 'not_yours', 'Only the agent handling this mail can answer it.');
    if (!LIVE.includes(i.state)) throw new HttpError(409, 'interaction_closed', 'This mail interaction is not open any more.');
  } else if (!handling && p.role === 'agent' && i.assignedAgentId !== p.agentId) {
    throw forbidden('Only the agent of this mail and supervisors can read it.');
  }
  return { i, thread };
}

/** The sanitised HTML of customers' mails, by message. */
async function htmlOf(s: MailKit, messageIds: string[]): Promise<Map<string, string>> {
  if (!messageIds.length) return new Map();
  const rows = await s.db.getRepository(IncomingMail).find({ where: { messageId: In(messageIds) }, select: { messageId: true, html: true } });
  return new Map(rows.filter((r) => r.html).map((r) => [r.messageId!, r.html!]));
}

export type { MailDelivery } from '@switchboard/protocol';

export const presentDelivery = (o: OutgoingMail): MailDelivery => ({ state: o.state, attempts: o.attempts, lastError: o.lastError, sentAt: o.sentAt?.toISOString() ?? null });

/** The ticket reference customers see: the first thread's, also after the ticket was reopened. */
export const ticketReference = (thread: MailThread) => reference('T', thread.firstThreadId ?? thread.id);

/** The interactions a reopened ticket went through. */
async function conversationOf(s: MailKit, thread: MailThread): Promise<string[]> {
  const first = thread.firstThreadId ?? thread.id;
  const threads = await s.db.getRepository(MailThread).find({ where: [{ id: first }, { firstThreadId: first }] });
  return [...new Set([thread.interactionId, ...threads.map((t) => t.interactionId)])];
}

/** Every message of the conversation, across the interactions a reopened ticket went through, oldest first. */
async function conversation(s: MailKit, thread: MailThread): Promise<Message[]> {
  return s.db.getRepository(Message).find({ where: { interactionId: In(await conversationOf(s, thread)) }, order: { createdAt: 'ASC', seq: 'ASC' } });
}

/** The whole thread, oldest first, each agent reply with where its mail is (queued, sent, failed and why). */
export async function threadView(s: MailKit, outbox: Outbox, i: Interaction, thread: MailThread): Promise<MailThreadPayload> {
  const ids = await conversationOf(s, thread);
  // The mails before the messages: a reply's message is marked sent before its mail (send-job.ts),
  // so a mail read as sent always comes with its message read as sent.
  const out = await outbox.ofInteractions(ids);
  const all = await s.db.getRepository(Message).find({ where: { interactionId: In(ids) }, order: { createdAt: 'ASC', seq: 'ASC' } });
  const rows = all.filter((m) => m.authorKind !== 'note' || m.interactionId === i.id);
  const files = rows.length ? await s.db.getRepository(Attachment).find({ where: { messageId: In(rows.map((m) => m.id)) }, order: { createdAt: 'ASC', seq: 'ASC' } }) : [];
  const html = await htmlOf(s, rows.filter((m) => m.authorKind === 'visitor').map((m) => m.id));
  return {
    interactionId: i.id,
    reference: ticketReference(thread),
    subject: thread.subject,
    customerAddress: thread.customerAddress,
    state: i.state,
    messages: rows.map((m) => {
      const o = m.authorKind === 'agent' ? out.get(m.id) : undefined;
      const h = html.get(m.id);
      return { ...presentMessage(m, files.filter((f) => f.messageId === m.id)), ...(o ? { delivery: presentDelivery(o) } : {}), ...(h ? { html: h } : {}) };
    }),
  };
}

/**
 * The agent's answer: stored as a message with its files, then queued as a mail to the customer
 * with the thread's headers (In-Reply-To the customer's last mail, References all of them, the
 * ticket reference in the subject, Reply-To the support mailbox). Retried sends of the same
 * clientMessageId return the stored reply.
 */
export async function queueReply(s: MailKit, outbox: Outbox, p: Principal, interactionId: string, body: ReplyBody) {
  const { i, thread } = await mailAccess(s, p, interactionId, 'write');
  const messages = s.db.getRepository(Message);
  const again = await messages.findOneBy({ interactionId: i.id, clientMessageId: body.clientMessageId });
  if (again) return (await threadView(s, outbox, i, thread)).messages.find((m) => m.id === again.id)!;

  const website = s.config().websites.find((w) => w.id === i.websiteId);
  const maxFiles = website?.uploads.maxFiles ?? 5;
  if (body.attachmentIds.length > maxFiles) throw badRequest(`At most ${maxFiles} files per reply.`, [{ field: 'attachmentIds', problem: `more than ${maxFiles}` }]);
  // In the order they were uploaded, as the thread lists them: the mail carries them so.
  const files = body.attachmentIds.length
    ? await s.db.getRepository(Attachment).find({ where: { id: In(body.attachmentIds), interactionId: i.id, messageId: IsNull(), uploadedByKind: 'agent' }, order: { createdAt: 'ASC', seq: 'ASC' } })
    : [];
  if (files.length !== new Set(body.attachmentIds).size) throw badRequest('Attach files uploaded to this mail and not sent yet.', [{ field: 'attachmentIds', problem: 'unknown or already sent' }]);

  const earlier = await conversation(s, thread);
  const lastCustomer = [...earlier].reverse().find((m) => m.authorKind === 'visitor' && m.externalId);
  const main = s.config().main;
  const headerMessageId = newMessageId(main);
  const agent = await s.agents.get(p.agentId).catch(() => null);
  const m = messages.create({ id: newId(), interactionId: i.id, authorKind: 'agent', authorAgentId: p.agentId, authorName: agent?.displayName ?? null, body: body.body, deliveryState: 'stored', clientMessageId: body.clientMessageId, externalId: headerMessageId, deliveredAt: null });
  await messages.insert(m);
  if (files.length) await s.db.getRepository(Attachment).update({ id: In(files.map((f) => f.id)) }, { messageId: m.id });
  if (!thread.rootMessageId) await s.db.getRepository(MailThread).update({ id: thread.id }, { rootMessageId: headerMessageId });

  const ref = ticketReference(thread);
  await outbox.queue({
    kind: 'reply',
    dedupeKey: `reply:${m.id}`,
    interactionId: i.id,
    messageId: m.id,
    to: thread.customerAddress,
    replyTo: supportAddress(main),
    subject: replySubject(thread.subject, ref),
    text: body.format === 'formatted' ? replyText(body.body) : body.body,
    html: body.format === 'formatted' ? replyHtml(body.body) : null,
    headerMessageId,
    inReplyTo: lastCustomer?.externalId ?? thread.rootMessageId ?? null,
    references: referencesOf([thread.rootMessageId, ...earlier.map((x) => x.externalId)]),
    attachmentIds: files.map((f) => f.id),
  });
  await s.routing.journey(i, 'mail.queued', p.agentId, { messageId: m.id, to: thread.customerAddress, files: files.length, format: body.format });
  return (await threadView(s, outbox, i, thread)).messages.find((x) => x.id === m.id)!;
}

/** A reply whose mail failed (a refused address, a mail server away too long), sent again. */
export async function retryReply(s: MailKit, outbox: Outbox, p: Principal, interactionId: string, messageId: string) {
  const { i, thread } = await mailAccess(s, p, interactionId, 'write');
  const m = /^[0-9a-f]{32}$/.test(messageId) ? await s.db.getRepository(Message).findOneBy({ id: messageId, interactionId: i.id, authorKind: 'agent' }) : null;
  const mail = m ? (await outbox.ofMessages([m.id])).get(m.id) : undefined;
  if (!m || !mail) throw notFound('Reply');
  if (await outbox.retry(mail.id)) {
    await s.db.getRepository(Message).update({ id: m.id, deliveryState: 'failed' }, { deliveryState: 'stored' });
    await s.routing.journey(i, 'mail.queued', p.agentId, { messageId: m.id, to: thread.customerAddress, retry: true });
  } else if (mail.state === 'sent') throw new HttpError(409, 'not_failed', 'This reply was sent; only a failed reply can be sent again.');
  return (await threadView(s, outbox, i, thread)).messages.find((x) => x.id === m.id)!;
}
