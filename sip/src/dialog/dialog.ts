// One SIP dialog (RFC 3261 §12), UAS or UAC side, after the INVITE was answered 2xx.
// In-dialog requests are addressed by the remote target and route set (route-set.ts) and sent
// to the first Route, or to the remote target when there is none. A WebSocket peer is the
// exception: it is reachable only through its connection (RFC 7118 §5), so its requests go there.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NameAddr, SipRequest, SipResponse } from '../message.js';
import { REASONS } from '../message.js';
import type { Credentials } from '../auth/digest.js';
import { sendClientRequest } from '../client-request.js';
import type { IncomingRequest, ServerResponse } from '../request.js';
import type { SipStack } from '../stack.js';
import type { Flow } from '../transport/types.js';
import { isReliable } from '../transport/types.js';
import { bumpOriginVersion, setDirection } from '../sdp.js';
import { flowForUri } from '../stack.js';
import { requestTarget, type RequestTarget } from './route-set.js';

export type DialogSide = 'uas' | 'uac';
export type DialogState = 'confirmed' | 'terminated';

export type DestroyCause =
  | { by: 'remote'; request: SipRequest }
  | { by: 'local' }
  /** UAS: the ACK for our 2xx never came (64*T1). */
  | { by: 'ack-timeout' }
  /** A WebSocket/TCP peer disconnected mid-call. */
  | { by: 'transport' };

export interface DialogEvents {
  destroy: [cause: DestroyCause];
  /** A re-INVITE. Without a listener it is answered 200 with our current SDP. */
  modify: [req: IncomingRequest, res: ServerResponse];
  refer: [req: IncomingRequest, res: ServerResponse];
  info: [req: IncomingRequest, res: ServerResponse];
  notify: [req: IncomingRequest, res: ServerResponse];
  message: [req: IncomingRequest, res: ServerResponse];
  /** The ACK that confirms our 2xx (initial INVITE or re-INVITE). */
  ack: [ack: SipRequest];
}

export interface DialogHost {
  readonly stack: SipStack;
  readonly log: Logger;
  removeDialog(d: Dialog): void;
}

export interface DialogInit {
  side: DialogSide;
  callId: string;
  local: NameAddr;
  remote: NameAddr;
  remoteTarget: string;
  /** In the order requests carry it: the request's Record-Route (UAS), the 2xx's reversed (UAC). */
  routeSet: NameAddr[];
  flow: Flow;
  localCseq: number;
  /** The peer's CSeq so far; undefined on the UAC side until the peer sends a request. */
  remoteCseq: number | undefined;
  localSdp: string;
  remoteSdp: string;
  credentials?: Credentials;
  contact: NameAddr[];
}

/**
 * What another process needs to end this dialog with a BYE of its own (RFC 3261 §12.2.1.1):
 * ids and tags, the remote target, the route set, our CSeq so far, where requests go and our
 * Contact. Plain data, kept outside the process (it must survive a crash).
 */
export interface DialogSnapshot {
  side: DialogSide;
  callId: string;
  local: NameAddr;
  remote: NameAddr;
  remoteTarget: string;
  routeSet: NameAddr[];
  localCseq: number;
  /** The flow without its connection: a TCP or WebSocket connection dies with the process. */
  flow: Flow;
  contact: NameAddr[];
}

export class Dialog extends EventEmitter<DialogEvents> {
  readonly side: DialogSide;
  readonly callId: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  /** The peer's Contact; target refresh requests and their 2xx replace it (§12.2). */
  remoteTarget: string;
  readonly routeSet: readonly NameAddr[];
  /** The flow the dialog was set up on (a WebSocket peer's only way back). */
  readonly flow: Flow;
  localSdp: string;
  remoteSdp: string;
  state: DialogState = 'confirmed';
  /** True while the confirming ACK for our last 2xx is outstanding. */
  awaitingAck = false;
  private localCseq: number;
  private remoteCseq: number | undefined;
  /** CSeq of the INVITE whose 2xx awaits its ACK. */
  private ackCseq?: number;
  private inviteInProgress = false;
  private target?: RequestTarget & { remoteTarget: string; flow: Flow };
  private retransmit?: NodeJS.Timeout;
  private ackTimeout?: NodeJS.Timeout;
  private readonly credentials: Credentials | undefined;
  readonly contact: NameAddr[];
  /** Call-ID, local tag, remote tag: how the engine finds this dialog (fixed for its life). */
  readonly id: string;

  constructor(
    private readonly host: DialogHost,
    init: DialogInit,
  ) {
    super();
    this.side = init.side;
    this.callId = init.callId;
    this.local = init.local;
    this.remote = init.remote;
    this.remoteTarget = init.remoteTarget;
    this.routeSet = init.routeSet;
    this.flow = init.flow;
    this.localCseq = init.localCseq;
    this.remoteCseq = init.remoteCseq;
    this.localSdp = init.localSdp;
    this.remoteSdp = init.remoteSdp;
    this.credentials = init.credentials;
    this.contact = init.contact;
    this.id = `${this.callId};${this.localTag};${this.remoteTag}`;
  }

  get localTag(): string {
    return this.local.params.tag ?? '';
  }

  snapshot(): DialogSnapshot {
    const { protocol, address, port } = this.flow;
    return {
      side: this.side, callId: this.callId, local: this.local, remote: this.remote, remoteTarget: this.remoteTarget,
      routeSet: [...this.routeSet], localCseq: this.localCseq, flow: { protocol, address, port }, contact: this.contact,
    };
  }

  /**
   * A dialog rebuilt from a snapshot taken by another process (or an earlier run of this one),
   * only to send it a BYE: the engine does not hold it and no request reaches it.
   */
  static fromSnapshot(host: DialogHost, snap: DialogSnapshot): Dialog {
    return new Dialog(host, { ...snap, remoteCseq: undefined, localSdp: '', remoteSdp: '' });
  }
  get remoteTag(): string {
    return this.remote.params.tag ?? '';
  }

  /** Request-URI, Route and next hop for the current remote target (kept until it changes). */
  private addressing(): RequestTarget & { flow: Flow } {
    if (this.target?.remoteTarget === this.remoteTarget) return this.target;
    const t = requestTarget(this.remoteTarget, this.routeSet);
    this.target = { ...t, remoteTarget: this.remoteTarget, flow: this.hopFlow(t.hop) };
    return this.target;
  }

  /**
   * Where in-dialog requests go. Over UDP/TCP that is the next hop's address (a record-routing
   * proxy, else the peer's Contact), reusing the dialog's own connection when it leads there.
   */
  private hopFlow(hop: string): Flow {
    if (this.flow.protocol === 'ws') return this.flow;
    const f = flowForUri(hop);
    if (!f || f.protocol === 'ws') return this.flow;
    const same = f.protocol === this.flow.protocol && f.address === this.flow.address && f.port === this.flow.port;
    return same ? this.flow : f;
  }

  /** The flow the next in-dialog request goes to. */
  get nextHop(): Flow {
    return this.addressing().flow;
  }

  private build(method: string, body = '', headers: Record<string, unknown> = {}): SipRequest {
    const t = this.addressing();
    const req: SipRequest = {
      kind: 'request',
      method,
      uri: t.uri,
      version: '2.0',
      headers: {
        via: [],
        from: this.local,
        to: this.remote,
        'call-id': this.callId,
        cseq: { seq: method === 'ACK' ? this.localCseq : ++this.localCseq, method },
        ...(t.route.length ? { route: t.route } : {}),
        ...headers,
      },
      body,
    };
    if (method === 'INVITE' || method === 'UPDATE') req.headers.contact = this.contact;
    if (body && !req.headers['content-type']) req.headers['content-type'] = 'application/sdp';
    return req;
  }

  /** Sends an in-dialog request and resolves with its final response. */
  async request(method: string, opts: { headers?: Record<string, unknown>; body?: string } = {}): Promise<SipResponse> {
    if (this.state === 'terminated') throw new Error(`dialog ${this.id} is terminated`);
    const req = this.build(method.toUpperCase(), opts.body ?? '', opts.headers ?? {});
    const { res } = await sendClientRequest(this.host.stack, req, this.nextHop, this.credentials, {
      on2xx: (ok, sent) => {
        // A re-INVITE is a target refresh: its 2xx's Contact is the new remote target (§12.2.1.2),
        // and the ACK already goes there. Every 2xx copy is ACKed (§13.2.2.4).
        this.refreshTarget(ok);
        this.sendAck(sent.headers.cseq.seq);
      },
    }, () => ++this.localCseq);
    return res;
  }

  /**
   * Re-INVITE: a new SDP, or 'hold' / 'unhold' derived from our current one. Resolves with the
   * peer's SDP; rejects with the status when the peer refuses (the dialog stays up).
   */
  async modify(change: string | 'hold' | 'unhold', headers?: Record<string, unknown>): Promise<string> {
    if (this.inviteInProgress) throw new SipStatusError(491, REASONS[491]!);
    const sdp = change === 'hold' ? setDirection(this.localSdp, 'sendonly') : change === 'unhold' ? setDirection(this.localSdp, 'sendrecv') : change;
    const offer = bumpOriginVersion(sdp);
    this.inviteInProgress = true;
    try {
      const res = await this.request('INVITE', { body: offer, ...(headers ? { headers } : {}) });
      if (res.status >= 300) throw new SipStatusError(res.status, res.reason);
      this.localSdp = offer;
      if (res.body) this.remoteSdp = res.body;
      return this.remoteSdp;
    } finally {
      this.inviteInProgress = false;
    }
  }

  /** Ends the dialog with BYE. Safe to call more than once. */
  async destroy(opts: { headers?: Record<string, unknown> } = {}): Promise<void> {
    if (this.state === 'terminated') return;
    const bye = this.build('BYE', '', opts.headers ?? {});
    this.terminate({ by: 'local' });
    await sendClientRequest(this.host.stack, bye, this.nextHop, this.credentials).catch(() => undefined);
  }

  /** Local end without BYE (the transport to the peer is gone). */
  terminate(cause: DestroyCause): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.host.log.debug({ dialog: this.id, by: cause.by }, 'dialog ended');
    this.stopRetransmit();
    this.host.removeDialog(this);
    this.emit('destroy', cause);
  }

  /**
   * UAS: retransmit our 2xx over UDP until ACKed (§13.3.1.4); give up after 64*T1 with BYE. The
   * copies go where the INVITE's response went (`flow`, the flow it came on).
   */
  sent2xx(res: SipResponse, flow: Flow = this.flow): void {
    this.awaitingAck = true;
    this.ackCseq = res.headers.cseq.seq;
    const { t1, t2 } = this.host.stack.timers;
    if (!isReliable(flow.protocol)) {
      let interval = t1;
      const again = (): void => {
        this.host.stack.send(res, flow);
        interval = Math.min(2 * interval, t2);
        this.retransmit = setTimeout(again, interval);
      };
      this.retransmit = setTimeout(again, interval);
    }
    this.ackTimeout = setTimeout(() => {
      if (!this.awaitingAck || this.state === 'terminated') return;
      this.host.log.warn({ dialog: this.id }, 'no ACK for 2xx: ending the dialog');
      const bye = this.build('BYE');
      this.terminate({ by: 'ack-timeout' });
      void sendClientRequest(this.host.stack, bye, this.nextHop, this.credentials);
    }, 64 * t1);
  }

  private stopRetransmit(): void {
    clearTimeout(this.retransmit);
    clearTimeout(this.ackTimeout);
    this.retransmit = undefined;
    this.ackTimeout = undefined;
  }

  onAck(ack: SipRequest): void {
    // An ACK for an earlier 2xx (a late copy) does not confirm the one outstanding.
    if (!this.awaitingAck || ack.headers.cseq.seq !== this.ackCseq) return;
    this.awaitingAck = false;
    this.stopRetransmit();
    if (ack.body) this.remoteSdp = ack.body;
    this.emit('ack', ack);
  }

  /** A 2xx retransmission reached us after the INVITE transaction ended: ACK it again. */
  onStray2xx(res: SipResponse): void {
    this.sendAck(res.headers.cseq.seq);
  }

  /** ACK for a 2xx: its own transaction-less request, along the route set like any other (§13.2.2.4). */
  private sendAck(cseq: number): void {
    const ack = this.build('ACK');
    ack.headers.cseq = { seq: cseq, method: 'ACK' };
    this.host.stack.sendAck(ack, this.nextHop);
  }

  private refreshTarget(m: SipRequest | SipResponse): void {
    const contact = m.headers.contact;
    if (Array.isArray(contact) && contact[0]?.uri) this.remoteTarget = contact[0].uri;
  }

  onRequest(req: IncomingRequest, res: ServerResponse): void {
    const m = req.msg;
    // §12.2.2: a lower CSeq than the last one is out of order (a retransmission never gets here).
    if (this.remoteCseq !== undefined && m.headers.cseq.seq < this.remoteCseq) {
      res.send(500, 'CSeq out of order');
      return;
    }
    this.remoteCseq = m.headers.cseq.seq;
    switch (m.method) {
      case 'BYE':
        res.send(200);
        this.terminate({ by: 'remote', request: m });
        return;
      case 'INVITE': {
        if (this.inviteInProgress || this.awaitingAck) {
          res.send(491);
          return;
        }
        this.refreshTarget(m);
        res.onFinal = (r) => {
          if (r.status < 300) {
            if (r.body) this.localSdp = r.body;
            if (m.body) this.remoteSdp = m.body;
            this.sent2xx(r, req.source);
          }
        };
        if (this.listenerCount('modify') > 0) this.emit('modify', req, res);
        else res.send(200, 'OK', { body: this.localSdp, headers: { contact: this.contact, 'content-type': 'application/sdp' } });
        return;
      }
      case 'REFER':
      case 'INFO':
      case 'NOTIFY':
      case 'MESSAGE': {
        const event = m.method.toLowerCase() as 'refer' | 'info' | 'notify' | 'message';
        if (this.listenerCount(event) > 0) this.emit(event, req, res);
        else res.send(event === 'refer' ? 501 : 200);
        return;
      }
      case 'OPTIONS':
        res.send(200);
        return;
      default:
        res.send(405, undefined, { headers: { allow: 'INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY, MESSAGE' } });
    }
  }
}

/** A final non-2xx response as an Error, so call control can `catch` and read the status. */
export class SipStatusError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly response?: SipResponse,
  ) {
    super(`${status} ${reason}`);
    this.name = 'SipStatusError';
  }
}
