// SipEngineApi on drachtio-server, through drachtio-srf: drachtio-server owns the transports
// (UDP, TCP, WebSocket), transactions and dialog state; this engine owns the middleware chain
// and gives call control the same requests, responses and dialogs as the in-process engine.
// Several Switchboard instances may connect to one drachtio-server: it hands each new request to
// one of them (round robin per method) and in-dialog requests to the instance holding the dialog.
import { EventEmitter } from 'node:events';
import { pino, type Logger } from 'pino';
import Srf from 'drachtio-srf';
import { SipStatusError } from '../../dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from '../../request.js';
import type { Flow, TransportProtocol } from '../../transport/types.js';
import type { UacOptions } from '../../engine-api.js';
import type { B2buaOptions } from '../../engine-api.js';
import type { SipResponse } from '../../message.js';
import type { EngineStack, Middleware, RequestOptions, RunningEngine, SipDialog, UasOptions } from '../../engine-api.js';
import { MiddlewareChain } from '../../middleware.js';
import { DrachtioDialog } from './dialog.js';
import { DrachtioIncomingRequest, DrachtioServerResponse, wrapRequest } from './incoming.js';
import { createUac, sendRequest, statusError, type UacHost } from './uac.js';
import { createB2bua } from '../../b2bua.js';
import { DrachtioLink, type DrachtioAddress, type DrachtioLinkState } from './connection.js';
import { RESPONSE_OWNED, fromBinary, srfHeaders } from './wire.js';
import { FlowWatch } from './flows.js';
import type { SrfApp, SrfRequest, SrfResponse } from './srf-types.js';

export interface DrachtioEngineOptions extends DrachtioAddress {
  logger?: Logger;
  /** Longest pause between reconnection attempts (default 5 s; drachtio-srf starts at 150 ms, ×1.7). */
  maxRetryDelayMs?: number;
  /** How long `listen()` waits for the first connection (default 5 s). */
  connectTimeoutMs?: number;
  /** How often browser (WebSocket) flows are probed with OPTIONS to notice they closed (default 10 s; 0 = never). */
  flowProbeMs?: number;
}

export interface DrachtioEngineEvents {
  /** A browser's WebSocket flow stopped answering (found by probing it, see flows.ts). */
  'connection-closed': [flow: Flow];
  'dialog-created': [dialog: DrachtioDialog];
  'dialog-destroyed': [dialog: DrachtioDialog];
  /** The link to drachtio-server changed (connected, refused, unreachable, closed). */
  link: [state: DrachtioLinkState];
}

/** New requests drachtio-server hands to us; in-dialog ones reach their dialog without a route. */
const ROUTED_METHODS = ['invite', 'register', 'options', 'message', 'subscribe', 'publish', 'refer', 'info', 'notify', 'update'];

export class DrachtioEngine extends EventEmitter<DrachtioEngineEvents> implements RunningEngine, UacHost {
  readonly srf: SrfApp;
  readonly log: Logger;
  readonly link: DrachtioLink;
  readonly stack: EngineStack;
  private readonly middleware: MiddlewareChain;
  private readonly dialogMap = new Map<string, DrachtioDialog>();
  private readonly flows: FlowWatch;

  constructor(private readonly opts: DrachtioEngineOptions) {
    super();
    this.log = opts.logger ?? pino({ level: 'silent' });
    this.middleware = new MiddlewareChain(this.log);
    // drachtio-srf's bundled types are looser than what it does; SrfApp declares what we use.
    this.srf = new (Srf as unknown as new () => SrfApp)();
    this.link = new DrachtioLink(this.srf, { host: opts.host, port: opts.port, secret: opts.secret }, this.log, opts.maxRetryDelayMs);
    this.link.on('state', (s) => this.emit('link', s));
    this.stack = { local: (protocol) => this.local(protocol) };
    this.flows = new FlowWatch({
      log: this.log,
      liveDialogs: () => this.dialogMap.values(),
      probe: (contact) => sendRequest(this, contact, { method: 'OPTIONS' }),
      flowClosed: (flow) => this.emit('connection-closed', flow),
    }, opts.flowProbeMs ?? 10_000);
    for (const method of ROUTED_METHODS) this.srf.use(method, (req, res) => this.onSrfRequest(req, res));
  }

  /** Connects; rejects with a sentence naming the problem (drachtio-srf keeps retrying meanwhile). */
  async listen(): Promise<void> {
    this.link.open();
    await this.link.ready(this.opts.connectTimeoutMs ?? 5_000);
  }

  get state(): DrachtioLinkState {
    return this.link.current;
  }

  async close(): Promise<void> {
    const byes = Promise.all([...this.dialogMap.values()].map((d) => d.destroy()));
    await Promise.race([byes, new Promise((r) => setTimeout(r, 500).unref())]);
    this.flows.stop();
    this.link.close();
  }

  get dialogs(): ReadonlyMap<string, SipDialog> {
    return this.dialogMap;
  }

  addDialog(d: DrachtioDialog): void {
    this.dialogMap.set(d.id, d);
    this.flows.dialog(d);
    this.emit('dialog-created', d);
  }

  removeDialog(d: DrachtioDialog): void {
    if (this.dialogMap.get(d.id) === d) {
      this.dialogMap.delete(d.id);
      this.emit('dialog-destroyed', d);
    }
  }

  /**
   * drachtio-server's address for `protocol` as it announced it ("udp/127.0.0.1:5060,…"); its
   * first one when it has none for that transport, the admin host before it connected.
   */
  private local(protocol: TransportProtocol): { host: string; port: number } {
    const hostports = this.link.current.state === 'connected' ? this.link.current.hostports : [];
    const parse = (hp: string | undefined): { host: string; port: number } | undefined => {
      const m = /^(\w+)\/(.+):(\d+)$/.exec(hp ?? '');
      return m ? { host: m[2]!, port: Number(m[3]) } : undefined;
    };
    return parse(hostports.find((hp) => hp.toLowerCase().startsWith(`${protocol}/`))) ?? parse(hostports[0]) ?? { host: this.opts.host, port: 5060 };
  }

  use(a: Middleware | string, b?: Middleware): void {
    this.middleware.use(a, b);
  }

  private onSrfRequest(srfReq: SrfRequest, srfRes: SrfResponse): void {
    // Errors must not escape: drachtio-srf would throw them out of its socket handler.
    try {
      // drachtio-server's own BYE for a dialog this instance no longer holds: nothing to answer.
      if (srfReq.source === 'application') return;
      const w = wrapRequest(srfReq, srfRes, this.log);
      if (!w) return;
      // A To tag names a dialog; drachtio-server brings in-dialog requests to the dialog's owner.
      if (w.req.to.params.tag) {
        w.res.send(481);
        return;
      }
      if (w.req.method === 'REGISTER') {
        const { req } = w;
        w.res.onFinal = (r) => {
          const c = Array.isArray(r.headers.contact) ? r.headers.contact[0] : undefined;
          if (r.status < 300 && c) this.flows.registered(req.source, c.uri, Number(c.params.expires ?? r.headers.expires ?? 0));
        };
      }
      this.middleware.run(w.req, w.res);
    } catch (err) {
      this.log.error({ err, method: srfReq.method }, 'request handling failed');
      if (!srfRes.finalResponseSent) srfRes.send(500, undefined, {});
    }
  }

  /** Answers an INVITE 200 and resolves with the dialog once the ACK arrives. */
  createUAS(req: IncomingRequest, res: ServerResponse, opts: UasOptions): Promise<SipDialog> {
    if (!(req instanceof DrachtioIncomingRequest) || !(res instanceof DrachtioServerResponse)) {
      return Promise.reject(new Error('createUAS: the request did not come from this engine'));
    }
    if (req.canceled || res.finalSent) return Promise.reject(new SipStatusError(487, 'Request Terminated'));
    res.finalSent = true;
    res.status = 200;
    const headers = { ...srfHeaders(opts.headers, RESPONSE_OWNED), To: `<${fromBinary(req.to.uri)}>;tag=${res.toTag}` };
    return new Promise((resolve, reject) => {
      this.srf.createUAS(req.srf, res.srf, { localSdp: fromBinary(opts.localSdp), headers }, (err, srfDialog) => {
        if (err || !srfDialog) {
          reject(req.canceled ? new SipStatusError(487, 'Request Terminated') : statusError(err ?? new Error('no dialog')));
          return;
        }
        const dialog = new DrachtioDialog(this, srfDialog, {
          side: 'uas',
          local: { ...req.to, params: { ...req.to.params, tag: srfDialog.sip.localTag } },
          remote: req.from,
          flow: req.source,
          localSdp: opts.localSdp,
          remoteSdp: req.body,
          awaitingAck: true,
        });
        this.addDialog(dialog);
        opts.onDialog?.(dialog);
        const onAck = (): void => {
          dialog.off('destroy', onGone);
          resolve(dialog);
        };
        const onGone = (): void => {
          dialog.off('ack', onAck);
          reject(new SipStatusError(408, 'No ACK for 200'));
        };
        dialog.once('ack', onAck);
        dialog.once('destroy', onGone);
      });
    });
  }

  createUAC(uri: string, opts: UacOptions): Promise<SipDialog> {
    return createUac(this, uri, opts);
  }

  /** The in-process engine's createB2BUA, on this engine's createUAC and createUAS. */
  createB2BUA(req: IncomingRequest, res: ServerResponse, uri: string, opts: B2buaOptions): Promise<{ uas: SipDialog; uac: SipDialog }> {
    return createB2bua(this, req, res, uri, opts);
  }

  request(uri: string, opts: RequestOptions): Promise<SipResponse> {
    return sendRequest(this, uri, opts);
  }
}
