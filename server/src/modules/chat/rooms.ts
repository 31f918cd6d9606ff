import { xml, type XmlElement } from '@xmpp/client';
import { systemClock, type Clock } from '../../kernel/clock.js';
import type { Logger } from '../../kernel/logger.js';
import { IQ_TIMEOUT_MS, XmppError, type XmppConnection } from './xmpp.js';

export const MUC = 'http://jabber.org/protocol/muc';
export const MUC_USER = 'http://jabber.org/protocol/muc#user';
const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const CONFERENCE = 'jabber:x:conference';
const RESOURCE = 'relay';
const JOIN_TIMEOUT_MS = 5000;
/** Rooms rebuilt side by side after a reconnection (each one: owner, members, occupants). */
const REJOIN_PARALLEL = 16;

/**
 * XML 1.0 cannot carry NUL, most C0 controls or lone surrogates; one of them in a stanza makes
 * Prosody drop our whole connection (not-well-formed), and with it every room. Whatever a visitor
 * typed reaches XMPP through this; MySQL and the sockets keep the original.
 */
export function xmlText(s: string): string {
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/**
 * A display name as a nickname (a JID resource): no controls, format characters (bidi overrides
 * are forbidden in resources), private-use or unassigned code points, and not too long.
 */
function nickOf(name: string): string {
  return name.replace(/[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\uFFFD]/gu, '').replace(/\s+/g, ' ').trim().slice(0, 60);
}

/** Someone the relay is in a room as: the room's owner ('system'), the visitor, the bot or an agent. */
export interface Participant {
  /** 'system' | 'visitor' | 'bot' | `agent:<id>` */
  key: string;
  /** Local part of the occupant's JID on our component domain. */
  local: string;
  /** Display name; the nickname is this, made unique in the room. */
  name: string;
}

interface Occupant {
  p: Participant;
  nick: string | null;
  joined: Promise<void> | null;
}

interface Room {
  jid: string;
  interactionId: string;
  occupants: Map<string, Occupant>;
  /** Agents' own XMPP accounts (bare JIDs) that are members and were invited. */
  members: Map<string, string>;
  /** Bare JIDs already given `member` affiliation on this connection. */
  affiliated: Set<string>;
  /** Every occupant's nickname → real JID, as the owner sees them (it is a moderator). */
  nicks: Map<string, string>;
}

/**
 * The rooms this process relays for and who it is in each of them. The owner occupant (nick
 * "Switchboard", our admin JID) creates the room, carries system lines and is the one copy of the
 * room's traffic the relay reads; every other participant is an occupant of its own, made a
 * member first (rooms are members-only). Prosody forgets rooms when it restarts: after every
 * reconnection each room is created again with its occupants, affiliations and invitations.
 */
export class ChatRooms {
  private readonly rooms = new Map<string, Room>();
  private readonly waiters = new Map<string, { nick: string; resolve: () => void; reject: (e: Error) => void }>();

  constructor(
    private readonly xmpp: XmppConnection,
    private readonly log: Logger,
    private readonly clock: Clock = systemClock,
  ) {
    xmpp.onOnline(() => this.rejoinAll());
    xmpp.onOffline(() => {
      for (const r of this.rooms.values()) {
        r.affiliated.clear();
        for (const o of r.occupants.values()) o.joined = null;
      }
      for (const w of this.waiters.values()) w.reject(new Error('xmpp connection lost'));
      this.waiters.clear();
    });
  }

  full(p: Participant): string {
    return `${p.local}@${this.xmpp.domain}/${RESOURCE}`;
  }

  private entry(jid: string, interactionId: string): Room {
    let r = this.rooms.get(jid);
    if (!r) this.rooms.set(jid, (r = { jid, interactionId, occupants: new Map(), members: new Map(), affiliated: new Set(), nicks: new Map() }));
    return r;
  }

  /** The interaction of a room this process is in (undefined for any other room). */
  interactionOf(roomJid: string): string | undefined {
    return this.rooms.get(roomJid)?.interactionId;
  }

  realJid(roomJid: string, nick: string): string | undefined {
    return this.rooms.get(roomJid)?.nicks.get(nick);
  }

  /** The owner's full JID in this room: the copy of the room's traffic the relay reads. */
  isOwnerCopy(stanza: XmlElement): boolean {
    return stanza.attrs.to === `${this.xmpp.owner}/${RESOURCE}`;
  }

  get owner(): Participant {
    return { key: 'system', local: this.xmpp.owner.split('@')[0]!, name: 'Switchboard' };
  }

  /** Makes sure the room exists with us as owner and `p` in it; resolves with p's full JID. */
  async present(roomJid: string, interactionId: string, p: Participant, opts: { soft?: boolean } = {}): Promise<string> {
    const r = this.entry(roomJid, interactionId);
    await this.join(r, this.owner);
    // Soft: someone else is writing and only wants this participant in the room. If another process
    // (another instance's relay slot) already has them in, leave them be: taking their nick over
    // would make the two processes remove each other's occupant at every line.
    const elsewhere = () => [...r.nicks.values()].some((jid) => this.xmpp.isRelayJid(jid) && jid.split('@')[0] === p.local && !jid.startsWith(`${p.local}@${this.xmpp.domain}/`));
    if (p.key !== 'system' && !(opts.soft && !r.occupants.get(p.key)?.joined && elsewhere())) await this.join(r, p);
    return this.full(p);
  }

  private async join(r: Room, p: Participant): Promise<void> {
    let o = r.occupants.get(p.key);
    if (!o) r.occupants.set(p.key, (o = { p, nick: null, joined: null }));
    o.p = p;
    if (!o.joined) {
      const entry = o;
      entry.joined = this.enter(r, entry).catch((err: Error) => {
        entry.joined = null;
        throw err;
      });
    }
    await o.joined;
  }

  private async enter(r: Room, o: Occupant): Promise<void> {
    const bare = `${o.p.local}@${this.xmpp.domain}`;
    if (o.p.key !== 'system' && !r.affiliated.has(bare)) {
      await this.affiliate(r, [bare], 'member');
      r.affiliated.add(bare);
    }
    const refused = new Set<string>();
    for (let attempt = 0; ; attempt++) {
      const nick = this.nickFor(r, o, refused);
      try {
        await this.presence(r, o.p, nick);
        o.nick = nick;
        return;
      } catch (err) {
        if (err instanceof XmppError && err.condition === 'jid-malformed' && !refused.has(`malformed:${o.p.key}`) && attempt < 3) {
          refused.add(`malformed:${o.p.key}`);
          continue;
        }
        if (!(err instanceof XmppError) || err.condition !== 'conflict' || attempt >= 3) throw err;
        // The nickname is taken: by this same participant from a process that died (kill -9 or
        // another relay slot: Prosody never saw it leave), which we remove; or by someone else
        // with the same name, which the next attempt's suffix avoids.
        const holder = r.nicks.get(nick);
        if (holder && this.xmpp.isRelayJid(holder) && holder.split('@')[0] === o.p.local && o.p.key !== 'system') {
          await this.xmpp.request(xml('iq', { type: 'set', to: r.jid, from: this.full(this.owner) }, xml('query', { xmlns: MUC_ADMIN }, xml('item', { nick, role: 'none' })))).catch(() => undefined);
          r.nicks.delete(nick);
        } else {
          // The owner cannot remove another owner (a dead process's, on another slot): step aside.
          refused.add(nick);
        }
      }
    }
  }

  /** The display name, unique in the room: "Anna", then "Anna (2)" for a second Anna. */
  private nickFor(r: Room, o: Occupant, refused: Set<string>): string {
    // A name Prosody still refused (jid-malformed) falls back to what the participant is.
    const plain = o.p.key === 'visitor' ? 'Visitor' : o.p.key === 'bot' ? 'Bot' : o.p.key === 'system' ? 'Switchboard' : 'Agent';
    const base = (refused.has(`malformed:${o.p.key}`) ? '' : nickOf(o.p.name)) || plain;
    const mine = (n: string) => [...r.occupants.values()].some((x) => x !== o && x.nick === n);
    const other = (n: string) => {
      const holder = r.nicks.get(n);
      return !!holder && holder.split('@')[0] !== o.p.local;
    };
    for (let k = 1; ; k++) {
      const nick = k === 1 ? base : `${base} (${k})`;
      if (mine(nick) || other(nick) || refused.has(nick)) continue;
      return nick;
    }
  }

  private presence(r: Room, p: Participant, nick: string): Promise<void> {
    const from = this.full(p);
    const key = `${r.jid}|${from}`;
    const done = new Promise<void>((resolve, reject) => {
      const cancel = this.clock.after(JOIN_TIMEOUT_MS, () => {
        this.waiters.delete(key);
        reject(new Error(`no answer from room ${r.jid}`));
      });
      this.waiters.set(key, { nick, resolve: () => (cancel(), resolve()), reject: (e) => (cancel(), reject(e)) });
    });
    // No history: MySQL is the record, and a rejoin must not replay old lines as new ones.
    try {
      this.xmpp.send(xml('presence', { from, to: `${r.jid}/${nick}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' }))));
    } catch (err) {
      // Offline: fail now, through the promise the caller holds, not later through an orphaned one.
      this.waiters.get(key)?.reject(err as Error);
      this.waiters.delete(key);
    }
    return done;
  }

  private async affiliate(r: Room, jids: string[], affiliation: 'member' | 'none'): Promise<void> {
    await this.xmpp.request(xml('iq', { type: 'set', to: r.jid, from: this.full(this.owner) }, xml('query', { xmlns: MUC_ADMIN }, ...jids.map((jid) => xml('item', { jid, affiliation })))));
  }

  /** Sends a stanza as p, joining first if needed. */
  async sendAs(roomJid: string, interactionId: string, p: Participant, build: (from: string) => XmlElement): Promise<void> {
    const from = await this.present(roomJid, interactionId, p);
    this.xmpp.send(build(from));
  }

  /** p leaves the room (an agent transferred away, a conference guest gone). */
  async leave(roomJid: string, key: string): Promise<void> {
    const r = this.rooms.get(roomJid);
    const o = r?.occupants.get(key);
    if (!r || !o) return;
    r.occupants.delete(key);
    if (o.nick && this.xmpp.isOnline) this.xmpp.send(xml('presence', { type: 'unavailable', from: this.full(o.p), to: `${roomJid}/${o.nick}` }));
  }

  /**
   * An agent's own XMPP account may take part: it becomes a member (members-only rooms refuse
   * everyone else) and is invited (XEP-0249) from the room's owner.
   */
  async addMember(roomJid: string, interactionId: string, jid: string, reason: string): Promise<void> {
    const r = this.entry(roomJid, interactionId);
    r.members.set(jid, reason);
    await this.present(roomJid, interactionId, this.owner);
    await this.affiliate(r, [jid], 'member');
    this.invite(r, jid, reason);
  }

  private invite(r: Room, jid: string, reason: string): void {
    this.xmpp.send(xml('message', { from: this.xmpp.owner, to: jid }, xml('x', { xmlns: CONFERENCE, jid: r.jid, reason: xmlText(reason) })));
  }

  /** The account is no longer a member: Prosody removes it from the room if it is in. */
  async removeMember(roomJid: string, jid: string): Promise<void> {
    const r = this.rooms.get(roomJid);
    if (!r || !r.members.delete(jid)) return;
    if (this.xmpp.isOnline) await this.affiliate(r, [jid], 'none').catch(() => undefined);
  }

  /** Destroys the room (everyone is removed, nothing kept) and forgets it. */
  async destroy(roomJid: string): Promise<void> {
    // Forget it first: if XMPP is away, a reconnection must not bring the room back.
    this.rooms.delete(roomJid);
    // A room nobody ever wrote in does not exist: nothing to do.
    await this.xmpp
      .request(xml('iq', { type: 'set', to: roomJid, from: this.xmpp.owner }, xml('query', { xmlns: MUC_OWNER }, xml('destroy', {}, xml('reason', {}, 'interaction closed')))), IQ_TIMEOUT_MS)
      .catch((err: Error & { condition?: string }) => {
        if (err.condition !== 'item-not-found') throw err;
      });
  }

  async features(roomJid: string): Promise<string[]> {
    const res = await this.xmpp.request(xml('iq', { type: 'get', to: roomJid, from: this.xmpp.owner }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })));
    return (res.getChild('query')?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? '');
  }

  joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  /**
   * Prosody forgot its rooms (or we are on another slot): build each one again, REJOIN_PARALLEL
   * rooms at a time. All at once, hundreds of rooms' presences and IQs queued behind each other
   * and timed out (5 s) before Prosody got to them; a bounded batch keeps every answer prompt.
   */
  private rejoinAll(): void {
    const queue = [...this.rooms.values()];
    const t0 = performance.now();
    let failed = 0;
    const worker = async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        if (!this.xmpp.isOnline || this.rooms.get(r.jid) !== r) continue;
        await this.rejoin(r).catch((err: Error) => {
          failed++;
          this.log.warn({ err: { message: err.message }, room: r!.jid }, 'rejoining a room failed; will retry on the next line');
        });
      }
    };
    const total = queue.length;
    void Promise.all(Array.from({ length: Math.min(REJOIN_PARALLEL, total) }, worker)).then(() => {
      if (total) this.log.info({ rooms: total, failed, ms: Math.round(performance.now() - t0) }, 'chat rooms rejoined');
    });
  }

  private async rejoin(r: Room): Promise<void> {
    r.nicks.clear();
    const participants = [...r.occupants.values()].map((o) => o.p).filter((p) => p.key !== 'system');
    const members = [...r.members];
    await this.present(r.jid, r.interactionId, this.owner);
    if (members.length) {
      await this.affiliate(r, members.map(([jid]) => jid), 'member');
      for (const [jid, reason] of members) this.invite(r, jid, reason);
    }
    await Promise.all(participants.map((p) => this.join(r, p)));
  }

  /**
   * Reads a presence: room bookkeeping (nicks and real JIDs as our owner sees them, joins we wait
   * for, removals). Null when the stanza is not a presence; `joined` when the owner sees a nick
   * enter that was not in the room.
   */
  onPresence(stanza: XmlElement): { joined?: { room: string; nick: string; realJid: string } } | null {
    if (stanza.name !== 'presence') return null;
    const from = stanza.attrs.from ?? '';
    const slash = from.indexOf('/');
    const roomJid = slash < 0 ? from : from.slice(0, slash);
    const nick = slash < 0 ? '' : from.slice(slash + 1);
    const to = stanza.attrs.to ?? '';
    const r = this.rooms.get(roomJid);
    const w = this.waiters.get(`${roomJid}|${to}`);
    const type = stanza.attrs.type;
    if (type === 'error') {
      if (w && w.nick === nick) {
        this.waiters.delete(`${roomJid}|${to}`);
        const err = stanza.getChild('error');
        const condition = err?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === 'urn:ietf:params:xml:ns:xmpp-stanzas')?.name;
        w.reject(new XmppError(`room ${roomJid} refused ${nick}: ${condition ?? 'error'}`, condition));
      }
      return {};
    }
    const x = stanza.getChild('x', MUC_USER);
    const self = !!x?.getChildren('status').some((s) => s.attrs.code === '110');
    let joined: { room: string; nick: string; realJid: string } | undefined;
    if (r && to === this.full(this.owner)) {
      const real = x?.getChild('item')?.attrs.jid;
      if (type === 'unavailable') r.nicks.delete(nick);
      else if (real) {
        if (!r.nicks.has(nick)) joined = { room: roomJid, nick, realJid: real };
        r.nicks.set(nick, real);
      }
    }
    if (type === 'unavailable') {
      if (self && r && !w) {
        // Removed (room destroyed elsewhere, kicked): the owner gone means the room is gone.
        const mine = [...r.occupants.entries()].find(([, o]) => this.full(o.p) === to);
        if (mine?.[0] === 'system' || x?.getChild('destroy')) this.rooms.delete(roomJid);
        else if (mine) mine[1].joined = null;
      }
      return {};
    }
    if (w && (self || w.nick === nick)) {
      this.waiters.delete(`${roomJid}|${to}`);
      w.resolve();
    }
    return { joined };
  }
}
