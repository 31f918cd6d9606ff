// What middleware and dialog handlers see: a request with typed `locals`, and a response object
// that sends through the request's server transaction.
import { EventEmitter } from 'node:events';
import { type SipRequest, type SipResponse, type NameAddr, makeResponse, headerText, REASONS, randomToken } from './message.js';
import type { ServerTransaction } from './transaction/transactions.js';
import type { Flow } from './transport/types.js';

/** Who a request was authenticated as; filled by the digest middleware. */
export type AuthIdentity =
  | { kind: 'agent'; username: string; agentId: string }
  | { kind: 'call-token'; username: string; interactionId: string }
  | { kind: 'trusted-peer'; peer: string };

/**
 * Values middleware steps hand to the next ones. Declared as an interface so the server can
 * add its own fields by declaration merging (`declare module '@switchboard/sip'`).
 */
export interface RequestLocals {
  auth?: AuthIdentity;
  [key: string]: unknown;
}

export interface IncomingRequestEvents {
  cancel: [cancel: SipRequest];
}

export class IncomingRequest extends EventEmitter<IncomingRequestEvents> {
  readonly locals: RequestLocals = {};
  canceled = false;

  constructor(
    readonly msg: SipRequest,
    readonly source: Flow,
    readonly tx: ServerTransaction | undefined,
  ) {
    super();
  }

  get method(): string {
    return this.msg.method;
  }
  get uri(): string {
    return this.msg.uri;
  }
  get callId(): string {
    return this.msg.headers['call-id'];
  }
  get body(): string {
    return this.msg.body;
  }
  get from(): NameAddr {
    return this.msg.headers.from;
  }
  get to(): NameAddr {
    return this.msg.headers.to;
  }
  /** Header as text (structured headers are returned by `msg.headers`). */
  get(name: string): string | undefined {
    return headerText(this.msg, name);
  }
  has(name: string): boolean {
    return this.msg.headers[name.toLowerCase()] !== undefined;
  }
}

export interface SendOptions {
  headers?: Record<string, unknown>;
  body?: string;
}

export class ServerResponse {
  /** Our To tag for this request: one per request, reused by the dialog it creates. */
  readonly toTag: string;
  status?: number;
  finalSent = false;
  /** Contact added to 1xx/2xx responses to INVITE that carry none (early and confirmed dialogs need one). */
  defaultContact?: NameAddr[];
  /** Called once with the final response as it is sent (dialogs hook 2xx retransmission here). */
  onFinal?: (res: SipResponse) => void;

  constructor(private readonly req: IncomingRequest) {
    this.toTag = req.msg.headers.to.params.tag ?? randomToken(6);
  }

  /**
   * Builds a response without sending it. A 1xx/2xx to INVITE (early or confirmed dialog) carries
   * every Record-Route of the request, in order (RFC 3261 §12.1.1): a proxy that record-routed
   * learns from it that it stays on the dialog's path, and the peer builds its route set from it.
   */
  build(status: number, reason?: string, opts: SendOptions = {}): SipResponse {
    let headers = opts.headers;
    if (this.req.method === 'INVITE' && status > 100 && status < 300) {
      const rr = this.req.msg.headers['record-route'];
      const contact = this.defaultContact && !opts.headers?.contact ? this.defaultContact : undefined;
      if (rr?.length || contact) {
        headers = { ...(rr?.length ? { 'record-route': rr } : {}), ...opts.headers, ...(contact ? { contact } : {}) };
      }
    }
    return makeResponse(this.req.msg, status, reason ?? REASONS[status] ?? 'Unknown', {
      ...(headers ? { headers } : {}),
      ...(opts.body !== undefined ? { body: opts.body } : {}),
      toTag: this.toTag,
    });
  }

  send(status: number, reason?: string, opts: SendOptions = {}): SipResponse | undefined {
    if (this.finalSent) return undefined;
    const res = this.build(status, reason, opts);
    this.sendBuilt(res);
    return res;
  }

  sendBuilt(res: SipResponse): void {
    if (this.finalSent || !this.req.tx) return;
    this.status = res.status;
    if (res.status >= 200) this.finalSent = true;
    this.req.tx.respond(res);
    if (res.status >= 200) this.onFinal?.(res);
  }
}
