import { client, xml, type XmlElement, type XmppClient } from '@xmpp/client';
import type { SwitchboardFile } from '../../config/schema.js';
import type { Logger } from '../../logger.js';

export const MUC = 'http://jabber.org/protocol/muc';
const MUC_USER = 'http://jabber.org/protocol/muc#user';
const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
const JOIN_TIMEOUT_MS = 5000;
const MIN_RECONNECT_MS = 250;
const MAX_RECONNECT_MS = 2000;

type StanzaHandler = (stanza: XmlElement) => void;

/**
 * The server's own XMPP session (the service account), used to create, join and close chat
 * rooms. @xmpp/client reconnects by itself with backoff; on every (re)connection the rooms this
 * process was in are joined again, since Prosody forgets non-persistent rooms when it restarts.
 */
export class XmppConnection {
  private xmpp: XmppClient | undefined;
  private online = false;
  private lastError: string | null = null;
  /** Rooms (bare JIDs) this process is in or joining, with the nickname it uses there. */
  private readonly rooms = new Map<string, { nick: string; joined: Promise<void> | null }>();
  private readonly joinWaiters = new Map<string, { resolve: () => void; reject: (e: Error) => void }>();
  private readonly stanzaHandlers = new Set<StanzaHandler>();
  private readonly onlineHandlers = new Set<() => void>();

  constructor(private readonly cfg: SwitchboardFile['xmpp'], private readonly log: Logger) {}

  start(): void {
    const loopback = ['127.0.0.1', '::1', 'localhost'].includes(this.cfg.host);
    const options = {
      service: `xmpp://${this.cfg.host}:${this.cfg.port}`,
      domain: this.cfg.domain,
      username: this.cfg.serviceUser,
      password: this.cfg.servicePassword,
      resource: `switchboard-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
      // SCRAM in @xmpp/client is pure JavaScript PBKDF2: 2-5 s of CPU per login, which is most of a
      // reconnection. On the loopback socket (nothing to sniff) PLAIN logs in at once.
      credentials: async (authenticate: (c: { username: string; password: string }, mechanism: string) => Promise<void>, mechanisms: string[]) => {
        const mechanism = loopback && mechanisms.includes('PLAIN') ? 'PLAIN' : (mechanisms.find((m) => m !== 'PLAIN') ?? mechanisms[0]!);
        await authenticate({ username: this.cfg.serviceUser, password: this.cfg.servicePassword }, mechanism);
      },
    };
    const xmpp = client(options);
    this.xmpp = xmpp;
    xmpp.on('online', () => {
      this.online = true;
      xmpp.reconnect.delay = MIN_RECONNECT_MS;
      this.lastError = null;
      this.log.info({ rooms: this.rooms.size }, 'xmpp online');
      // Joins of the previous connection died with it; join every room again.
      for (const r of this.rooms.values()) r.joined = null;
      for (const w of this.joinWaiters.values()) w.reject(new Error('xmpp reconnected'));
      this.joinWaiters.clear();
      for (const [room, r] of this.rooms) {
        this.join(room, r.nick).catch((err: Error) => this.log.warn({ err: { message: err.message }, room }, 'rejoining a room failed; will retry on the next line'));
      }
      for (const h of this.onlineHandlers) h();
    });
    xmpp.on('offline', () => this.wentOffline());
    xmpp.on('disconnect', () => {
      this.wentOffline();
      // Backoff between attempts, kept short: chat lines wait in MySQL until the relay is back.
      xmpp.reconnect.delay = Math.min(xmpp.reconnect.delay * 2, MAX_RECONNECT_MS);
    });
    xmpp.on('stanza', (stanza: XmlElement) => this.onStanza(stanza));
    xmpp.on('status', (status: string) => this.log.debug({ status }, 'xmpp status'));
    xmpp.on('error', (err: Error) => {
      this.lastError = err.message;
      this.log.warn({ err: { message: err.message } }, 'xmpp error');
    });
    xmpp.reconnect.delay = MIN_RECONNECT_MS / 2;
    // The first connection attempt failing is not fatal: the reconnect loop keeps trying and
    // /ready reports XMPP as not ready meanwhile.
    xmpp.start().catch((err: Error) => {
      this.lastError = err.message;
      this.log.warn({ err: { message: err.message } }, 'xmpp first connection failed; retrying');
    });
  }

  private wentOffline(): void {
    this.online = false;
    for (const r of this.rooms.values()) r.joined = null;
  }

  status(): { ok: boolean; error?: string } {
    return this.online ? { ok: true } : { ok: false, error: this.lastError ?? 'not connected' };
  }

  get isOnline(): boolean {
    return this.online;
  }

  /** Our own full JID, to recognise what we sent when the room reflects it. */
  get jid(): string | undefined {
    return this.xmpp?.jid?.toString();
  }

  onMessage(h: StanzaHandler): () => void {
    this.stanzaHandlers.add(h);
    return () => this.stanzaHandlers.delete(h);
  }

  /** Called after each (re)connection, once the session is usable. */
  onOnline(h: () => void): () => void {
    this.onlineHandlers.add(h);
    return () => this.onlineHandlers.delete(h);
  }

  /**
   * Joins (creating it if needed: we are its owner) and resolves once Prosody confirmed our
   * presence in the room. Rooms are members-only by the server's default room configuration.
   */
  async join(room: string, nick: string): Promise<void> {
    let r = this.rooms.get(room);
    if (!r) this.rooms.set(room, (r = { nick, joined: null }));
    if (!r.joined) {
      const entry = r;
      entry.joined = this.sendJoin(room, entry.nick).catch((err: Error) => {
        entry.joined = null;
        throw err;
      });
    }
    await r.joined;
  }

  private sendJoin(room: string, nick: string): Promise<void> {
    const x = this.usable();
    const done = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => {
        this.joinWaiters.delete(room);
        reject(new Error(`no answer from room ${room}`));
      }, JOIN_TIMEOUT_MS);
      this.joinWaiters.set(room, {
        resolve: () => (clearTimeout(t), resolve()),
        reject: (e) => (clearTimeout(t), reject(e)),
      });
    });
    // No history: MySQL is the record, and a rejoin must not replay old lines as new ones.
    x.send(xml('presence', { to: `${room}/${nick}` }, xml('x', { xmlns: MUC }, xml('history', { maxstanzas: '0' })))).catch((err: Error) => {
      this.joinWaiters.get(room)?.reject(err);
      this.joinWaiters.delete(room);
    });
    return done;
  }

  /** Sends a groupchat message into a room we are in (joining it first). */
  async sendToRoom(room: string, nick: string, message: XmlElement): Promise<void> {
    await this.join(room, nick);
    await this.usable().send(message);
  }

  /** Destroys the room (members are kicked, nothing kept) and forgets it. */
  async destroy(room: string): Promise<void> {
    // Forget it first: if XMPP is away, a reconnection must not bring the room back.
    this.rooms.delete(room);
    // Owners may destroy without being in the room (the same account owns it on every instance).
    // A room nobody ever wrote in does not exist: nothing to do.
    await this.usable()
      .iqCaller.request(xml('iq', { type: 'set', to: room }, xml('query', { xmlns: MUC_OWNER }, xml('destroy', {}, xml('reason', {}, 'interaction closed')))), JOIN_TIMEOUT_MS)
      .catch((err: Error & { condition?: string }) => {
        if (err.condition !== 'item-not-found') throw err;
      });
  }

  /** The room's disco#info features (e.g. muc_membersonly), for checks and tests. */
  async roomFeatures(room: string): Promise<string[]> {
    const res = await this.usable().iqCaller.request(xml('iq', { type: 'get', to: room }, xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' })), JOIN_TIMEOUT_MS);
    return (res.getChild('query')?.getChildren('feature') ?? []).map((f) => f.attrs.var ?? '');
  }

  joinedRooms(): string[] {
    return [...this.rooms.keys()];
  }

  private usable(): XmppClient {
    if (!this.xmpp || !this.online) throw new Error('xmpp not connected');
    return this.xmpp;
  }

  private onStanza(stanza: XmlElement): void {
    const from = stanza.attrs.from ?? '';
    const room = from.split('/')[0]!;
    if (stanza.is('presence')) {
      const x = stanza.getChild('x', MUC_USER);
      const self = x?.getChildren('status').some((s) => s.attrs.code === '110');
      // We were removed (room destroyed by another instance, kicked): stop rejoining it.
      if (stanza.attrs.type === 'unavailable' && self && !this.joinWaiters.has(room)) this.rooms.delete(room);
      const w = this.joinWaiters.get(room);
      if (!w) return;
      if (stanza.attrs.type === 'error') {
        this.joinWaiters.delete(room);
        w.reject(new Error(`room ${room} refused us: ${stanza.getChild('error')?.toString() ?? 'error'}`));
      } else if (self && stanza.attrs.type !== 'unavailable') {
        this.joinWaiters.delete(room);
        w.resolve();
      }
      return;
    }
    if (stanza.is('message') && stanza.attrs.type === 'error') {
      // A line the room refused (not in the room, room gone): it stays stored and is sent again.
      this.log.warn({ room, error: stanza.getChild('error')?.toString().slice(0, 300) }, 'room refused a message');
      return;
    }
    if (stanza.is('message') && stanza.attrs.type === 'groupchat') {
      for (const h of this.stanzaHandlers) {
        try {
          h(stanza);
        } catch (err) {
          this.log.error({ err, room }, 'xmpp message handler failed');
        }
      }
    }
  }

  async stop(): Promise<void> {
    const x = this.xmpp;
    this.xmpp = undefined;
    this.online = false;
    if (!x) return;
    x.reconnect.removeAllListeners();
    await Promise.race([x.stop().catch(() => undefined), new Promise((r) => setTimeout(r, 1000))]);
  }
}
