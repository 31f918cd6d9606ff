import type { ConfigText, JourneyType } from './journey.js';
/**
 * The desktop's history over REST (GET /api/history/interactions[/:id]): shapes shared by the
 * server's presenters and the desktop, so the two cannot drift.
 */
import type { ChannelName, InteractionStateName } from './agent-socket.js';
import type { ChatMessagePayload } from './widget-socket.js';

/** A customer's satisfaction rating of an interaction (CSAT): 1–5, with their comment if any. */
export interface CsatSummary {
  rating: number;
  comment: string | null;
  at: string;
}

/** One row of the history search. */
export interface HistoryItem {
  id: string;
  channel: ChannelName;
  queueName: ConfigText | null;
  contactName: string | null;
  contactEmail: string | null;
  agentNames: string[];
  state: InteractionStateName;
  disposition: ConfigText | null;
  subject: string | null;
  createdAt: string;
  closedAt: string | null;
  /** The customer's rating, when they gave one. */
  csat: CsatSummary | null;
}

export interface HistoryCall {
  id: string;
  kind: string;
  video: boolean;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string | null;
  setupAt: string;
  answeredAt: string | null;
  endedAt: string | null;
  cause: string | null;
}

export interface HistoryJourneyEvent {
  seq: number;
  type: JourneyType;
  interactionId: string | null;
  agentId: string | null;
  data: Record<string, unknown> | null;
  at: string;
}

/** One past interaction, read-only (notes included, authorKind 'note'). */
export interface HistoryRecord {
  interaction: HistoryItem;
  messages: ChatMessagePayload[];
  calls: HistoryCall[];
  journey: HistoryJourneyEvent[];
}
