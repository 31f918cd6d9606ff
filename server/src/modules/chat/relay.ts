import { createHmac } from 'node:crypto';
import { xml, type XmlElement } from '@xmpp/client';
import type { ChatTypingState } from '@switchboard/protocol';
import type { XmppConnection } from './xmpp.js';
import type { Message } from './message.entity.js';

export const SB_NS = 'urn:switchboard:chat:0';
const NICK_NS = 'http://jabber.org/protocol/nick';
const CHATSTATES = 'http://jabber.org/protocol/chatstates';
const RECEIPTS = 'urn:xmpp:receipts';

/**
 * XML 1.0 cannot carry NUL, most C0 controls or lone surrogates; one of them in a stanza would make
 * Prosody drop our whole session. The room gets a safe copy; MySQL and the sockets keep the original.
 */
export function xmlText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** What came back from a room that this instance itself sent. */
export type Reflected =
  | { kind: 'message'; interactionId: string; messageId: string; stanzaId: string | null }
  | { kind: 'typing'; interactionId: string; authorKind: 'agent' | 'visitor'; authorName: string | null; state: ChatTypingState }
  | { kind: 'receipt'; interactionId: string; messageIds: string[]; by: 'agent' | 'visitor' };

/**
 * The XMPP side of a chat: one members-only MUC room per interaction. This server is an occupant
 * of each room it relays for (one nickname per instance); the author's display name travels with
 * each line (XEP-0172), typing as chat states (XEP-0085) and receipts as XEP-0184. A line counts as
 * relayed when the room echoes it back to us.
 */
export class ChatRelay {
  private readonly nick: string;

  constructor(
    private readonly xmpp: XmppConnection,
    private readonly cfg: { mucDomain: string; servicePassword: string },
    private readonly instanceId: string,
  ) {
    this.nick = `switchboard-${instanceId}`;
  }

  /** Unguessable without the service secret, yet every instance derives the same name. */
  room(interactionId: string): string {
    const h = createHmac('sha256', this.cfg.servicePassword).update(`room:${interactionId}`).digest('hex').slice(0, 40);
    return `chat-${h}@${this.cfg.mucDomain}`;
  }

  get online(): boolean {
    return this.xmpp.isOnline;
  }

  async message(m: Message): Promise<void> {
    const room = this.room(m.interactionId);
    await this.xmpp.sendToRoom(
      room,
      this.nick,
      xml(
        'message',
        { to: room, type: 'groupchat', id: m.id },
        xml('body', {}, xmlText(m.body)),
        xml('nick', { xmlns: NICK_NS }, xmlText(m.authorName ?? m.authorKind)),
        xml('request', { xmlns: RECEIPTS }),
        xml('active', { xmlns: CHATSTATES }),
        this.marker('message', m.interactionId, { message: m.id, author: m.authorKind }),
      ),
    );
  }

  async typing(interactionId: string, authorKind: 'agent' | 'visitor', authorName: string | null, state: ChatTypingState): Promise<void> {
    const room = this.room(interactionId);
    await this.xmpp.sendToRoom(
      room,
      this.nick,
      xml('message', { to: room, type: 'groupchat' }, xml(state, { xmlns: CHATSTATES }), xml('nick', { xmlns: NICK_NS }, xmlText(authorName ?? authorKind)), this.marker('typing', interactionId, { author: authorKind })),
    );
  }

  async receipts(interactionId: string, messageIds: string[], by: 'agent' | 'visitor'): Promise<void> {
    const room = this.room(interactionId);
    await this.xmpp.sendToRoom(
      room,
      this.nick,
      xml('message', { to: room, type: 'groupchat' }, ...messageIds.map((id) => xml('received', { xmlns: RECEIPTS, id })), this.marker('receipt', interactionId, { author: by })),
    );
  }

  async destroy(interactionId: string): Promise<void> {
    await this.xmpp.destroy(this.room(interactionId));
  }

  async features(interactionId: string): Promise<string[]> {
    return this.xmpp.roomFeatures(this.room(interactionId));
  }

  private marker(kind: string, interactionId: string, extra: Record<string, string>): XmlElement {
    return xml('switchboard', { xmlns: SB_NS, kind, interaction: interactionId, instance: this.instanceId, ...extra });
  }

  /** Reads a reflected stanza; undefined for anything this instance did not send. */
  parse(stanza: XmlElement): Reflected | undefined {
    const sb = stanza.getChild('switchboard', SB_NS);
    if (!sb || sb.attrs.instance !== this.instanceId || !sb.attrs.interaction) return undefined;
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
      return { kind: 'receipt', interactionId, by: author, messageIds: stanza.getChildren('received', RECEIPTS).map((r) => r.attrs.id ?? '').filter(Boolean) };
    }
    return undefined;
  }
}
