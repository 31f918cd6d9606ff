import { z } from 'zod';

const id = z.string().regex(/^[0-9a-f]{32}$/, 'must be an id (32 hex characters)');
const clientMessageId = z.string().min(1).max(64);
// Generous here so that an over-long message gets the clear 413 from the service, not a 400.
const body = z.string().max(1_000_000);
const attachmentIds = z.array(id).max(50).optional();
const typing = z.enum(['composing', 'paused']);

export const startBody = z
  .object({
    fields: z.record(z.string(), z.unknown()).optional(),
    option: z.string().min(1).max(63).optional(),
    language: z.enum(['en', 'it', 'fr']).optional(),
  })
  .strict();

export const sendBody = z.object({ clientMessageId, body, attachmentIds }).strict().refine((m) => m.body.trim() !== '' || (m.attachmentIds?.length ?? 0) > 0, { message: 'write something or attach a file', path: ['body'] });
export const offlineBody = z.object({ fields: z.record(z.string(), z.unknown()) }).strict();
export const transcriptBody = z.object({ email: z.email().optional() }).strict();

const withRef = { interactionId: id, ref: z.string().max(64).optional() };
const nonEmpty = <T extends { body: string; attachmentIds?: string[] }>(m: T) => m.body.trim() !== '' || (m.attachmentIds?.length ?? 0) > 0;

/** /ws/widget commands (the visitor). */
export const visitorCommands = {
  subscribe: z.object({ type: z.literal('chat.subscribe'), ...withRef, token: z.string().min(1).max(200) }).strict(),
  send: z.object({ type: z.literal('chat.send'), ...withRef, clientMessageId, body, attachmentIds }).strict(),
  typing: z.object({ type: z.literal('chat.typing'), ...withRef, state: typing }).strict(),
  received: z.object({ type: z.literal('chat.received'), ...withRef, messageIds: z.array(id).min(1).max(200) }).strict(),
  end: z.object({ type: z.literal('chat.end'), ...withRef }).strict(),
};

/** /ws/agent commands (desktop). */
export const agentCommands = {
  send: z.object({ type: z.literal('chat.send'), ...withRef, clientMessageId, body, attachmentIds }).strict(),
  note: z.object({ type: z.literal('chat.note'), ...withRef, clientMessageId, body }).strict(),
  typing: z.object({ type: z.literal('chat.typing'), ...withRef, state: typing }).strict(),
  received: z.object({ type: z.literal('chat.received'), ...withRef, messageIds: z.array(id).min(1).max(200) }).strict(),
  monitor: z.object({ type: z.literal('chat.monitor'), ...withRef }).strict(),
  unmonitor: z.object({ type: z.literal('chat.unmonitor'), ...withRef }).strict(),
};

export { nonEmpty };
export const xmppAccountBody = z.object({ agentId: id.optional() }).strict();
