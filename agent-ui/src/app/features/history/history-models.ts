import type { ChannelName } from '@switchboard/protocol';

export type { HistoryCall, HistoryItem, HistoryJourneyEvent, HistoryRecord } from '@switchboard/protocol';

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
