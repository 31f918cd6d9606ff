import { z } from 'zod';

const customFields = z.record(z.string().regex(/^[a-z0-9_]{1,63}$/, 'field names are lowercase letters, digits and _'), z.string().max(1000)).refine((o) => Object.keys(o).length <= 50, 'at most 50 custom fields');

export const contactBody = z
  .object({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    email: z.email().max(254).nullable().optional(),
    phone: z.string().regex(/^\+?[0-9 ()./-]{3,40}$/, 'must be a phone number').nullable().optional(),
    customFields: customFields.optional(),
  })
  .strict();

export const contactSearch = z
  .object({
    q: z.string().trim().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
  })
  .strict();

export type ContactInput = z.infer<typeof contactBody>;
