import { Injectable, computed, inject, signal } from '@angular/core';
import type { AgentChatMessages, ChatAttachmentPayload, ChatDeliveryState, ChatMessagePayload } from '@switchboard/protocol';
import { AgentSocket } from './agent-socket';
import { Api } from './api';

export type { ChatMessagePayload } from '@switchboard/protocol';

/** A line on screen: the server's message, or one of ours still on its way (no id yet). */
export interface ChatLine extends ChatMessagePayload {
  /** `sending` until the server acknowledged it; `failed` when it could not be sent (retry). */
  local?: 'sending' | 'failed';
}

/** Unique per line; crypto.randomUUID needs a secure context, getRandomValues does not. */
function newClientId(): string {
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
}

const ORDER: Record<ChatDeliveryState, number> = { failed: 0, stored: 1, sent: 2, delivered: 3, read: 4 };

/**
 * Chat lines per interaction, from the history (REST) and the socket's chat events; unread
 * counts for visitor lines the agent has not looked at; receipts (`chat.received`) for the
 * visitor's lines once they are on screen.
 */
@Injectable({ providedIn: 'root' })
export class ChatStore {
  private readonly socket = inject(AgentSocket);
  private readonly api = inject(Api);
  private readonly lineMap = signal<ReadonlyMap<string, readonly ChatLine[]>>(new Map());
  private readonly unreadMap = signal<ReadonlyMap<string, number>>(new Map());
  readonly typing = signal<ReadonlyMap<string, string | null>>(new Map());
  readonly ended = signal<ReadonlyMap<string, 'agent' | 'customer' | 'system'>>(new Map());
  /** The interaction whose chat is on screen: its lines are read as they arrive. */
  readonly viewing = signal<string | null>(null);
  readonly totalUnread = computed(() => [...this.unreadMap().values()].reduce((a, b) => a + b, 0));
  private readonly loaded = new Set<string>();
  /**
   * The visitor's lines a receipt went out for, with their state then: the pane redraws on every
   * change to its chat, and a line the server keeps in `stored` would be receipted each time.
   */
  private readonly receipted = new Map<string, ChatDeliveryState>();
  private connectedBefore = false;

  constructor() {
    this.socket.on('chat.message', (m) => this.add(m.message));
    this.socket.on('chat.ack', (m) => this.add(m.message));
    this.socket.on('chat.history', (m) => this.merge(m.interactionId, m.messages));
    this.socket.on('chat.delivery', (m) => {
      const ids = new Set(m.messageIds);
      this.update(m.interactionId, (lines) =>
        lines.map((l) => (ids.has(l.id) && ORDER[m.state] > ORDER[l.deliveryState] ? { ...l, deliveryState: m.state } : l)),
      );
    });
    this.socket.on('chat.typing', (m) => {
      if (m.authorKind !== 'visitor') return;
      this.typing.update((t) => new Map(t).set(m.interactionId, m.state === 'composing' ? m.authorName ?? '' : null));
    });
    this.socket.on('chat.ended', (m) => this.ended.update((e) => new Map(e).set(m.interactionId, m.by)));
    // A refused chat.send (the server's error frame names it by ref = clientMessageId): Retry.
    this.socket.on('error', (m) => m.ref && this.fail((l) => l.clientMessageId === m.ref));
    // Every connection after the first (a server restart, a network drop) may have missed lines.
    this.socket.on('hello', () => {
      // A receipt sent just before the drop may never have arrived: a new connection sends again.
      this.receipted.clear();
      if (this.connectedBefore) void this.catchUp();
      this.connectedBefore = true;
    });
    this.socket.on('chat.resync', () => void this.catchUp());
  }

  /**
   * What was missed while the socket was away or the server's bus was down: each chat's lines are
   * read again and merged by id (nothing shown twice), the chat on screen confirms what it now
   * shows, and our lines the server never stored become failed with Retry.
   */
  private async catchUp(): Promise<void> {
    const since = new Date().toISOString();
    for (const id of [...this.loaded]) {
      // The server may still be finding its feet (503 while its Redis reconnects): a few tries.
      let ok = false;
      for (let attempt = 0; attempt < 5 && !ok; attempt++) {
        ok = await this.load(id, true).then(() => true, () => false);
        if (!ok) await new Promise((r) => setTimeout(r, 1000 * (attempt + 1)));
      }
      if (!ok) continue; // the next connection tries again
      this.fail((l) => l.interactionId === id && l.local === 'sending' && l.createdAt < since);
      if (this.viewing() === id && document.visibilityState !== 'hidden') this.markRead(id);
    }
  }

  private fail(match: (l: ChatLine) => boolean): void {
    for (const [id, lines] of this.lineMap()) {
      if (lines.some((l) => l.local === 'sending' && match(l))) this.update(id, (ls) => ls.map((l) => (l.local === 'sending' && match(l) ? { ...l, local: 'failed' } : l)));
    }
  }

  lines(interactionId: string): readonly ChatLine[] {
    return this.lineMap().get(interactionId) ?? [];
  }

  unread(interactionId: string): number {
    return this.unreadMap().get(interactionId) ?? 0;
  }

  /** The whole history with notes (GET /api/chats/:id/messages), once per interaction and tab. */
  async load(interactionId: string, force = false): Promise<void> {
    if (this.loaded.has(interactionId) && !force) return;
    this.loaded.add(interactionId);
    try {
      const r = await this.api.get<AgentChatMessages>(`/api/chats/${interactionId}/messages`);
      this.merge(interactionId, r.messages);
    } catch (err) {
      this.loaded.delete(interactionId);
      throw err;
    }
  }

  /** Sends a line to the visitor (with files already uploaded), or an internal note (`note`) that only agents see. */
  send(interactionId: string, body: string, note = false, clientMessageId: string = newClientId(), attachments: readonly ChatAttachmentPayload[] = []): void {
    const line: ChatLine = {
      id: 'local:' + clientMessageId, interactionId, authorKind: note ? 'note' : 'agent', authorName: null, body,
      clientMessageId, deliveryState: 'stored', attachments: [...attachments], createdAt: new Date().toISOString(), local: 'sending',
    };
    this.update(interactionId, (lines) => [...lines.filter((l) => l.clientMessageId !== clientMessageId), line]);
    const ok = this.socket.send(
      note
        ? { type: 'chat.note', interactionId, clientMessageId, body, ref: clientMessageId }
        : { type: 'chat.send', interactionId, clientMessageId, body, ...(attachments.length ? { attachmentIds: attachments.map((a) => a.id) } : {}), ref: clientMessageId },
    );
    if (!ok) this.fail((l) => l.clientMessageId === clientMessageId);
  }

  /** Sends a failed line again with the same clientMessageId: the server stores it once. */
  retry(line: ChatLine): void {
    if (line.local !== 'failed' || !line.clientMessageId) return;
    this.send(line.interactionId, line.body, line.authorKind === 'note', line.clientMessageId, line.attachments);
  }

  typingState(interactionId: string, state: 'composing' | 'paused'): void {
    this.socket.send({ type: 'chat.typing', interactionId, state });
  }

  /** The agent has the chat on screen: its lines are read, and the visitor's get their double check. */
  markRead(interactionId: string): void {
    if (this.unread(interactionId)) this.unreadMap.update((u) => new Map(u).set(interactionId, 0));
    const unconfirmed = this.lines(interactionId).filter((l) => l.authorKind === 'visitor' && ORDER[l.deliveryState] < ORDER.delivered && this.receipted.get(l.id) !== l.deliveryState);
    if (!unconfirmed.length) return;
    if (this.socket.send({ type: 'chat.received', interactionId, messageIds: unconfirmed.map((l) => l.id) })) for (const l of unconfirmed) this.receipted.set(l.id, l.deliveryState);
  }

  private add(m: ChatMessagePayload): void {
    const isNew = !this.lines(m.interactionId).some((l) => l.id === m.id);
    this.merge(m.interactionId, [m]);
    if (isNew && m.authorKind === 'visitor') {
      if (this.viewing() === m.interactionId && document.visibilityState !== 'hidden') this.markRead(m.interactionId);
      else this.unreadMap.update((u) => new Map(u).set(m.interactionId, (u.get(m.interactionId) ?? 0) + 1));
      this.typing.update((t) => new Map(t).set(m.interactionId, null));
    }
  }

  /** Adds or replaces lines by id (our pending copy by clientMessageId), keeping time order. */
  private merge(interactionId: string, incoming: readonly ChatMessagePayload[]): void {
    this.update(interactionId, (lines) => {
      const out = [...lines];
      for (const m of incoming) {
        const i = out.findIndex((l) => l.id === m.id || (!!m.clientMessageId && l.clientMessageId === m.clientMessageId));
        if (i < 0) out.push(m);
        else if (out[i]!.local || ORDER[m.deliveryState] >= ORDER[out[i]!.deliveryState]) out[i] = { ...m };
      }
      return out.sort((a, b) => (a.local && !b.local ? 1 : !a.local && b.local ? -1 : a.createdAt.localeCompare(b.createdAt)));
    });
  }

  private update(interactionId: string, fn: (lines: readonly ChatLine[]) => ChatLine[]): void {
    this.lineMap.update((m) => new Map(m).set(interactionId, fn(m.get(interactionId) ?? [])));
  }
}
