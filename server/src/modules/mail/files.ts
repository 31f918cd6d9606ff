import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context } from 'koa';
import type { Website } from '../../kernel/config/schema.js';
import type { MailKit } from './types.js';
import { HttpError, badRequest, forbidden } from '../../kernel/http/errors.js';
import { Interaction } from '../interactions/index.js';
import { Attachment, Message } from '../chat/index.js';
import type { MailChat } from './types.js';
import { DEFAULT_MAIL_FORM, bearer, hashToken } from '../intake/index.js';
import { MailThread } from './mail-thread.entity.js';

/** A token that lets the visitor who opened the ticket attach its files (shown once, hash kept). */
export async function issueUploadToken(s: MailKit, interactionId: string): Promise<string> {
  const token = randomBytes(24).toString('base64url');
  await s.routing.setVisitorToken(interactionId, hashToken(token));
  return token;
}

/**
 * The file of an attachment field of the mail form, uploaded right after the ticket was opened:
 * checked against that field's types and size (and the content against its extension, by the
 * chat's file store), one file per attachment field, attached to the ticket's first message.
 */
export async function uploadTicketFile(s: MailKit, chat: MailChat, ctx: Context, website: Website, ticketId: string): Promise<Attachment> {
  const thread = /^[0-9a-f]{32}$/.test(ticketId) ? await s.db.getRepository(MailThread).findOneBy({ id: ticketId }) : null;
  const i = thread ? await s.db.getRepository(Interaction).findOneBy({ id: thread.interactionId }) : null;
  const token = bearer(ctx);
  const expected = Buffer.from(i?.visitorTokenHash ?? '0'.repeat(64), 'hex');
  const ok = !!token && !!i && i.websiteId === website.id && i.channel === 'mail' && timingSafeEqual(expected, Buffer.from(hashToken(token), 'hex'));
  if (!ok || !i) throw forbidden('This upload token is not valid for this ticket.');
  const form = website.forms.mail.length ? website.forms.mail : DEFAULT_MAIL_FORM;
  const fields = form.filter((f) => f.type === 'attachment');
  const field = fields.find((f) => f.name === ctx.query.field);
  if (!field || field.type !== 'attachment') throw badRequest('Name the attachment field of the form: ?field=<name>.', [{ field: 'field', problem: `must be one of ${fields.map((f) => f.name).join(', ') || '(none)'}` }]);
  if ((await s.db.getRepository(Attachment).countBy({ interactionId: i.id })) >= fields.length) throw new HttpError(409, 'already_attached', 'The files of this ticket were sent already.');
  const limits: Website = { ...website, uploads: { maxFileBytes: field.maxBytes, maxFiles: fields.length, acceptedTypes: field.acceptedTypes } };
  const a = await chat.upload(ctx, limits, i.id, 'visitor');
  const first = await s.db.getRepository(Message).findOne({ where: { interactionId: i.id }, order: { createdAt: 'ASC', seq: 'ASC' } });
  if (first) await s.db.getRepository(Attachment).update({ id: a.id }, { messageId: first.id });
  return a;
}
