import { z } from 'zod';

export const widgetCallBody = z
  .object({
    video: z.boolean().default(false),
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z.string().regex(/^\+?[0-9 ()./-]{3,40}$/, 'must be a phone number').optional(),
    /** Answers of the website's pre-call form; they ride to the PBX and the agent. */
    fields: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.string().max(500)).refine((f) => Object.keys(f).length <= 30, 'at most 30 fields').default({}),
  })
  .strict();
