// A drachtio-srf dialog behind our `SipDialog`: the same typed events (destroy says who ended it),
// the same SDP bookkeeping, hold/unhold and 491 rules as the in-process `Dialog`. drachtio-server
// keeps the dialog state (route set, CSeq, remote target); we keep what call control reads.
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NameAddr, SipRequest, SipResponse } from '../../message.js';
import { REASONS } from '../../message.js';
import { SipStatusError, type DestroyCause, type DialogEvents, type DialogSide, type DialogState } from '../../dialog/dialog.js';
import type { SipDialog } from '../../engine-api.js';
import { bumpOriginVersion, setDirection } from '../../sdp.js';
import type { Flow } from '../../transport/types.js';
import type { SrfDialog, SrfRequest, SrfResponse } from './srf-types.js';
import { wrapRequest } from './incoming.js';
import {
  FINAL_RESPONSE_WAIT_MS, REQUEST_OWNED, fromBinary, isUndelivered, parseNameAddr, requestOf, responseOf, srfHeaders, syntheticResponse, toBinary,
} from './wire.js';
import { isSrfSipError } from './srf-types.js';

export interface DialogRegistry {
  readonly log: Logger;
  removeDialog(d: DrachtioDialog): void;
}

export interface DrachtioDialogInit {
  side: DialogSide;
  local: NameAddr;
  remote: NameAddr;
  flow: Flow;
  localSdp: string;
  remoteSdp: string;
  /** UAS: the 2xx that set the dialog up still awaits its ACK. */
  awaitingAck?: boolean;
}

export class DrachtioDialog extends EventEmitter<DialogEvents> implements SipDialog {
  readonly side: DialogSide;
  readonly callId: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  readonly flow: Flow;
  readonly contact: NameAddr[];
  readonly id: string;
  state: DialogState = 'confirmed';
  localSdp: string;
  remoteSdp: string;
  private inviteInProgress = false;
  /** True from our 2xx until its ACK (a re-INVITE meanwhile gets 491). */
  awaitingAck: boolean;

  constructor(
    private readonly registry: DialogRegistry,
    readonly srf: SrfDialog,
    init: DrachtioDialogInit,
  ) {
    super();
    this.side = init.side;
    this.callId = srf.sip.callId;
    this.local = init.local;
    this.remote = init.remote;
    this.flow = init.flow;
    this.localSdp = init.localSdp;
    this.remoteSdp = init.remoteSdp;
    this.awaitingAck = init.awaitingAck ?? false;
    const contact = parseNameAddr(srf.local.contact);
    this.contact = contact ? [contact] : [];
    this.id = `${this.callId};${this.localTag};${this.remoteTag}`;
    srf.on('destroy', (bye: SrfRequest, reason?: string) => this.onBye(bye, reason));
    // drachtio-srf emits 'ack' on the next turn of the event loop, but a BYE read together with
    // the ACK removes every listener at once, and the ACK would be lost (call control reports
    // "answered" from it). So the ACK is taken as it enters the dialog.
    const handle = srf.handle.bind(srf);
    srf.handle = (req, res, next) => {
      if (req.method === 'ACK') this.onAck(req);
      handle(req, res, next);
    };
    srf.on('modify', (req: SrfRequest, res: SrfResponse) => this.onReInvite(req, res));
    for (const event of ['refer', 'info', 'notify', 'message'] as const) {
      srf.on(event, (req: SrfRequest, res: SrfResponse) => this.onInDialog(event, req, res));
    }
    // A BYE that came in the same read as the 2xx, before this wrapper existed.
    if (!srf.connected) queueMicrotask(() => this.terminate({ by: 'remote', request: this.placeholderBye() }));
  }

  get localTag(): string {
    return this.local.params.tag ?? '';
  }
  get remoteTag(): string {
    return this.remote.params.tag ?? '';
  }

  async request(method: string, opts: { headers?: Record<string, unknown>; body?: string } = {}): Promise<SipResponse> {
    if (this.state === 'terminated') throw new Error(`dialog ${this.id} is terminated`);
    let timer: NodeJS.Timeout | undefined;
    // drachtio-srf never settles a request whose answer was lost with the link to drachtio-server.
    const lost = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => resolve(undefined), FINAL_RESPONSE_WAIT_MS);
      timer.unref();
    });
    const res = await Promise.race([this.srf.request({
      method: method.toUpperCase(),
      headers: srfHeaders(opts.headers, REQUEST_OWNED),
      ...(opts.body ? { body: fromBinary(opts.body) } : {}),
    }), lost]).finally(() => clearTimeout(timer));
    if (!res) return syntheticResponse(408, 'Request Timeout');
    const r = responseOf(res);
    // Our own engine, which ignores ICMP on UDP, would time out (408) where drachtio-server's
    // stack fails at once (503): both mean nobody got it, and a keepalive must read it as gone.
    return isUndelivered(r) ? { ...r, status: 408, reason: 'Request Timeout (not delivered)' } : r;
  }

  async modify(change: string, headers?: Record<string, unknown>): Promise<string> {
    if (this.inviteInProgress) throw new SipStatusError(491, REASONS[491]!);
    if (this.state === 'terminated') throw new SipStatusError(481, REASONS[481]!);
    const sdp = change === 'hold' ? setDirection(this.localSdp, 'sendonly') : change === 'unhold' ? setDirection(this.localSdp, 'sendrecv') : change;
    const offer = bumpOriginVersion(sdp);
    this.inviteInProgress = true;
    try {
      const contact = this.srf.local.contact;
      const answer = await this.srf.modify(fromBinary(offer), { headers: { ...srfHeaders(headers, REQUEST_OWNED), ...(contact ? { Contact: contact } : {}) } });
      this.localSdp = offer;
      if (answer) this.remoteSdp = toBinary(answer);
      return this.remoteSdp;
    } catch (err) {
      if (isSrfSipError(err)) throw new SipStatusError(err.status, err.reason);
      throw err;
    } finally {
      this.inviteInProgress = false;
    }
  }

  async destroy(opts: { headers?: Record<string, unknown> } = {}): Promise<void> {
    if (this.state === 'terminated') return;
    this.terminate({ by: 'local' });
    await this.srf.destroy({ headers: srfHeaders(opts.headers, REQUEST_OWNED) }).catch((err: unknown) => {
      this.registry.log.debug({ err, dialog: this.id }, 'BYE not confirmed');
    });
  }

  /** The peer's flow is gone: ended here, and drachtio-server's dialog released (its BYE goes nowhere). */
  lost(): void {
    if (this.state === 'terminated') return;
    this.terminate({ by: 'transport' });
    this.srf.destroy().catch(() => undefined);
  }

  /** Local end without BYE (drachtio-server already ended it, or the peer is gone). */
  terminate(cause: DestroyCause): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.registry.log.debug({ dialog: this.id, by: cause.by }, 'dialog ended');
    this.registry.removeDialog(this);
    this.emit('destroy', cause);
  }

  private onBye(bye: SrfRequest, reason?: string): void {
    // drachtio-server ends a dialog itself (its BYE after 64*T1 without ACK, or an expired session
    // timer) and tells us as if the BYE had come from the peer, from source 'application'.
    if (bye.source === 'application') {
      this.terminate(/ACK timeout/i.test(reason ?? '') ? { by: 'ack-timeout' } : { by: 'transport' });
      return;
    }
    this.terminate({ by: 'remote', request: requestOf(bye) ?? this.placeholderBye() });
  }

  private onAck(ack: SrfRequest): void {
    this.awaitingAck = false;
    const msg = requestOf(ack);
    if (msg?.body) this.remoteSdp = msg.body;
    if (msg) this.emit('ack', msg);
  }

  private onReInvite(srfReq: SrfRequest, srfRes: SrfResponse): void {
    const w = wrapRequest(srfReq, srfRes, this.registry.log);
    if (!w) return;
    const { req, res } = w;
    if (this.inviteInProgress || this.awaitingAck) {
      res.send(491);
      return;
    }
    res.onFinal = (r) => {
      if (r.status >= 300) return;
      if (r.body) this.localSdp = r.body;
      if (req.body) this.remoteSdp = req.body;
      this.awaitingAck = true;
    };
    if (this.listenerCount('modify') > 0) this.emit('modify', req, res);
    else res.send(200, 'OK', { body: this.localSdp, headers: { contact: this.contact, 'content-type': 'application/sdp' } });
  }

  private onInDialog(event: 'refer' | 'info' | 'notify' | 'message', srfReq: SrfRequest, srfRes: SrfResponse): void {
    const w = wrapRequest(srfReq, srfRes, this.registry.log);
    if (!w) return;
    if (this.listenerCount(event) > 0) this.emit(event, w.req, w.res);
    else w.res.send(event === 'refer' ? 501 : 200);
  }

  /** What `destroy` carries when the BYE itself could not be parsed (it was valid for drachtio-server). */
  private placeholderBye(): SipRequest {
    return {
      kind: 'request', method: 'BYE', uri: this.local.uri, version: '2.0', body: '',
      headers: { via: [], from: this.remote, to: this.local, 'call-id': this.callId, cseq: { seq: 0, method: 'BYE' } },
    };
  }
}
