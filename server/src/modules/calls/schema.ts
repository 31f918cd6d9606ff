import { z } from 'zod';

const id = (what: string) => z.string().regex(/^[0-9a-f]{32}$/, `must be ${what} (32 hex characters)`);
const ref = z.string().max(64).optional();

export const widgetCallBody = z
  .object({
    video: z.boolean().default(false),
    /** Joining an agent's invitation: the chat it came in (with that chat's visitor token) and the invitation. */
    interactionId: id('a chat id').optional(),
    inviteId: id('an invitation id').optional(),
    name: z.string().trim().min(1).max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z.string().regex(/^\+?[0-9 ()./-]{3,40}$/, 'must be a phone number').optional(),
    /** Answers of the website's pre-call form; they ride to the PBX and the agent. */
    fields: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.string().max(500)).refine((f) => Object.keys(f).length <= 30, 'at most 30 fields').default({}),
  })
  .strict()
  .refine((b) => !b.interactionId === !b.inviteId, { message: 'interactionId and inviteId go together (joining an invitation)', path: ['inviteId'] });

/** Call invitations from a chat (protocol/src/call-invite.ts). */
export const inviteCommands = {
  invite: z.object({ type: z.literal('call.invite'), interactionId: id('a chat id'), video: z.boolean(), ref }).strict(),
  cancel: z.object({ type: z.literal('call.invite.cancel'), inviteId: id('an invitation id'), ref }).strict(),
  decline: z.object({ type: z.literal('call.invite.decline'), inviteId: id('an invitation id'), ref }).strict(),
};

export const originateBody = z
  .object({
    /** Leg A; agents may only originate for themselves. Default: the caller. */
    agentId: z.string().regex(/^[0-9a-f]{32}$/, 'must be an agent id').optional(),
    /** Leg B: the customer's number, dialled through the trunk. */
    number: z.string().regex(/^\+?[0-9*#]{2,32}$/, 'must be a phone number (digits, optional leading +)'),
    interactionId: z.string().regex(/^[0-9a-f]{32}$/, 'must be an interaction id').optional(),
  })
  .strict();

/** The device test's offer: what the browser would send in a call (non-trickle, candidates inside). */
export const probeBody = z.object({ sdp: z.string().min(20).max(30_000) }).strict();
