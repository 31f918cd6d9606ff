// The transaction user boundary: turns transport messages into transactions, routes in-dialog
// requests to dialogs, and refuses what cannot be processed. Nothing thrown while handling one
// message escapes to the socket callback: it is logged, and the message is answered 500 if it can.
import type { Logger } from 'pino';
import {
  type SipMessage, type SipRequest, type SipResponse, type NameAddr,
  makeResponse, newBranch, parseMessage, parseUri, stringify, REASONS,
} from './message.js';
import {
  ClientTransaction, ServerTransaction, clientKey, serverKey,
  type ClientTransactionHandlers, type TimerConfig, type TransactionEvent, type TransactionObserver,
} from './transaction/transactions.js';
import { Transports } from './transport/transports.js';
import type { Flow, ListenOptions, TransportProtocol } from './transport/types.js';

export interface StackUser {
  /** A new request outside any transaction; `tx` is undefined for ACK (2xx). */
  onRequest(req: SipRequest, flow: Flow, tx: ServerTransaction | undefined): void;
  /** CANCEL matched an INVITE still in progress (after 200 to the CANCEL was sent). */
  onCancel(invite: ServerTransaction, cancel: SipRequest): void;
  /** A 2xx whose INVITE transaction is gone (retransmission): the dialog re-ACKs it. */
  onStray2xx(res: SipResponse, flow: Flow): void;
  onConnectionClosed(flow: Flow): void;
}

export class SipStack {
  readonly transports: Transports;
  private readonly servers = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly contacts = new Map<string, NameAddr[]>();
  private readonly observers = new Set<TransactionObserver>();
  user?: StackUser;

  constructor(
    listen: ListenOptions,
    readonly timers: TimerConfig,
    private readonly log: Logger,
  ) {
    this.transports = new Transports(listen);
    this.transports.on('message', (data, flow, fatal) => this.receive(data, flow, fatal));
    this.transports.on('connection-closed', (flow) => this.user?.onConnectionClosed(flow));
    this.transports.on('error', (err) => this.log.warn({ err }, 'transport error'));
  }

  /** Calls `fn` as transactions begin and end (for metrics) until the answer is called. */
  observe(fn: TransactionObserver): () => void {
    this.observers.add(fn);
    return () => this.observers.delete(fn);
  }

  private observed(direction: 'in' | 'out', req: SipRequest, tx: { onFinal?: (status: number) => void }): void {
    if (!this.observers.size) return;
    const e: TransactionEvent = { direction, method: req.method, ...(req.method === 'INVITE' ? { initial: !req.headers.to.params.tag } : {}) };
    const tell = (ev: TransactionEvent) => {
      for (const o of this.observers) o(ev);
    };
    tell(e);
    tx.onFinal = (status) => tell({ ...e, status });
  }

  get transactionCount(): number {
    return this.servers.size + this.clients.size;
  }

  /** Sends a message, or one already serialised (transactions keep what they sent for resending). */
  readonly send = (m: SipMessage | string, flow: Flow): boolean => {
    try {
      const text = typeof m === 'string' ? m : stringify(m);
      if (this.log.isLevelEnabled('trace')) this.log.trace({ flow, sip: text }, 'sending');
      return this.transports.send(text, flow);
    } catch (err) {
      this.log.warn({ err }, 'send failed');
      return false;
    }
  };

  /** Via sent-by and Contact for messages leaving on `protocol`. */
  local(protocol: TransportProtocol, secure = false): { host: string; port: number; transport: string } {
    if (protocol === 'ws' && secure && this.transports.securePort) {
      return { host: this.transports.advertisedHost, port: this.transports.securePort, transport: 'WSS' };
    }
    const port = this.transports.port(protocol) ?? this.transports.port('udp') ?? 5060;
    return { host: this.transports.advertisedHost, port, transport: protocol.toUpperCase() };
  }

  /**
   * Our Contact for messages on `flow`. The same few values go into every INVITE, 200 and dialog,
   * so they are made once per transport and user, and frozen: a header shared this way must never
   * be changed in place.
   */
  contactFor(flow: Flow, user = 'switchboard'): NameAddr[] {
    const key = `${flow.protocol}|${flow.secure ? 's' : ''}|${user}`;
    let contact = this.contacts.get(key);
    if (!contact) {
      const l = this.local(flow.protocol, flow.secure);
      const transport = flow.protocol === 'udp' ? '' : `;transport=${l.transport.toLowerCase()}`;
      contact = Object.freeze([Object.freeze({ uri: `sip:${user}@${l.host}:${l.port}${transport}`, params: Object.freeze({}) })]) as NameAddr[];
      // Users are extensions and a handful of names; the bound only guards against a surprise.
      if (this.contacts.size < 10_000) this.contacts.set(key, contact);
    }
    return contact;
  }

  private receive(data: Buffer, flow: Flow, fatal: boolean): void {
    let parsed;
    try {
      parsed = parseMessage(data);
    } catch (err) {
      this.log.warn({ err }, 'parser threw');
      return;
    }
    if (!parsed.ok) {
      this.log.debug({ reason: parsed.reason, flow }, 'malformed message');
      if (parsed.respondable && parsed.respondable.method !== 'ACK') {
        this.send(makeResponse(parsed.respondable, 400, `Bad Request (${parsed.reason})`), flow);
      }
      return;
    }
    if (fatal) return; // framing broke after a parseable head: nothing to trust on this stream
    const m = parsed.message;
    if (this.log.isLevelEnabled('trace')) this.log.trace({ flow, sip: data.toString('binary') }, 'received');
    try {
      if (m.kind === 'request') this.receiveRequest(m, flow);
      else this.receiveResponse(m, flow);
    } catch (err) {
      this.log.error({ err, callId: m.headers['call-id'] }, 'error handling message');
      if (m.kind === 'request' && m.method !== 'ACK') this.send(makeResponse(m, 500, 'Server Internal Error'), flow);
    }
  }

  private receiveRequest(req: SipRequest, flow: Flow): void {
    const top = req.headers.via[0]!;
    // §18.2.1 / RFC 3581: remember where it really came from.
    if (top.host !== flow.address) top.params.received = flow.address;
    if ('rport' in top.params) top.params.rport = String(flow.port);

    const key = serverKey(req);
    const existing = this.servers.get(key);
    if (req.method === 'ACK') {
      if (existing && existing.lastStatus !== undefined && existing.lastStatus >= 300) {
        existing.onAck();
        return;
      }
      this.user?.onRequest(req, flow, undefined);
      return;
    }
    if (existing) {
      existing.onRetransmission();
      return;
    }
    if (req.method === 'CANCEL') {
      const invite = this.servers.get(`${key.slice(0, key.lastIndexOf('|'))}|INVITE`);
      const tx = this.createServer(req, flow, key);
      if (!invite) {
        tx.respond(makeResponse(req, 481, REASONS[481]!));
        return;
      }
      tx.respond(makeResponse(req, 200, 'OK'));
      if (invite.state === 'proceeding') this.user?.onCancel(invite, req);
      return;
    }
    const tx = this.createServer(req, flow, key);
    // §17.2.1: 100 Trying only when the TU has not answered within 100 ms (the RFC allows 200) —
    // usually a 180 or a challenge goes out first, which saves a message per call both ways.
    if (req.method === 'INVITE') tx.tryingAfter(100, () => makeResponse(req, 100, 'Trying'));
    if (!this.user) {
      tx.respond(makeResponse(req, 503, 'Service Unavailable'));
      return;
    }
    this.user.onRequest(req, flow, tx);
  }

  private receiveResponse(res: SipResponse, flow: Flow): void {
    const tx = this.clients.get(clientKey(res));
    if (tx) {
      tx.receive(res);
      return;
    }
    if (res.headers.cseq.method === 'INVITE' && res.status >= 200 && res.status < 300) this.user?.onStray2xx(res, flow);
  }

  private createServer(req: SipRequest, flow: Flow, parsedKey = serverKey(req)): ServerTransaction {
    // The key is cut from the received datagram, and V8 keeps a whole string alive for any piece
    // of it: a copy stops 32 s of transaction bookkeeping from holding every request's text.
    const key = Buffer.from(parsedKey, 'latin1').toString('latin1');
    const tx = new ServerTransaction(req, flow, this.send, this.timers, (t) => {
      if (this.servers.get(key) === t) this.servers.delete(key);
    });
    this.servers.set(key, tx);
    this.observed('in', req, tx);
    return tx;
  }

  /** Puts our Via on a request about to be sent (and Max-Forwards); returns its branch. */
  stampVia(req: SipRequest, flow: Flow, branch = newBranch()): string {
    const l = this.local(flow.protocol, flow.secure);
    req.headers.via = [{ version: '2.0', protocol: l.transport, host: l.host, port: l.port, params: { branch, rport: null } }];
    req.headers['max-forwards'] ??= '70';
    return branch;
  }

  /** Adds our Via (new branch unless `branch` given) and starts a client transaction. */
  sendRequest(req: SipRequest, flow: Flow, handlers: ClientTransactionHandlers, branch = newBranch()): ClientTransaction {
    this.stampVia(req, flow, branch);
    const key = clientKey(req);
    // 2xx retransmissions after the first find their dialog through the engine, as strays do.
    if (req.method === 'INVITE' && !handlers.onStray2xx) handlers.onStray2xx = (res) => this.user?.onStray2xx(res, flow);
    const tx = new ClientTransaction(req, flow, this.send, this.timers, handlers, (t) => {
      if (this.clients.get(key) === t) this.clients.delete(key);
    });
    this.clients.set(key, tx);
    this.observed('out', req, tx);
    tx.start();
    return tx;
  }

  /** ACK for 2xx is its own transaction-less request (§13.2.2.4). */
  sendAck(ack: SipRequest, flow: Flow): void {
    const l = this.local(flow.protocol, flow.secure);
    ack.headers.via = [{ version: '2.0', protocol: l.transport, host: l.host, port: l.port, params: { branch: newBranch(), rport: null } }];
    ack.headers['max-forwards'] ??= '70';
    this.send(ack, flow);
  }

  /** CANCEL for a pending INVITE client transaction: same branch, §9.1. */
  sendCancel(invite: SipRequest, flow: Flow, handlers: ClientTransactionHandlers): ClientTransaction {
    const branch = invite.headers.via[0]!.params.branch!;
    const cancel: SipRequest = {
      kind: 'request',
      method: 'CANCEL',
      uri: invite.uri,
      version: '2.0',
      headers: {
        via: [],
        from: invite.headers.from,
        to: invite.headers.to,
        'call-id': invite.headers['call-id'],
        cseq: { seq: invite.headers.cseq.seq, method: 'CANCEL' },
        ...(invite.headers.route ? { route: invite.headers.route } : {}),
      },
      body: '',
    };
    return this.sendRequest(cancel, flow, handlers, branch);
  }

  async listen(): Promise<void> {
    await this.transports.listen();
    this.contacts.clear(); // ports are known only now
  }

  async close(): Promise<void> {
    for (const t of [...this.servers.values()]) t.terminate();
    for (const t of [...this.clients.values()]) t.terminate();
    await this.transports.close();
  }
}

/** Where a SIP URI points: host, port and transport from the URI itself (no DNS SRV/NAPTR). */
export function flowForUri(uri: string): Flow | undefined {
  const u = parseUri(uri);
  if (!u) return undefined;
  const t = (u.params.transport ?? 'udp').toLowerCase();
  const protocol: TransportProtocol = t === 'tcp' ? 'tcp' : t === 'ws' || t === 'wss' ? 'ws' : 'udp';
  return { protocol, address: u.host, port: u.port || 5060 };
}
