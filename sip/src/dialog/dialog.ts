// One SIP dialog (RFC 3261 §12), UAS or UAC side, after the INVITE was answered 2xx.
// In-dialog requests go to the flow the dialog was set up on: for browsers behind NAT and for
// WebSocket peers that is the only way back, and for the PBX trunk it is the trunk itself.
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
  routeSet: NameAddr[];
  flow: Flow;
  localCseq: number;
  remoteCseq: number;
  localSdp: string;
  remoteSdp: string;
  credentials?: Credentials;
  contact: NameAddr[];
}

export class Dialog extends EventEmitter<DialogEvents> {
  readonly side: DialogSide;
  readonly callId: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  remoteTarget: string;
  readonly routeSet: NameAddr[];
  readonly flow: Flow;
  localSdp: string;
  remoteSdp: string;
  state: DialogState = 'confirmed';
  /** True while the confirming ACK for our last 2xx is outstanding. */
  awaitingAck = false;
  private localCseq: number;
  private remoteCseq: number;
  private inviteInProgress = false;
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
  get remoteTag(): string {
    return this.remote.params.tag ?? '';
  }

  private build(method: string, body = '', headers: Record<string, unknown> = {}): SipRequest {
    const req: SipRequest = {
      kind: 'request',
      method,
      uri: this.remoteTarget,
      version: '2.0',
      headers: {
        via: [],
        from: this.local,
        to: this.remote,
        'call-id': this.callId,
        cseq: { seq: method === 'ACK' ? this.localCseq : ++this.localCseq, method },
        ...(this.routeSet.length ? { route: this.routeSet } : {}),
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
    const acked = new Set<string>();
    const { res } = await sendClientRequest(this.host.stack, req, this.flow, this.credentials, {
      on2xx: (ok, sent) => {
        // ACK every 2xx copy (§13.2.2.4); one ACK per CSeq.
        const ack = this.build('ACK');
        ack.headers.cseq = { seq: sent.headers.cseq.seq, method: 'ACK' };
        this.host.stack.sendAck(ack, this.flow);
        acked.add(String(ok.headers.cseq.seq));
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
    await sendClientRequest(this.host.stack, bye, this.flow, this.credentials).catch(() => undefined);
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

  /** UAS: retransmit our 2xx over UDP until ACKed (§13.3.1.4); give up after 64*T1 with BYE. */
  sent2xx(res: SipResponse): void {
    this.awaitingAck = true;
    const { t1, t2 } = this.host.stack.timers;
    if (!isReliable(this.flow.protocol)) {
      let interval = t1;
      const again = (): void => {
        this.host.stack.send(res, this.flow);
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
      void sendClientRequest(this.host.stack, bye, this.flow, this.credentials);
    }, 64 * t1);
  }

  private stopRetransmit(): void {
    clearTimeout(this.retransmit);
    clearTimeout(this.ackTimeout);
    this.retransmit = undefined;
    this.ackTimeout = undefined;
  }

  onAck(ack: SipRequest): void {
    if (!this.awaitingAck) return;
    this.awaitingAck = false;
    this.stopRetransmit();
    if (ack.body) this.remoteSdp = ack.body;
    this.emit('ack', ack);
  }

  /** A 2xx retransmission reached us after the INVITE transaction ended: ACK it again. */
  onStray2xx(res: SipResponse): void {
    const ack = this.build('ACK');
    ack.headers.cseq = { seq: res.headers.cseq.seq, method: 'ACK' };
    this.host.stack.sendAck(ack, this.flow);
  }

  onRequest(req: IncomingRequest, res: ServerResponse): void {
    const m = req.msg;
    if (m.headers.cseq.seq <= this.remoteCseq && this.remoteCseq !== 0) {
      res.send(500, 'CSeq out of order');
      return;
    }
    this.remoteCseq = m.headers.cseq.seq;
    const target = Array.isArray(m.headers.contact) ? m.headers.contact[0]?.uri : undefined;
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
        if (target) this.remoteTarget = target;
        res.onFinal = (r) => {
          if (r.status < 300) {
            if (r.body) this.localSdp = r.body;
            if (m.body) this.remoteSdp = m.body;
            this.sent2xx(r);
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
