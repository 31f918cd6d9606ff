import { createHash } from 'node:crypto';
import type { ChatMessagePayload, ChatQueueInfo, ChatTypingState } from '@switchboard/protocol';
import type { RealtimeHub } from '../../kernel/realtime/hub.js';
import { HttpError, forbidden, notFound } from '../../kernel/http/errors.js';
import { Interaction } from '../interactions/index.js';
import type { Principal } from '../../kernel/http/principal.js';
import { ChatStore, type NewMessage } from './store.js';
import { ChatTranscripts } from './transcript.js';
import type { Author, ChatRelay, Reflected } from './relay.js';
import type { Message } from './message.entity.js';
import type { ChatDeps, ChatKit } from './types.js';

/** Longest chat line, in characters; longer ones are refused with 413. */
export const MAX_MESSAGE_CHARS = 5000;
/** What an agent's XMPP client is sent of the chat so far when it joins: lines, and characters per line. */
const REPLAY_LINES = 50;
const REPLAY_CHARS = 1000;
/**
 * A line being relayed is claimed in Redis this long (`chat:resend:<id>`): while the claim holds,
 * no other path relays it again. The relaying instance sends its own line again after this long
 * without an echo (the room may have vanished).
 */
export const RESEND_AFTER_MS = 5000;
const OPEN_STATES = ['new', 'queued', 'offered', 'assigned', 'conference'];
const LIVE_STATES = ['assigned', 'conference'];

/**
 * Chat lines between a visitor and the agents of an interaction. The order is always: store in
 * MySQL (the author gets its ack: single check), relay through the interaction's room, and when
 * the room echoes it, tell every socket concerned (state `sent`). The other side's screen then
 * confirms (`delivered`: double check). Internal notes are stored and shown to agents only: they
 * never enter the room and never reach a visitor socket.
 */
export class ChatService {
  readonly store: ChatStore;
  readonly transcripts: ChatTranscripts;

  constructor(
    readonly s: ChatKit,
    readonly hub: RealtimeHub,
    readonly relay: ChatRelay,
    readonly mailer: ChatDeps['mailer'],
  ) {
    this.store = new ChatStore(s.db, s.clock);
    this.transcripts = new ChatTranscripts(this);
  }

  get interactions() {
    return this.s.db.getRepository(Interaction);
  }

  private readonly recent = new Map<string, { i: Interaction; at: number }>();

  /**
   * The interaction, for a visitor's socket commands: each visitor line would otherwise read it
   * from MySQL just to see the chat is still open. Kept 15 s at most, and forgotten on every routing
   * event about it (every instance hears those), so a state change is seen at once.
   */
  async interactionForVisitor(id: string): Promise<Interaction> {
    const hit = this.recent.get(id);
    if (hit && Date.now() - hit.at < 15_000) return hit.i;
    const i = await this.interaction(id);
    if (this.recent.size >= 10_000) this.recent.delete(this.recent.keys().next().value!);
    this.recent.set(id, { i, at: Date.now() });
    return i;
  }

  forget(interactionId: string): void {
    this.recent.delete(interactionId);
  }

  async interaction(id: string): Promise<Interaction> {
    const i = await this.interactions.findOneBy({ id });
    if (!i || i.channel !== 'chat') throw notFound('Chat');
    return i;
  }

  /** Stores then relays; the answer is the stored message (also for a retried clientMessageId). */
  async post(input: NewMessage): Promise<ChatMessagePayload> {
    if (input.body.length > MAX_MESSAGE_CHARS) {
      throw new HttpError(413, 'too_large', `The message is ${input.body.length} characters long; the limit is ${MAX_MESSAGE_CHARS}. Split it into shorter messages.`, [{ field: 'body', problem: `longer than ${MAX_MESSAGE_CHARS} characters` }]);
    }
    if (input.attachmentIds?.length) await this.checkAttachments(input.interactionId, input.attachmentIds);
    const { message, created } = await this.store.add(input);
    const payload = await this.store.payload(message, !created || !!input.attachmentIds?.length);
    if (created && message.authorKind === 'visitor') this.previewChanged(message.interactionId);
    if (created) {
      if (message.authorKind === 'note') await this.pushToAgents(message.interactionId, { type: 'chat.message', message: payload });
      else this.forward(message, payload);
    }
    return payload;
  }

  /**
   * Chats offered to an agent now (from the bus, so any instance's offers), until the offer shows
   * the visitor's first lines: a line that arrives meanwhile shows the offer again with it.
   */
  private readonly awaitingPreview = new Map<string, number>();

  offered(interactionId: string): void {
    if (this.awaitingPreview.size > 10_000) this.awaitingPreview.clear();
    this.awaitingPreview.set(interactionId, 0);
  }

  private previewChanged(interactionId: string): void {
    const lines = this.awaitingPreview.get(interactionId);
    if (lines === undefined) return;
    if (lines + 1 >= 3) this.awaitingPreview.delete(interactionId);
    else this.awaitingPreview.set(interactionId, lines + 1);
    this.s.routing
      .refreshOffers(interactionId)
      .then((shown) => {
        if (shown === 0) this.awaitingPreview.delete(interactionId);
      })
      .catch((err) => this.s.log.warn({ err, interactionId }, 'showing the offer with its first lines failed'));
  }

  private async checkAttachments(interactionId: string, ids: string[]): Promise<void> {
    const { websiteId } = await this.interaction(interactionId);
    const website = this.s.config().websites.find((w) => w.id === websiteId);
    const max = website?.uploads.maxFiles ?? 5;
    if (ids.length > max) throw new HttpError(413, 'too_many_files', `At most ${max} files can be sent at once.`, [{ field: 'attachmentIds', problem: `more than ${max} files` }]);
    const found = await this.store.attachments.findBy(ids.map((id) => ({ id, interactionId })));
    const usable = found.filter((a) => a.messageId === null).map((a) => a.id);
    const bad = ids.filter((id) => !usable.includes(id));
    if (bad.length) throw new HttpError(400, 'invalid_request', 'Some attachments are unknown, belong to another chat or were already sent.', [{ field: 'attachmentIds', problem: `unusable: ${bad.join(', ')}` }]);
  }

  /**
   * Lines this instance is relaying, until their echo: the echo then needs no database read, and
   * the resend sweep leaves alone a line still queued on our XMPP socket or written only a moment
   * ago (resending under load would double the traffic and feed the backlog). Bounded; a line
   * missing here (after a restart, or another instance's) is read from MySQL.
   */
  readonly inflight = new Map<string, { payload: ChatMessagePayload | null; writtenAt: number | null }>();

  /** Into the room; if XMPP is away the line stays `stored` and the pending sweep sends it later. */
  forward(m: Message, payload: ChatMessagePayload | null = null): void {
    if (this.inflight.size >= 10_000) this.inflight.delete(this.inflight.keys().next().value!);
    const entry = { payload: payload ?? this.inflight.get(m.id)?.payload ?? null, writtenAt: null as number | null };
    this.inflight.set(m.id, entry);
    // Ours while it is on its way: a receipt for it, read from a history meanwhile, must not send it twice.
    this.s.redis.client.set(this.resendKey(m.id), this.s.bus.instanceId, 'PX', RESEND_AFTER_MS).catch(() => undefined);
    this.relay.message(m, entry.payload?.attachments ?? []).then(
      () => (entry.writtenAt = this.s.clock.now().getTime()),
      (err) => {
        this.inflight.delete(m.id);
        // Not on its way after all: the flush when XMPP is back must not find it claimed.
        this.s.redis.client.del(this.resendKey(m.id)).catch(() => undefined);
        this.s.log.warn({ err: { message: (err as Error).message }, interactionId: m.interactionId }, 'chat line not relayed yet; will retry');
      },
    );
  }

  private resendKey(messageId: string): string {
    return this.s.redis.key('chat', 'resend', messageId);
  }

  /**
   * Relays again lines still `stored` (in order, for one chat), each only if no one holds its
   * claim: nobody else is relaying it. A closed chat has no room any more: the line is handed over
   * directly.
   */
  async resend(lines: Message[]): Promise<void> {
    if (!lines.length) return;
    const i = await this.interactions.findOneBy({ id: lines[0]!.interactionId });
    for (const m of lines) {
      const claimed = await this.s.redis.client.set(this.resendKey(m.id), this.s.bus.instanceId, 'PX', RESEND_AFTER_MS, 'NX');
      if (!claimed) continue;
      if (!i || !ChatService.isOpen(i)) await this.delivered(m.id, null);
      else this.forward(m);
    }
  }

  /** A line the room echoed (or, for a closed chat, one that will never go through a room). */
  async delivered(messageId: string, stanzaId: string | null): Promise<void> {
    const cached = this.inflight.get(messageId)?.payload;
    this.inflight.delete(messageId);
    const state = await this.store.markSent(messageId, stanzaId);
    if (!state) return;
    let message = cached;
    if (!message) {
      const m = await this.store.get(messageId);
      if (!m) return;
      message = await this.store.payload(m);
    }
    message = { ...message, deliveryState: state };
    await Promise.all([this.hub.pushToVisitors(message.interactionId, { type: 'chat.message', message }), this.pushToAgents(message.interactionId, { type: 'chat.message', message })]);
  }

  async onReflected(r: Reflected): Promise<void> {
    if (r.kind === 'message') return this.delivered(r.messageId, r.stanzaId);
    if (r.kind === 'external') return this.fromXmppClient(r);
    if (r.kind === 'joined') return this.xmppClientJoined(r);
    if (r.kind === 'typing') {
      const msg = { type: 'chat.typing' as const, interactionId: r.interactionId, authorKind: r.authorKind, authorName: r.authorName, state: r.state };
      if (r.authorKind === 'visitor') await this.pushToAgents(r.interactionId, msg);
      else await this.hub.pushToVisitors(r.interactionId, msg);
      return;
    }
    const msg = { type: 'chat.delivery' as const, interactionId: r.interactionId, messageIds: r.messageIds, state: 'delivered' as const };
    if (r.by === 'visitor') await this.pushToAgents(r.interactionId, msg);
    else await this.hub.pushToVisitors(r.interactionId, msg);
  }

  /**
   * A line (or typing) an agent wrote in the room from their own XMPP client. The room has already
   * shown it to its occupants, but the visitor sees only what MySQL holds: it is stored first (the
   * client's stanza id makes a resend idempotent), then pushed like any relayed line, and only then
   * does the client get its XEP-0184 receipt. Anyone else, or a line we refuse, gets a private error
   * line from the room's owner and nothing is stored.
   */
  private async fromXmppClient(r: Extract<Reflected, { kind: 'external' }>): Promise<void> {
    const refuse = (why: string) => this.relay.tell(r.room, r.nick, `Not delivered to the visitor: ${why}`);
    const agentId = this.relay.agentOfJid(r.realJid);
    const [i, live] = await Promise.all([this.interactions.findOneBy({ id: r.interactionId }), this.s.routing.live(r.interactionId)]);
    const participant = !!agentId && (live.owner === agentId || live.conf === agentId);
    if (!participant || !i || !LIVE_STATES.includes(i.state)) {
      if (r.body !== null) refuse(!participant ? 'only the agents handling this chat can write in it.' : 'this chat is not open any more.');
      return;
    }
    const name = await this.agentName(agentId);
    if (r.body === null) {
      if (r.state) await this.hub.pushToVisitors(r.interactionId, { type: 'chat.typing', interactionId: r.interactionId, authorKind: 'agent', authorName: name, state: r.state });
      return;
    }
    // With several instances every one's owner occupant gets a copy: the first to claim it acts.
    const key = this.s.redis.key('chat', 'xmpp-line', r.interactionId, createHash('sha1').update(`${r.nick}\n${r.id ?? ''}\n${r.body}`).digest('hex'));
    const me = this.s.bus.instanceId;
    if ((await this.s.redis.client.set(key, me, 'PX', 10_000, 'NX')) !== 'OK' && (await this.s.redis.client.get(key)) !== me) return;
    if (!r.body.trim()) return refuse('the message is empty.');
    if (r.body.length > MAX_MESSAGE_CHARS) return refuse(`the message is ${r.body.length} characters long; the limit is ${MAX_MESSAGE_CHARS}. Split it into shorter messages.`);
    const { message, created } = await this.store.add({ interactionId: r.interactionId, authorKind: 'agent', authorAgentId: agentId, authorName: name, body: r.body, clientMessageId: r.id ? `xmpp:${r.id}`.slice(0, 64) : null });
    if (created) await this.delivered(message.id, r.id);
    if (r.receiptRequested && r.id) this.relay.tell(r.room, r.nick, null, r.id);
  }

  /**
   * An agent's XMPP client entered the room. Rooms keep no history (MySQL is the record, and
   * Prosody holding it cost memory and collection pauses), so the client gets the earlier lines
   * from us: one private message from the room's owner, the latest lines first cut to fit.
   */
  private async xmppClientJoined(r: Extract<Reflected, { kind: 'joined' }>): Promise<void> {
    const agentId = this.relay.agentOfJid(r.realJid);
    if (!agentId) return;
    const live = await this.s.routing.live(r.interactionId);
    if (live.owner !== agentId && live.conf !== agentId) return;
    // Every instance's owner occupant sees the join: the first to claim it tells.
    const key = this.s.redis.key('chat', 'xmpp-join', r.interactionId, createHash('sha1').update(`${r.nick}\n${r.realJid}`).digest('hex'));
    if ((await this.s.redis.client.set(key, '1', 'PX', 5000, 'NX')) !== 'OK') return;
    const lines = (await this.store.history(r.interactionId, { notes: false })).slice(-REPLAY_LINES);
    if (!lines.length) return;
    const label = { visitor: 'Visitor', agent: 'Agent', bot: 'Bot', system: 'Switchboard', note: 'Note' } as const;
    const text = lines
      .map((m) => {
        const files = m.attachments.length ? ` [${m.attachments.map((a) => a.fileName).join(', ')}]` : '';
        const body = m.body.length > REPLAY_CHARS ? `${m.body.slice(0, REPLAY_CHARS)}…` : m.body;
        return `${m.createdAt.slice(11, 16)} ${m.authorName ?? label[m.authorKind]}: ${body}${files}`;
      })
      .join('\n');
    this.relay.tell(r.room, r.nick, `Earlier in this chat (UTC):\n${text}`);
  }

  async typing(interactionId: string, author: Author & { kind: 'agent' | 'visitor' }, state: ChatTypingState): Promise<void> {
    // Typing is best effort: lost while XMPP is away, never stored.
    await this.relay.typing(interactionId, author, state).catch(() => undefined);
  }

  /** The reader's screen shows these lines of the other side. */
  async received(interactionId: string, messageIds: string[], by: Author & { kind: 'agent' | 'visitor' }): Promise<void> {
    const kinds = by.kind === 'visitor' ? (['agent', 'bot', 'system'] as const) : (['visitor'] as const);
    const { changed: rows, stored } = await this.store.markDelivered(interactionId, messageIds, [...kinds]);
    // Shown from a history before any room echoed it: its instance may have died between storing
    // and relaying it. Unless someone holds its claim, it goes out now rather than at the sweep.
    if (stored.length) await this.resend(stored.filter((m) => !this.inflight.has(m.id)));
    if (!rows.length) return;
    const changed = rows.map((r) => r.id);
    // A line an agent wrote from their XMPP client is known there by its own stanza id.
    const theirs = rows.map((r) => r.clientMessageId).filter((c): c is string => !!c?.startsWith('xmpp:')).map((c) => c.slice(5));
    await this.relay.receipts(interactionId, changed, by, theirs).catch(async () => {
      // Receipts must not wait for XMPP: the double check is what the author is waiting for.
      const msg = { type: 'chat.delivery' as const, interactionId, messageIds: changed, state: 'delivered' as const };
      if (by.kind === 'visitor') await this.pushToAgents(interactionId, msg);
      else await this.hub.pushToVisitors(interactionId, msg);
    });
  }

  /** The owner, the conference guest and supervisors monitoring: who sees the agent side. */
  async agentsOf(interactionId: string): Promise<string[]> {
    // Routing's live record in Redis says who holds the interaction now (owner, conference guest).
    const [monitors, live] = await Promise.all([this.s.redis.client.smembers(this.monitorsKey(interactionId)), this.s.routing.live(interactionId)]);
    const ids = new Set<string>(monitors);
    if (live.owner) ids.add(live.owner);
    if (live.conf) ids.add(live.conf);
    return [...ids];
  }

  async pushToAgents(interactionId: string, message: Parameters<RealtimeHub['pushToAgents']>[1]): Promise<void> {
    const to = await this.agentsOf(interactionId);
    if (to.length) await this.hub.pushToAgents(to, message);
  }

  /** A message stored elsewhere (a customer's mail) shown to the interaction's agents as a chat line. */
  async announce(interactionId: string, messageId: string): Promise<void> {
    const m = await this.store.get(messageId);
    if (!m) throw new Error(`message ${messageId} is not stored`);
    await this.pushToAgents(interactionId, { type: 'chat.message', message: await this.store.payload(m) });
  }

  monitorsKey(interactionId: string): string {
    return this.s.redis.key('chat', 'monitors', interactionId);
  }

  /** May this desktop user act in (or read) this chat? Owners and guests act; supervisors read and add notes. */
  async access(p: Principal, interactionId: string, need: 'write' | 'note' | 'read'): Promise<Interaction> {
    const [i, live] = await Promise.all([this.interaction(interactionId), this.s.routing.live(interactionId)]);
    const participant = (!!live.owner && live.owner === p.agentId) || (!!live.conf && live.conf === p.agentId);
    const supervisor = p.role !== 'agent';
    if (need === 'write') {
      if (!participant) throw new HttpError(403, 'not_yours', 'Only the agents handling this chat can write in it.');
      if (!LIVE_STATES.includes(i.state)) throw new HttpError(409, 'chat_closed', 'This chat is not open any more.');
    } else if (need === 'note') {
      if (!participant && !supervisor) throw new HttpError(403, 'not_yours', 'Only the agents handling this chat and supervisors can add notes.');
      if (!OPEN_STATES.includes(i.state)) throw new HttpError(409, 'chat_closed', 'This chat is not open any more.');
    } else if (!participant && !supervisor && i.assignedAgentId !== p.agentId) {
      throw forbidden('Only the agents of this chat and supervisors can read it.');
    }
    return i;
  }

  async queueInfo(i: Interaction): Promise<ChatQueueInfo> {
    if (['queued', 'offered'].includes(i.state)) return this.s.routing.position(i.id);
    return { state: i.state, position: null, estimatedWaitSeconds: null };
  }

  private readonly names = new Map<string, string | null>();

  /** The visitor's display name (the contact's), remembered: it is on every line they write. */
  async visitorName(i: Interaction): Promise<string | null> {
    if (this.names.has(i.id)) return this.names.get(i.id)!;
    const name = await this.s.routing.customerName(i.contactId);
    if (this.names.size >= 10_000) this.names.delete(this.names.keys().next().value!);
    this.names.set(i.id, name);
    return name;
  }

  async visitorNameOf(interactionId: string): Promise<string | null> {
    if (this.names.has(interactionId)) return this.names.get(interactionId)!;
    const i = await this.interactions.findOneBy({ id: interactionId });
    return i ? this.visitorName(i) : null;
  }

  async agentName(agentId: string): Promise<string> {
    return (await this.s.agents.get(agentId).catch(() => null))?.displayName ?? 'Agent';
  }

  static isOpen(i: Interaction): boolean {
    return OPEN_STATES.includes(i.state);
  }
}
