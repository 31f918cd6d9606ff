import { createHash } from 'node:crypto';
import net from 'node:net';
import { xml, type XmlElement } from '@xmpp/client';
import type { SwitchboardFile } from '../../kernel/config/schema.js';
import type { Logger } from '../../kernel/logger.js';
import { RELAY_SLOTS, componentSecret, relayDomain, relayOwner } from './prosody-config.js';

const STREAMS = 'http://etherx.jabber.org/streams';
const STREAM_ERRORS = 'urn:ietf:params:xml:ns:xmpp-streams';
const STANZA_ERRORS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const MIN_RECONNECT_MS = 250;
const MAX_RECONNECT_MS = 2000;
export const IQ_TIMEOUT_MS = 5000;

type StanzaHandler = (stanza: XmlElement) => void;

interface ParserLike {
  on(event: 'start' | 'element' | 'end', h: (el: XmlElement) => void): void;
  on(event: 'error', h: (err: Error) => void): void;
  write(s: string): void;
}
/** @xmpp/xml's streaming parser (the same one @xmpp/client uses), reached through its `xml` export. */
const Parser = (xml as unknown as { Parser: new () => ParserLike }).Parser;

/** An IQ the other side answered with `type=error`; `condition` is the stanza error's name. */
export class XmppError extends Error {
  constructor(message: string, readonly condition: string | undefined) {
    super(message);
  }
}

/**
 * The server's XMPP connection: a component (XEP-0114) on Prosody, so it can be any JID of its
 * domain — each visitor, agent and bot of a chat is an occupant of its own in the room. Prosody lets
 * one connection hold a component domain; the configuration declares RELAY_SLOTS of them and a
 * process takes the first one Prosody does not refuse with `conflict` (so test servers and several
 * instances can share one Prosody). Reconnects with a short backoff, trying its last slot first.
 */
export class XmppConnection {
  private socket: net.Socket | undefined;
  private online = false;
  private stopped = false;
  private lastError: string | null = null;
  private slot = 1;
  private tried = 0;
  private delay = MIN_RECONNECT_MS;
  private timer: NodeJS.Timeout | undefined;
  private nextId = 0;
  private readonly pending = new Map<string, { resolve: (el: XmlElement) => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>();
  private readonly stanzaHandlers = new Set<StanzaHandler>();
  private readonly onlineHandlers = new Set<() => void>();
  private readonly offlineHandlers = new Set<() => void>();
  private corked = false;

  constructor(readonly cfg: SwitchboardFile['xmpp'], private readonly log: Logger) {}

  start(): void {
    this.stopped = false;
    this.connect();
  }

  /** The component domain this process holds (valid while online). */
  get domain(): string {
    return relayDomain(this.cfg, this.slot);
  }

  /** The JID that creates and owns rooms (an admin in Prosody's configuration). */
  get owner(): string {
    return relayOwner(this.cfg, this.slot);
  }

  /** Whether a JID is one of ours, on any slot (a previous process's occupant, for example). */
  isRelayJid(jid: string): boolean {
    const domain = jid.split('/')[0]!.split('@').pop()!;
    return /^relay-\d+\./.test(domain) && domain.slice(domain.indexOf('.') + 1) === this.cfg.domain;
  }

  private connect(): void {
    if (this.stopped) return;
    const domain = relayDomain(this.cfg, this.slot);
    const socket = net.connect({ host: this.cfg.host, port: this.cfg.componentPort });
    socket.setNoDelay(true);
    this.socket = socket;
    const parser = new Parser();
    let conflict = false;
    parser.on('start', (el) => {
      const hash = createHash('sha1').update(`${el.attrs.id ?? ''}${componentSecret(this.cfg)}`).digest('hex');
      socket.write(`<handshake>${hash}</handshake>`);
    });
    parser.on('element', (el) => {
      if (el.name === 'handshake') return this.wentOnline();
      if (el.is('error', STREAMS)) {
        const condition = el.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STREAM_ERRORS)?.name;
        conflict = condition === 'conflict';
        this.lastError = `stream error ${condition ?? '?'} on ${domain}${condition === 'not-authorized' ? ' (component secret differs: regenerate Prosody\'s configuration)' : ''}${condition === 'host-unknown' ? ' (Prosody\'s configuration has no relay components: regenerate it and restart Prosody)' : ''}`;
        if (!conflict) this.log.warn({ error: this.lastError }, 'xmpp component refused');
        socket.destroy();
        return;
      }
      this.onStanza(el);
    });
    parser.on('error', (err) => {
      this.lastError = `unreadable XML from Prosody: ${err.message}`;
      socket.destroy();
    });
    socket.on('connect', () => {
      socket.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='${STREAMS}' to='${domain}'>`);
    });
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => parser.write(d));
    socket.on('error', (err) => (this.lastError = err.message));
    socket.on('close', () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      const was = this.online;
      this.wentOffline();
      if (this.stopped) return;
      if (conflict && !was) {
        // Another process holds this slot: try the next one at once, and back off only after a full round.
        this.slot = (this.slot % RELAY_SLOTS) + 1;
        if (++this.tried < RELAY_SLOTS) return this.connect();
        this.lastError = `all ${RELAY_SLOTS} relay slots are taken by other processes`;
      }
      this.tried = 0;
      this.timer = setTimeout(() => this.connect(), this.delay);
      this.delay = Math.min(this.delay * 2, MAX_RECONNECT_MS);
    });
  }

  private wentOnline(): void {
    this.online = true;
    this.tried = 0;
    this.delay = MIN_RECONNECT_MS;
    this.lastError = null;
    this.log.info({ domain: this.domain }, 'xmpp component online');
    for (const h of this.onlineHandlers) h();
  }

  private wentOffline(): void {
    if (!this.online && !this.pending.size) return;
    this.online = false;
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      p.reject(new Error('xmpp connection lost'));
      this.pending.delete(id);
    }
    for (const h of this.offlineHandlers) h();
  }

  status(): { ok: boolean; error?: string } {
    return this.online ? { ok: true } : { ok: false, error: this.lastError ?? 'not connected' };
  }

  get isOnline(): boolean {
    return this.online;
  }

  onMessage(h: StanzaHandler): () => void {
    this.stanzaHandlers.add(h);
    return () => this.stanzaHandlers.delete(h);
  }

  /** Called after each (re)connection, once the component is accepted. */
  onOnline(h: () => void): () => void {
    this.onlineHandlers.add(h);
    return () => this.onlineHandlers.delete(h);
  }

  onOffline(h: () => void): () => void {
    this.offlineHandlers.add(h);
    return () => this.offlineHandlers.delete(h);
  }

  /**
   * Writes a stanza; throws when offline (the caller's line stays stored and is sent again).
   * Writes of one tick leave in one TCP segment: under load that is most of the relay's syscalls.
   */
  send(el: XmlElement): void {
    const socket = this.socket;
    if (!socket || !this.online) throw new Error('xmpp not connected');
    if (!this.corked) {
      this.corked = true;
      socket.cork();
      process.nextTick(() => {
        this.corked = false;
        socket.uncork();
      });
    }
    socket.write(el.toString());
  }

  /** Sends an IQ and resolves with the result; an error answer rejects with its condition. */
  request(iq: XmlElement, timeoutMs = IQ_TIMEOUT_MS): Promise<XmlElement> {
    const id = `sb${++this.nextId}`;
    iq.attrs.id = id;
    return new Promise<XmlElement>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`no answer from ${iq.attrs.to} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { resolve, reject, timer });
      try {
        this.send(iq);
      } catch (err) {
        clearTimeout(timer);
        this.pending.delete(id);
        reject(err as Error);
      }
    });
  }

  private onStanza(stanza: XmlElement): void {
    if (stanza.name === 'iq' && (stanza.attrs.type === 'result' || stanza.attrs.type === 'error')) {
      const p = this.pending.get(stanza.attrs.id ?? '');
      if (!p) return;
      this.pending.delete(stanza.attrs.id!);
      clearTimeout(p.timer);
      if (stanza.attrs.type === 'result') return p.resolve(stanza);
      const err = stanza.getChild('error');
      const condition = err?.children.find((c): c is XmlElement => typeof c !== 'string' && c.attrs.xmlns === STANZA_ERRORS)?.name;
      return p.reject(new XmppError(err?.getChildText('text', STANZA_ERRORS) ?? `${stanza.attrs.from} answered ${condition ?? 'an error'}`, condition));
    }
    if (stanza.name === 'iq' && (stanza.attrs.type === 'get' || stanza.attrs.type === 'set')) {
      // Nothing is served here (pings included): say so rather than leave the asker waiting.
      const { from, to, id } = stanza.attrs;
      if (this.online) this.send(xml('iq', { type: 'error', from: to, to: from, id }, xml('error', { type: 'cancel' }, xml('service-unavailable', { xmlns: STANZA_ERRORS }))));
      return;
    }
    for (const h of this.stanzaHandlers) {
      try {
        h(stanza);
      } catch (err) {
        this.log.error({ err, from: stanza.attrs.from }, 'xmpp stanza handler failed');
      }
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    const socket = this.socket;
    this.socket = undefined;
    this.wentOffline();
    if (!socket) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => (socket.destroy(), resolve()), 1000);
      socket.once('close', () => (clearTimeout(t), resolve()));
      socket.end('</stream:stream>');
    });
  }
}
