import { z } from 'zod';

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
