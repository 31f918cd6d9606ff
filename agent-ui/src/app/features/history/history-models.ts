import type { ChannelName, ChatMessagePayload, InteractionStateName } from '@switchboard/protocol';

/** One row of GET /api/history/interactions (server/src/modules/history/presenter.ts). */
export interface HistoryItem {
  id: string;
  channel: ChannelName;
  queueName: string | null;
  contactName: string | null;
  contactEmail: string | null;
  agentNames: string[];
  state: InteractionStateName;
  disposition: string | null;
  subject?: string | null;
  createdAt: string;
  closedAt: string | null;
}

export interface HistoryCall {
  id: string;
  direction: 'inbound' | 'outbound';
  video?: boolean;
  from: string | null;
  to: string | null;
  answeredAt: string | null;
  endedAt: string | null;
  cause: string | null;
}

export interface HistoryJourneyEvent {
  seq?: number;
  type: string;
  agentId: string | null;
  data: Record<string, unknown> | null;
  at: string;
}

/** GET /api/history/interactions/:id: the record, read-only. */
export interface HistoryRecord {
  interaction: HistoryItem;
  messages: ChatMessagePayload[];
  calls: HistoryCall[];
  journey: HistoryJourneyEvent[];
}

export interface HistoryQuery {
  q: string;
  channel: ChannelName | '';
  from: string;
  to: string;
  page: number;
}

export const PAGE_SIZE = 20;

/** The search as the server reads it: empty fields are left out rather than sent empty. */
export function historySearchUrl(q: HistoryQuery, pageSize = PAGE_SIZE): string {
  const p = new URLSearchParams();
  if (q.q.trim()) p.set('q', q.q.trim());
  if (q.channel) p.set('channel', q.channel);
  if (q.from) p.set('from', q.from);
  if (q.to) p.set('to', q.to);
  p.set('page', String(q.page));
  p.set('pageSize', String(pageSize));
  return `/api/history/interactions?${p.toString()}`;
}

export function transcriptUrl(id: string, attachments: boolean): string {
  return `/api/history/interactions/${encodeURIComponent(id)}/transcript.pdf?attachments=${attachments ? 1 : 0}`;
}
