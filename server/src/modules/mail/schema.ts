import { z } from 'zod';
import { REPLY_FORMATS } from './format.js';

export const mailBody = z
  .object({
    /** The website's mail form (or, with offline, its offline form) as field name → value. */
    fields: z.record(z.string(), z.unknown()),
    /** Left outside working hours or when nobody could take a chat: the offline form. */
    offline: z.boolean().default(false),
    language: z.enum(['en', 'it', 'fr']).optional(),
  })
  .strict();
export type MailBody = z.infer<typeof mailBody>;

export const replyBody = z
  .object({
    /** The desktop's own id for this reply: sending it again stores and mails it once. */
    clientMessageId: z.string().min(1).max(64),
    body: z.string().trim().min(1).max(100_000),
    /** Files uploaded with POST /api/mail/:id/files and not sent yet. */
    attachmentIds: z.array(z.string().regex(/^[0-9a-f]{32}$/)).max(20).default([]),
    /** formatted: the body's marks (**bold**, *italic*, lists, [links](https://…)) also make an HTML part. */
    format: z.enum(REPLY_FORMATS).default('plain'),
  })
  .strict();
export type ReplyBody = z.infer<typeof replyBody>;
