// The in-process engine, shaped like drachtio-srf: ordered request middleware (`use`), then
// `createUAS` / `createUAC` / `createB2BUA` producing `Dialog`s. Call control depends on the
// `SipEngineApi` type only, so a drachtio-srf adapter can stand in for this class later.
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import type { NameAddr, SipRequest, SipResponse } from './message.js';
import { randomToken, makeResponse } from './message.js';
import { Dialog, SipStatusError, type DialogHost, type DialogSnapshot } from './dialog/dialog.js';
import { IncomingRequest, ServerResponse } from './request.js';
import { SipStack, flowForUri, type StackUser } from './stack.js';
import { DEFAULT_TIMERS, type ServerTransaction, type TimerConfig } from './transaction/transactions.js';
import type { Flow, ListenOptions } from './transport/types.js';
import { createUac } from './uac.js';
import { createB2bua } from './b2bua.js';
import { sendClientRequest } from './client-request.js';
import { routeSetFrom } from './dialog/route-set.js';
import type { B2buaOptions, LostDialogHandler, Middleware, RequestOptions, SipEngineApi, UacOptions, UasOptions } from './engine-api.js';
import { MiddlewareChain } from './middleware.js';
import { cancelFor, type PendingInvite } from './pending-invite.js';

export type { EngineStack, Middleware, Next, RequestOptions, RunningEngine, SipDialog, SipEngineApi, UasOptions } from './engine-api.js';

export interface SipEngineOptions {
  listen: ListenOptions;
  /** RFC 3261 T1/T2/T4; tests shorten T1 to see timeouts quickly. */
  timers?: Partial<TimerConfig>;
  logger?: Logger;
}

export interface EngineEvents {
  'dialog-created': [dialog: Dialog];
  'dialog-destroyed': [dialog: Dialog];
  /** A TCP/WebSocket connection closed (the registrar drops the bindings that lived on it). */
  'connection-closed': [flow: Flow];
}

export class SipEngine extends EventEmitter<EngineEvents> implements SipEngineApi, StackUser, DialogHost {
  readonly stack: SipStack;
  readonly log: Logger;
  private readonly middleware: MiddlewareChain;
  private readonly dialogMap = new Map<string, Dialog>();
  private readonly pendingInvites = new Map<ServerTransaction, IncomingRequest>();
  onLostDialog: LostDialogHandler | undefined;

  constructor(opts: SipEngineOptions) {
    super();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.middleware = new MiddlewareChain(this.log);
    this.stack = new SipStack(opts.listen, { ...DEFAULT_TIMERS, ...opts.timers }, this.log);
    this.stack.user = this;
  }

  listen(): Promise<void> {
    return this.stack.listen();
  }

  async close(): Promise<void> {
    // BYE every dialog, but don't let an unresponsive peer hold the shutdown.
    const byes = Promise.all([...this.dialogMap.values()].map((d) => d.destroy()));
    await Promise.race([byes, new Promise((r) => setTimeout(r, 500).unref())]);
    await this.stack.close();
  }

  /** Live dialogs, by id. Tests assert this is empty after every call. */
  get dialogs(): ReadonlyMap<string, Dialog> {
    return this.dialogMap;
  }

  use(a: Middleware | string, b?: Middleware): void {
    this.middleware.use(a, b);
  }

  addDialog(d: Dialog): void {
    this.dialogMap.set(d.id, d);
    this.emit('dialog-created', d);
  }

  removeDialog(d: Dialog): void {
    if (this.dialogMap.get(d.id) === d) {
      this.dialogMap.delete(d.id);
      this.emit('dialog-destroyed', d);
    }
  }

  // ---- StackUser -------------------------------------------------------------------------

  onRequest(msg: SipRequest, flow: Flow, tx: ServerTransaction | undefined): void {
    const toTag = msg.headers.to.params.tag;
    const fromTag = msg.headers.from.params.tag ?? '';
    if (!tx) {
      // ACK for a 2xx: belongs to a dialog, or to nothing.
      if (toTag) this.dialogMap.get(`${msg.headers['call-id']};${toTag};${fromTag}`)?.onAck(msg);
      return;
    }
    const req = new IncomingRequest(msg, flow, tx);
    const res = new ServerResponse(req);
    if (msg.method === 'INVITE') res.defaultContact = this.stack.contactFor(flow);
    if (toTag) {
      const dialog = this.dialogMap.get(`${msg.headers['call-id']};${toTag};${fromTag}`);
      if (!dialog) this.unknownDialog(req, res);
      // A browser's dialog lives on its WebSocket: in-dialog requests must come through it.
      else if (dialog.flow.protocol === 'ws' && dialog.flow.connectionId !== flow.connectionId) res.send(403, 'Wrong Connection For This Dialog');
      else dialog.onRequest(req, res);
      return;
    }
    if (msg.method === 'INVITE') {
      this.pendingInvites.set(tx, req);
      const forget = (): void => void this.pendingInvites.delete(tx);
      const prev = res.onFinal;
      res.onFinal = (r) => {
        forget();
        prev?.(r);
      };
    }
    this.middleware.run(req, res);
  }

  private unknownDialog(req: IncomingRequest, res: ServerResponse): void {
    const ask = this.onLostDialog;
    if (req.method !== 'BYE' || !ask) {
      res.send(481);
      return;
    }
    ask(req).then(
      (known) => res.send(known ? 200 : 481),
      (err: unknown) => {
        this.log.warn({ err }, 'could not look up a lost dialog');
        res.send(481);
      },
    );
  }

  onCancel(invite: ServerTransaction, cancel: SipRequest): void {
    const req = this.pendingInvites.get(invite);
    if (!req || !invite.request) return;
    req.canceled = true;
    this.pendingInvites.delete(invite);
    invite.respond(makeResponse(invite.request, 487, 'Request Terminated', { toTag: randomToken(6) }));
    req.emit('cancel', cancel);
  }

  onStray2xx(res: SipResponse): void {
    const id = `${res.headers['call-id']};${res.headers.from.params.tag ?? ''};${res.headers.to.params.tag ?? ''}`;
    this.dialogMap.get(id)?.onStray2xx(res);
  }

  onConnectionClosed(flow: Flow): void {
    // A WebSocket peer is gone with its connection; over TCP a dialog outlives the connection it
    // came on (a proxy closes idle ones), and its next request opens another.
    for (const d of [...this.dialogMap.values()]) {
      if (d.flow.protocol === 'ws' && d.flow.connectionId === flow.connectionId) d.terminate({ by: 'transport' });
    }
    this.emit('connection-closed', flow);
  }

  // ---- drachtio-srf-shaped API -----------------------------------------------------------

  /** Answers an INVITE 200 and resolves with the dialog once the ACK arrives. */
  createUAS(req: IncomingRequest, res: ServerResponse, opts: UasOptions): Promise<Dialog> {
    if (req.canceled || res.finalSent) return Promise.reject(new SipStatusError(487, 'Request Terminated'));
    const m = req.msg;
    const contact = this.stack.contactFor(req.source);
    const ok = res.build(200, 'OK', { body: opts.localSdp, headers: { contact, ...(opts.headers ?? {}) } });
    const remoteTarget = Array.isArray(m.headers.contact) && m.headers.contact[0] ? m.headers.contact[0].uri : m.headers.from.uri;
    const dialog = new Dialog(this, {
      side: 'uas',
      callId: m.headers['call-id'],
      local: ok.headers.to,
      remote: m.headers.from,
      remoteTarget,
      routeSet: routeSetFrom(m.headers['record-route'], false),
      flow: req.source,
      localCseq: 0,
      remoteCseq: m.headers.cseq.seq,
      localSdp: opts.localSdp,
      remoteSdp: m.body,
      contact,
    });
    this.addDialog(dialog);
    opts.onDialog?.(dialog);
    return new Promise((resolve, reject) => {
      const onAck = (): void => {
        dialog.off('destroy', onDestroy);
        resolve(dialog);
      };
      const onDestroy = (): void => {
        dialog.off('ack', onAck);
        reject(new SipStatusError(408, 'No ACK for 200'));
      };
      dialog.once('ack', onAck);
      dialog.once('destroy', onDestroy);
      res.sendBuilt(ok);
      dialog.sent2xx(ok);
    });
  }

  cancelPending(invite: PendingInvite): void {
    this.stack.send(cancelFor(invite), invite.flow);
  }

  async endDialog(snapshot: DialogSnapshot, opts: { headers?: Record<string, unknown> } = {}): Promise<void> {
    await Dialog.fromSnapshot(this, snapshot).destroy(opts);
  }

  createUAC(uri: string, opts: UacOptions): Promise<Dialog> {
    return createUac(this, uri, opts);
  }

  createB2BUA(req: IncomingRequest, res: ServerResponse, uri: string, opts: B2buaOptions): Promise<{ uas: Dialog; uac: Dialog }> {
    return createB2bua(this, req, res, uri, opts);
  }

  /** An out-of-dialog request (OPTIONS keepalive, REGISTER, MESSAGE); resolves with the final response. */
  async request(uri: string, opts: RequestOptions): Promise<SipResponse> {
    const flow = opts.target ?? flowForUri(uri);
    if (!flow) throw new Error(`cannot route to ${uri}`);
    const local = this.stack.local(flow.protocol);
    const from: NameAddr = { uri: opts.from ?? `sip:switchboard@${local.host}`, params: { tag: randomToken(6) } };
    const req: SipRequest = {
      kind: 'request',
      method: opts.method.toUpperCase(),
      uri,
      version: '2.0',
      headers: {
        via: [],
        from,
        to: { uri: opts.to ?? uri, params: {} },
        'call-id': opts.callId ?? randomToken(12),
        cseq: { seq: opts.cseq ?? 1, method: opts.method.toUpperCase() },
        ...(opts.headers ?? {}),
      },
      body: opts.body ?? '',
    };
    if (opts.method.toUpperCase() === 'REGISTER' && !req.headers.contact) req.headers.contact = this.stack.contactFor(flow);
    const { res } = await sendClientRequest(this.stack, req, flow, opts.auth);
    return res;
  }
}
