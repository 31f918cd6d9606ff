import { createHmac } from 'node:crypto';
import { xml, type XmlElement } from '@xmpp/client';
import type { ChatTypingState } from '@switchboard/protocol';
import type { XmppConnection } from './xmpp.js';
import { ChatRooms, type Participant } from './rooms.js';
import { agentXmppJid } from './accounts.js';
import type { Logger } from '../../kernel/logger.js';
import type { Message } from './message.entity.js';

export const SB_NS = 'urn:switchboard:chat:0';
const NICK_NS = 'http://jabber.org/protocol/nick';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';
export const RECEIPTS = 'urn:xmpp:receipts';

export { xmlText } from './rooms.js';
import { xmlText } from './rooms.js';

/** What came back from a room: our own stanzas (echoes), or a line or typing from an agent's XMPP client. */
export type Reflected =
  | { kind: 'message'; interactionId: string; messageId: string; stanzaId: string | null }
  | { kind: 'typing'; interactionId: string; authorKind: 'agent' | 'visitor'; authorName: string | null; state: ChatTypingState }
  | { kind: 'receipt'; interactionId: string; messageIds: string[]; by: 'agent' | 'visitor' }
  | { kind: 'external'; interactionId: string; room: string; nick: string; realJid: string; id: string | null; body: string | null; state: ChatTypingState | null; receiptRequested: boolean }
  | { kind: 'joined'; interactionId: string; room: string; nick: string; realJid: string };

/** Who wrote a line, as an occupant of the room. */
export type Author = { kind: 'visitor' | 'bot' | 'system'; name: string | null } | { kind: 'agent'; agentId: string; name: string | null };

/**
 * The XMPP side of a chat: one members-only MUC room per interaction, in which the visitor, each
 * agent and the bot are occupants of their own under their display names (joined through our
 * XEP-0114 component), and agents may also take part from their own XMPP accounts. Lines carry
 * XEP-0172 nicks, typing is XEP-0085, receipts XEP-0184. A line counts as relayed when the room
 * echoes it back to the room's owner occupant, the one copy of the traffic we read.
 */
export class ChatRelay {
  readonly rooms: ChatRooms;

  constructor(
    private readonly xmpp: XmppConnection,
    private readonly cfg: { mucDomain: string; servicePassword: string; domain: string },
    private readonly instanceId: string,
    log: Logger,
    /** The visitor's display name: the visitor is in the room from the first stanza on. */
    private readonly visitorName: (interactionId: string) => Promise<string | null>,
    /** Told, for each line sent into its room, how long after it was stored. */
    private readonly relayLag: (seconds: number) => void = () => {},
  ) {
    this.rooms = new ChatRooms(xmpp, log);
  }

  /** Unguessable without the service secret, yet every instance derives the same name. */
  room(interactionId: string): string {
    const h = createHmac('sha256', this.cfg.servicePassword).update(`room:${interactionId}`).digest('hex').slice(0, 40);
    return `chat-${h}@${this.cfg.mucDomain}`;
  }

  get online(): boolean {
    return this.xmpp.isOnline;
  }

  /** An agent's own XMPP account (XEP-0133-provisioned on the chat's virtual host). */
  agentJid(agentId: string): string {
    return agentXmppJid(this.cfg, agentId);
  }

  /** The agent an XMPP account belongs to, or undefined. */
  agentOfJid(jid: string): string | undefined {
    const m = /^agent-([0-9a-f]{32})@([^/]+)(\/.*)?$/.exec(jid);
    return m && m[2] === this.cfg.domain ? m[1] : undefined;
  }

  private participant(interactionId: string, a: Author): Participant {
    if (a.kind === 'agent') return { key: `agent:${a.agentId}`, local: `agent-${a.agentId}`, name: a.name ?? 'Agent' };
    if (a.kind === 'visitor') return { key: 'visitor', local: `visitor-${interactionId}`, name: a.name ?? 'Visitor' };
    if (a.kind === 'bot') return { key: 'bot', local: 'bot', name: a.name ?? 'Bot' };
    return this.rooms.owner;
  }

  /** Sends as `author`, with the visitor in the room first (it is who the room is for). */
  private async as(interactionId: string, author: Author, build: (from: string, room: string) => XmlElement): Promise<void> {
    const room = this.room(interactionId);
    if (author.kind !== 'visitor') {
      const name = await this.visitorName(interactionId);
      await this.rooms.present(room, interactionId, this.participant(interactionId, { kind: 'visitor', name }), { soft: true });
    }
    await this.rooms.sendAs(room, interactionId, this.participant(interactionId, author), (from) => build(from, room));
  }

  authorOf(m: Message): Author {
    if (m.authorKind === 'agent' && m.authorAgentId) return { kind: 'agent', agentId: m.authorAgentId, name: m.authorName };
    if (m.authorKind === 'visitor' || m.authorKind === 'bot') return { kind: m.authorKind, name: m.authorName };
    return { kind: 'system', name: null };
  }

  /**
   * A stored line into the room, as its author. Files stay in Switchboard (downloads need the
   * chat's token or a desktop session): an XMPP client reads their names under the text.
   */
  async message(m: Message, files: { fileName: string; size: number }[] = []): Promise<void> {
    const listed = files.map((f) => `[file: ${f.fileName}, ${Math.max(1, Math.round(f.size / 1024))} KB — open it in the Switchboard desktop]`);
    const body = [m.body, ...listed].filter(Boolean).join('\n');
    await this.as(m.interactionId, this.authorOf(m), (from, room) =>
      xml(
        'message',
        { from, to: room, type: 'groupchat', id: m.id },
        xml('body', {}, xmlText(body)),
        xml('nick', { xmlns: NICK_NS }, xmlText(m.authorName ?? m.authorKind)),
        xml('request', { xmlns: RECEIPTS }),
        xml('active', { xmlns: CHATSTATES }),
        this.marker('message', m.interactionId, { message: m.id, author: m.authorKind }),
      ),
    );
    if (m.createdAt instanceof Date) this.relayLag((Date.now() - m.createdAt.getTime()) / 1000);
  }

  async typing(interactionId: string, author: Author & { kind: 'agent' | 'visitor' }, state: ChatTypingState): Promise<void> {
    await this.as(interactionId, author, (from, room) =>
      xml('message', { from, to: room, type: 'groupchat' }, xml(state, { xmlns: CHATSTATES }), xml('nick', { xmlns: NICK_NS }, xmlText(author.name ?? author.kind)), this.marker('typing', interactionId, { author: author.kind })),
    );
  }

  async receipts(interactionId: string, messageIds: string[], by: Author & { kind: 'agent' | 'visitor' }, stanzaIds: string[] = []): Promise<void> {
    // The agent side's receipts come from the room's owner: the reader may be a supervisor
    // monitoring, who must never appear in the room.
    await this.as(interactionId, by.kind === 'visitor' ? by : { kind: 'system', name: null }, (from, room) =>
      xml(
        'message',
        { from, to: room, type: 'groupchat' },
        ...messageIds.map((id) => xml('received', { xmlns: RECEIPTS, id })),
        // For XMPP clients, under their own ids; the echo reads only ours (marked `ours`).
        ...stanzaIds.map((id) => xml('received', { xmlns: RECEIPTS, id: xmlText(id) })),
        this.marker('receipt', interactionId, { author: by.kind, ours: String(messageIds.length) }),
      ),
    );
  }

  /** The agent enters the room (accept, transfer, conference): an occupant, and their XMPP account invited. */
  async enter(interactionId: string, agentId: string, name: string, reason: string): Promise<void> {
    const room = this.room(interactionId);
    const visitor = await this.visitorName(interactionId);
    await this.rooms.present(room, interactionId, this.participant(interactionId, { kind: 'visitor', name: visitor }), { soft: true });
    await this.rooms.present(room, interactionId, this.participant(interactionId, { kind: 'agent', agentId, name }));
    await this.rooms.addMember(room, interactionId, this.agentJid(agentId), reason);
  }

  /** The bot hands over to the agent: one occupant fewer to copy every line to. */
  async botLeaves(interactionId: string): Promise<void> {
    await this.rooms.leave(this.room(interactionId), 'bot');
  }

  /** The agent leaves (transferred away, conference over): occupant gone, account no longer a member. */
  async leave(interactionId: string, agentId: string): Promise<void> {
    const room = this.room(interactionId);
    await this.rooms.leave(room, `agent:${agentId}`);
    await this.rooms.removeMember(room, this.agentJid(agentId));
  }

  /** A private line from the room's owner to one occupant (an agent's XMPP client). */
  tell(room: string, nick: string, body: string | null, receiptFor?: string): void {
    const children = [body === null ? null : xml('body', {}, xmlText(body)), receiptFor ? xml('received', { xmlns: RECEIPTS, id: receiptFor }) : null].filter((c): c is XmlElement => c !== null);
    if (!this.xmpp.isOnline) return;
    this.xmpp.send(xml('message', { from: this.rooms.full(this.rooms.owner), to: `${room}/${nick}`, type: 'chat' }, ...children));
  }

  async destroy(interactionId: string): Promise<void> {
    await this.rooms.destroy(this.room(interactionId));
  }

  async features(interactionId: string): Promise<string[]> {
    return this.rooms.features(this.room(interactionId));
  }

  private marker(kind: string, interactionId: string, extra: Record<string, string>): XmlElement {
    return xml('switchboard', { xmlns: SB_NS, kind, interaction: interactionId, instance: this.instanceId, ...extra });
  }

  /**
   * Reads what the room sent to our owner occupant: every occupant of ours gets a copy, and only
   * this one is read. Undefined for anything else (other copies, presences, other instances' echoes).
   */
  parse(stanza: XmlElement): Reflected | undefined {
    const presence = this.rooms.onPresence(stanza);
    if (presence) {
      // Someone entered through their own XMPP client (our occupants are relay JIDs).
      const j = presence.joined;
      const interactionId = j && this.rooms.interactionOf(j.room);
      return j && interactionId && !this.xmpp.isRelayJid(j.realJid) ? { kind: 'joined', interactionId, ...j } : undefined;
    }
    if (stanza.name !== 'message' || stanza.attrs.type !== 'groupchat' || !this.rooms.isOwnerCopy(stanza)) return undefined;
    const sb = stanza.getChild('switchboard', SB_NS);
    if (!sb) return this.external(stanza);
    if (sb.attrs.instance !== this.instanceId || !sb.attrs.interaction) return undefined;
    const interactionId = sb.attrs.interaction;
    const author = sb.attrs.author === 'visitor' ? 'visitor' : 'agent';
    if (sb.attrs.kind === 'message' && sb.attrs.message) {
      const stanzaId = stanza.getChildren('stanza-id', 'urn:xmpp:sid:0')[0]?.attrs.id ?? stanza.attrs.id ?? null;
      return { kind: 'message', interactionId, messageId: sb.attrs.message, stanzaId };
    }
    if (sb.attrs.kind === 'typing') {
      const state: ChatTypingState = stanza.getChild('composing', CHATSTATES) ? 'composing' : 'paused';
      return { kind: 'typing', interactionId, authorKind: author, authorName: stanza.getChildText('nick', NICK_NS), state };
    }
    if (sb.attrs.kind === 'receipt') {
      const ours = Number(sb.attrs.ours ?? Infinity);
      return { kind: 'receipt', interactionId, by: author, messageIds: stanza.getChildren('received', RECEIPTS).slice(0, ours).map((r) => r.attrs.id ?? '').filter(Boolean) };
    }
    return undefined;
  }

  /** A groupchat stanza without our marker: someone in the room through their own XMPP client. */
  private external(stanza: XmlElement): Reflected | undefined {
    const from = stanza.attrs.from ?? '';
    const slash = from.indexOf('/');
    if (slash < 0) return undefined; // the room itself (subject, status)
    const room = from.slice(0, slash);
    const nick = from.slice(slash + 1);
    const interactionId = this.rooms.interactionOf(room);
    const realJid = this.rooms.realJid(room, nick);
    if (!interactionId || !realJid || this.xmpp.isRelayJid(realJid)) return undefined;
    const state = (['composing', 'paused', 'active', 'inactive', 'gone'] as const).find((s) => stanza.getChild(s, CHATSTATES));
    return {
      kind: 'external',
      interactionId,
      room,
      nick,
      realJid,
      id: stanza.attrs.id ?? null,
      body: stanza.getChild('body') ? stanza.getChildText('body') : null,
      state: state === 'composing' ? 'composing' : state ? 'paused' : null,
      receiptRequested: !!stanza.getChild('request', RECEIPTS),
    };
  }
}
