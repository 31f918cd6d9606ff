import type { ChannelName, ConfigText, CsatSummary, HistoryCall, HistoryItem, InteractionStateName } from '@switchboard/protocol';
import type { Interaction } from '../interactions/index.js';
import type { Call } from '../calls/index.js';

const iso = (d: Date | null | undefined) => d?.toISOString() ?? null;

/** A past interaction as the history list shows it: never the visitor token hash. */
export function presentHistoryItem(i: Interaction, names: { queue: ConfigText | null; disposition: ConfigText | null; agents: string[] }, csat: CsatSummary | null = null): HistoryItem {
  return {
    id: i.id,
    channel: i.channel as ChannelName,
    queueName: names.queue,
    contactName: i.contact?.name ?? null,
    contactEmail: i.contact?.email ?? null,
    agentNames: names.agents,
    state: i.state as InteractionStateName,
    disposition: names.disposition,
    subject: i.subject,
    createdAt: i.createdAt.toISOString(),
    closedAt: iso(i.closedAt),
    csat,
  };
}

export function presentHistoryCall(c: Call, from: string | null, to: string | null): HistoryCall {
  return {
    id: c.id,
    kind: c.kind,
    video: c.video,
    direction: c.kind === 'inbound' || c.kind === 'widget' ? 'inbound' : 'outbound',
    from,
    to,
    setupAt: c.setupAt.toISOString(),
    answeredAt: iso(c.answeredAt),
    endedAt: iso(c.endedAt),
    cause: c.endCause,
  };
}
