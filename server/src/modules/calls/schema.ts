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

export const originateBody = z
  .object({
    /** Leg A; agents may only originate for themselves. Default: the caller. */
    agentId: z.string().regex(/^[0-9a-f]{32}$/, 'must be an agent id').optional(),
    /** Leg B: the customer's number, dialled through the trunk. */
    number: z.string().regex(/^\+?[0-9*#]{2,32}$/, 'must be a phone number (digits, optional leading +)'),
    interactionId: z.string().regex(/^[0-9a-f]{32}$/, 'must be an interaction id').optional(),
  })
  .strict();
