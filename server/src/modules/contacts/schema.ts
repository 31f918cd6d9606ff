import { z } from 'zod';
import { listOf, readCursor } from './cursor.js';

const customFields = z.record(z.string().regex(/^[a-z0-9_]{1,63}$/, 'field names are lowercase letters, digits and _'), z.string().max(1000)).refine((o) => Object.keys(o).length <= 50, 'at most 50 custom fields');

export const contactBody = z
  .object({
    name: z.string().trim().min(1).max(200).nullable().optional(),
    email: z.email().max(254).nullable().optional(),
    phone: z.string().regex(/^\+?[0-9 ()./-]{3,40}$/, 'must be a phone number').nullable().optional(),
    customFields: customFields.optional(),
  })
  .strict();

/** A `nextCursor` given back; what it is refused for is said, so a client knows to start over without one. */
const cursor = z
  .string()
  .max(200)
  .transform((raw, ctx) => readCursor(raw) ?? (ctx.addIssue({ code: 'custom', message: 'is not a cursor this server gave: start again without one' }), z.NEVER));

/** The list a search's cursors belong to: the same words give the same list. */
export const searchList = (q: string | undefined) => listOf('contacts', q ?? '');
/** The list a contact's journey cursors belong to. */
export const journeyList = (contactId: string) => listOf('journey', contactId);
export const otherList = 'belongs to another list: start again without a cursor';

export const contactSearch = z
  .object({
    q: z.string().trim().max(200).optional(),
    limit: z.coerce.number().int().min(1).max(100).default(25),
    cursor: cursor.optional(),
  })
  .strict()
  .refine((s) => s.cursor?.list === undefined || s.cursor.list === searchList(s.q), { message: otherList, path: ['cursor'], when: (p) => !p.issues.length });

export const journeyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(200).default(200),
    cursor: cursor.optional(),
  })
  .strict();

/** The offer named in the path of an offer's journey: an id, or the request is refused. */
export const offerPath = z.object({ id: z.string().regex(/^[0-9a-f]{32}$/, 'is not an offer id') });

/** The list an offer's journey cursors belong to. */
export const offerJourneyList = (offerId: string) => listOf('offer-journey', offerId);

/** `limit` counts interactions (lines of the card), not journey entries. */
export const offerJourneyQuery = z
  .object({
    limit: z.coerce.number().int().min(1).max(50).default(20),
    cursor: cursor.optional(),
  })
  .strict();

export type ContactInput = z.infer<typeof contactBody>;
