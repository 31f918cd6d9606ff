import type { ChannelName, ConfigText, OfferPayload, TransferTargets as TransferTargetsPayload } from '@switchboard/protocol';
import type { Interaction } from '../interactions/index.js';
import type { OfferMade } from './engine.js';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;
import type { TransferTargets } from './transfer-targets.js';

/** The transfer picker's lists; nothing else about other agents leaves the server here. */
export function presentTransferTargets(t: TransferTargets): TransferTargetsPayload {
  return {
    queues: t.queues.map((q) => ({ id: q.queueId, name: q.name, channel: q.channel, open: q.open, waiting: q.waiting })),
    agents: t.agents.map((a) => ({ id: a.agentId, displayName: a.displayName, state: a.state, canTake: a.canTake })),
  };
}

export function presentOffer(o: OfferMade, i: Interaction, queueName: ConfigText | null, customerName: string | null, preview: string[] = []): OfferPayload {
  return {
    offerId: o.offerId,
    kind: o.kind,
    interactionId: o.interactionId,
    channel: i.channel as ChannelName,
    queueId: i.queueId,
    queueName,
    customerName,
    subject: i.subject,
    waitingSince: iso(i.queuedAt),
    expiresAt: new Date(o.expiresAt).toISOString(),
    preview,
    fromAgentId: o.from || null,
  };
}
