import { z } from 'zod';
import { channel } from '../../kernel/config/schema.js';

const id = z.string().regex(/^[0-9a-f]{32}$/, 'must be a 32-character id');
const configId = z.string().min(1).max(63);
const ref = z.string().max(64).optional();

export const createInteractionBody = z
  .object({
    channel,
    queueId: configId,
    websiteId: configId.optional(),
    contactId: id.optional(),
    subject: z.string().max(255).optional(),
    routingVariables: z.record(z.string().regex(/^[a-z][a-z0-9_]{0,62}$/), z.string().max(1000)).optional(),
    priority: z.number().int().min(1).max(10).optional(),
  })
  .strict();

export const closeBody = z.object({ disposition: configId.optional() }).strict();
export const transferBody = z.object({ toQueue: configId.optional(), toAgent: id.optional() }).strict();
export const conferenceBody = z.object({ agentId: id }).strict();
export const transferTargetsQuery = z.object({ interactionId: id }).strict();
export const transferTargetsResponse = z.object({
  queues: z.array(z.object({ id: z.string(), name: z.string(), channel, open: z.boolean(), waiting: z.number().int() })),
  agents: z.array(z.object({ id: z.string(), displayName: z.string(), state: z.enum(['available', 'not-ready', 'busy', 'wrap-up', 'rona']), canTake: z.boolean() })),
});
export const availabilityQuery = z.object({ website: configId.optional(), queue: configId.optional(), channel: channel.optional() }).strict();

// WebSocket commands: the same fields as the REST bodies, plus `type` and `ref`.
export const commands = {
  resume: z.object({ type: z.literal('resume'), afterSeq: z.number().int().min(0), ref }).strict(),
  accept: z.object({ type: z.literal('offer.accept'), offerId: id, ref }).strict(),
  reject: z.object({ type: z.literal('offer.reject'), offerId: id, ref }).strict(),
  transfer: z.object({ type: z.literal('interaction.transfer'), interactionId: id, toQueue: configId.optional(), toAgent: id.optional(), ref }).strict(),
  conference: z.object({ type: z.literal('interaction.conference'), interactionId: id, agentId: id, ref }).strict(),
  endConference: z.object({ type: z.literal('interaction.conference.end'), interactionId: id, ref }).strict(),
  close: z.object({ type: z.literal('interaction.close'), interactionId: id, disposition: configId.optional(), ref }).strict(),
  watch: z.object({ type: z.literal('queues.watch'), ref }).strict(),
};
