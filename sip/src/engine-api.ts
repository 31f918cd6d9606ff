// What call control may use of a SIP engine and its dialogs. Two engines implement it: the
// in-process `SipEngine` (engine.ts) and `DrachtioEngine` (engines/drachtio/), which runs the same
// call control on drachtio-server through drachtio-srf. Requests and responses handed to
// middleware are the same classes on both (`IncomingRequest`, a `ServerResponse`); dialogs are
// anything shaped like `SipDialog`.
import type { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { NameAddr, SipResponse } from './message.js';
import type { DialogEvents, DialogSide, DialogSnapshot, DialogState } from './dialog/dialog.js';
import type { IncomingRequest, ServerResponse } from './request.js';
import type { Flow, TransportProtocol } from './transport/types.js';
import type { Credentials } from './auth/digest.js';
import type { TransactionObserver } from './transaction/transactions.js';
import type { PendingInvite } from './pending-invite.js';

export interface UacOptions {
  /** Where to send the INVITE; by default the host/port/transport of the Request-URI. */
  target?: Flow;
  /** From URI (default sip:switchboard@<our address>) and display name. */
  from?: string;
  fromName?: string;
  /** To URI (default: the Request-URI). */
  to?: string;
  localSdp: string;
  headers?: Record<string, unknown>;
  /** Answer the peer's 401/407 with these (a PBX trunk). */
  auth?: Credentials;
  callId?: string;
  /** Our From tag (default: random); lets the caller record the leg's SIP ids up front. */
  fromTag?: string;
  onProvisional?(res: SipResponse): void;
  /** Aborting sends CANCEL; the promise then rejects with 487. */
  signal?: AbortSignal;
  /**
   * Called before the INVITE is sent (again after a challenge) with what a CANCEL for it takes;
   * the INVITE waits for a returned promise (the live-call record written first). Not called by
   * engines that cannot send that CANCEL (`cancelPending` absent).
   */
  onInvite?(invite: PendingInvite): void | Promise<void>;
}

export interface B2buaOptions extends Omit<UacOptions, 'localSdp' | 'signal'> {
  /** SDP offered to B (default: A's offer as received). */
  localSdpB?: string;
  /** SDP answered to A, or how to derive it from B's answer (default: B's answer). */
  localSdpA?: string | ((sdpB: string, res: SipResponse) => string | Promise<string>);
  /** Relay B's failure status to A (default true); otherwise the caller answers A. */
  passFailure?: boolean;
  /** Headers copied from A's INVITE to B's (e.g. X- headers). */
  proxyRequestHeaders?: string[];
}

export type Next = (err?: unknown) => void;
export type Middleware = (req: IncomingRequest, res: ServerResponse, next: Next) => void | Promise<void>;

/** One SIP dialog after the INVITE was answered 2xx, whichever engine holds it. */
export interface SipDialog extends EventEmitter<DialogEvents> {
  /** Call-ID, local tag, remote tag. */
  readonly id: string;
  readonly side: DialogSide;
  readonly callId: string;
  readonly local: NameAddr;
  readonly remote: NameAddr;
  readonly localTag: string;
  readonly remoteTag: string;
  /** The flow the dialog was set up on; `protocol: 'ws'` for browsers. */
  readonly flow: Flow;
  /** Our Contact in this dialog. */
  readonly contact: NameAddr[];
  readonly state: DialogState;
  /** True while the ACK for our last 2xx (initial INVITE or re-INVITE) is outstanding. */
  readonly awaitingAck: boolean;
  localSdp: string;
  remoteSdp: string;
  /** Sends an in-dialog request and resolves with its final response. */
  request(method: string, opts?: { headers?: Record<string, unknown>; body?: string }): Promise<SipResponse>;
  /** Re-INVITE with a new SDP, or 'hold' / 'unhold'; resolves with the peer's SDP, rejects with `SipStatusError`. */
  modify(change: string, headers?: Record<string, unknown>): Promise<string>;
  /** Ends the dialog with BYE; safe to call more than once. */
  destroy(opts?: { headers?: Record<string, unknown> }): Promise<void>;
  /** What another process needs to end the dialog (absent where the engine keeps it: drachtio). */
  snapshot?(): DialogSnapshot;
}

/**
 * Asked about a BYE for a dialog the engine does not hold: true when it belonged to a call that
 * ended with a process (the BYE gets 200, RFC 3261 §15.1.2), false for 481.
 */
export type LostDialogHandler = (req: IncomingRequest) => Promise<boolean>;

export interface UasOptions {
  localSdp: string;
  headers?: Record<string, unknown>;
  /**
   * Called with the dialog as soon as it exists, before the 200 is sent. Wire listeners here:
   * the ACK and the peer's next request can arrive in one read, before the returned promise's
   * continuation runs.
   */
  onDialog?(dialog: SipDialog): void;
}

export interface RequestOptions {
  method: string;
  target?: Flow;
  headers?: Record<string, unknown>;
  body?: string;
  from?: string;
  to?: string;
  auth?: Credentials;
  /** Keep one Call-ID and rising CSeq across refreshes (REGISTER, RFC 3261 §10.2.4). */
  callId?: string;
  cseq?: number;
}

/** Where the engine is reached from outside, per transport (the host/port of our Contact). */
export interface EngineStack {
  local(protocol: TransportProtocol): { host: string; port: number };
  /** Transactions as they begin and end, for metrics (the in-process stack; drachtio-server keeps its own). */
  observe?(fn: TransactionObserver): () => void;
}

/** What call control may use; implemented by `SipEngine` and `DrachtioEngine`. */
export interface SipEngineApi {
  readonly log: Logger;
  readonly stack: EngineStack;
  /** A TCP/WebSocket peer went away (the registrar drops its bindings). */
  on(event: 'connection-closed', listener: (flow: Flow) => void): unknown;
  use(mw: Middleware): void;
  use(method: string, mw: Middleware): void;
  createUAS(req: IncomingRequest, res: ServerResponse, opts: UasOptions): Promise<SipDialog>;
  createUAC(uri: string, opts: UacOptions): Promise<SipDialog>;
  createB2BUA(req: IncomingRequest, res: ServerResponse, uri: string, opts: B2buaOptions): Promise<{ uas: SipDialog; uac: SipDialog }>;
  request(uri: string, opts: RequestOptions): Promise<SipResponse>;
  /** Sends BYE in a dialog known only from its snapshot (a call whose process died). */
  endDialog?(snapshot: DialogSnapshot, opts?: { headers?: Record<string, unknown> }): Promise<void>;
  /**
   * Sends the CANCEL for an INVITE another process sent and cannot cancel any more (it died), with
   * that INVITE's Via: no transaction, nothing waited for (its 200 and the 487 go to that Via).
   * Absent where the engine puts its own Via on every request (drachtio-server).
   */
  cancelPending?(invite: PendingInvite): void;
  /** Where a BYE for an unknown dialog is asked about before it gets 481. */
  onLostDialog?: LostDialogHandler | undefined;
}

/** An engine as a process runs it: started, stopped, and checked for leftovers by tests. */
export interface RunningEngine extends SipEngineApi {
  listen(): Promise<void>;
  close(): Promise<void>;
  /** Live dialogs by id (tests assert it is empty after every call). */
  readonly dialogs: ReadonlyMap<string, SipDialog>;
}
