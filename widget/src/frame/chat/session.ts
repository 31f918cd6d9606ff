// Who the running chat is — its id and the token that proves it is this visitor's — and the
// chat's REST calls. The id and token outlive the page: kept in this tab's sessionStorage.
import type { CallInvitePayload, ChatMessagePayload, ChatMessagePosted, ChatQueueInfo, ChatState, PendingCallInvite, StartedChat, TranscriptRequested } from '@switchboard/protocol';
import { apiBase, call, websiteId } from '../api';

export type Queue = ChatQueueInfo;
/** POST …/chats answers this. */
export type Started = StartedChat;

export interface Saved {
  interactionId: string;
  token: string;
}

const STORE = `switchboard.chat.${websiteId}`;
const ACTIVE = ['new', 'queued', 'offered', 'assigned', 'conference'];

function store(s: Saved | null): void {
  try {
    if (s) sessionStorage.setItem(STORE, JSON.stringify({ interactionId: s.interactionId, token: s.token }));
    else sessionStorage.removeItem(STORE);
  } catch {
    // Storage can be blocked (privacy settings): the chat then lasts as long as the page.
  }
}

/** The chat this tab had running on the previous page of the website, if any. */
export function rememberedChat(): Saved | null {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as Saved) : null;
  } catch {
    return null;
  }
}

export class ChatSession {
  private constructor(
    readonly interactionId: string,
    readonly token: string,
    readonly outcome: Started['outcome'],
  ) {}

  static async start(body: { fields: Record<string, unknown>; option?: string; language: string }): Promise<{ session: ChatSession; started: Started }> {
    const started = await call<Started>('POST', '/chats', body);
    return { session: new ChatSession(started.interactionId, started.token, started.outcome), started };
  }

  /** The saved chat if it still runs, with what it said so far; a chat that is over is forgotten. */
  static async resume(saved: Saved): Promise<{ session: ChatSession; queue: Queue; messages: ChatMessagePayload[] } | null> {
    try {
      const r = await call<ChatState>('GET', `/chats/${saved.interactionId}`, undefined, saved.token);
      if (ACTIVE.includes(r.state)) return { session: new ChatSession(saved.interactionId, saved.token, 'queued'), queue: r.queue, messages: r.messages };
    } catch {
      // Gone, or not ours any more: start afresh.
    }
    store(null);
    return null;
  }

  /** Kept for the next page of the website, until the chat ends or the tab closes. */
  remember(): void {
    store(this);
  }

  forget(): void {
    store(null);
  }

  /** A line over HTTP, for when the socket is away (idempotent by clientMessageId). */
  async send(clientMessageId: string, body: string, attachmentIds: string[]): Promise<ChatMessagePayload> {
    const r = await call<ChatMessagePosted>('POST', `/chats/${this.interactionId}/messages`, { clientMessageId, body, ...(attachmentIds.length ? { attachmentIds } : {}) }, this.token);
    return r.message;
  }

  end(): Promise<unknown> {
    return call('POST', `/chats/${this.interactionId}/end`, undefined, this.token);
  }

  /** The visitor's rating of the chat that ended (1–5, a comment if they like). */
  rate(rating: number, comment: string): Promise<unknown> {
    return call('POST', `/chats/${this.interactionId}/rating`, { rating, ...(comment.trim() ? { comment: comment.trim() } : {}) }, this.token);
  }

  transcript(): Promise<{ email: string }> {
    return call<TranscriptRequested>('POST', `/chats/${this.interactionId}/transcript`, {}, this.token);
  }

  /** Nobody could take the chat: the visitor's message, left with the chat's answers. */
  leaveMessage(fields: Record<string, unknown>): Promise<unknown> {
    return call('POST', `/chats/${this.interactionId}/offline`, { fields }, this.token);
  }

  /** An agent's call invitation still waiting for an answer (sent while this page was away). */
  async pendingInvite(): Promise<CallInvitePayload | null> {
    return (await call<PendingCallInvite>('GET', `/calls/invites/${this.interactionId}`, undefined, this.token)).invite;
  }

  fileUrl(fileId: string): string {
    return `${apiBase}/chats/${this.interactionId}/files/${fileId}?token=${encodeURIComponent(this.token)}`;
  }
}
