// RFC 3261 §17 transactions, with RFC 6026's Accepted state for INVITE 2xx. Retransmission
// timers (A, E, G) run only over UDP; over TCP/WS the transport is trusted (§17.1.1.2) and the
// wait timers that only absorb retransmissions (D, I, J, K) are zero.
import type { SipRequest, SipResponse, SipMessage, Via } from '../message.js';
import { REASONS, stringify } from '../message.js';
import { type Flow, isReliable } from '../transport/types.js';

export interface TimerConfig {
  /** RTT estimate, 500 ms by default; tests shorten it to exercise B/F/H quickly. */
  t1: number;
  t2: number;
  t4: number;
}

export const DEFAULT_TIMERS: TimerConfig = { t1: 500, t2: 4000, t4: 5000 };

/** Sends a message, or text already serialised (retransmissions are sent as first written). */
export type Send = (m: SipMessage | string, flow: Flow) => boolean;

/**
 * A transaction began (no `status`) or ended with its final response (`status`; a timeout or a
 * request that could not be sent ends with the 408 or 503 made here). `initial`: an INVITE that
 * opens a dialog (no To tag), i.e. a new call.
 */
export interface TransactionEvent {
  direction: 'in' | 'out';
  method: string;
  status?: number;
  initial?: boolean;
}
export type TransactionObserver = (e: TransactionEvent) => void;

export type TransactionState = 'calling' | 'trying' | 'proceeding' | 'accepted' | 'completed' | 'confirmed' | 'terminated';

export function topBranch(m: SipMessage): string {
  const via = m.headers.via[0] as Via;
  const branch = via.params.branch;
  // RFC 2543 peers without a magic-cookie branch: fall back to the dialog-ish identifiers.
  return branch && branch.startsWith('z9hG4bK') ? branch : `${m.headers['call-id']}|${m.headers.cseq.seq}|${m.headers.from.params.tag ?? ''}`;
}

export function serverKey(req: SipRequest): string {
  return `${topBranch(req)}|${req.method === 'ACK' ? 'INVITE' : req.method}`;
}

export function clientKey(m: SipMessage): string {
  return `${topBranch(m)}|${m.headers.cseq.method.toUpperCase()}`;
}

/**
 * A transaction runs at most two timers at once: one that resends (A, E, G, or the delayed 100
 * Trying) and one that ends it (B, F, H, J, L, M, D, I, K). Starting the next of a kind replaces
 * the previous one, which could no longer do anything in the new state.
 */
abstract class TimedTransaction {
  private resendTimer?: NodeJS.Timeout;
  private endTimer?: NodeJS.Timeout;

  protected resendAfter(ms: number, fn: () => void): void {
    clearTimeout(this.resendTimer);
    this.resendTimer = setTimeout(fn, ms);
  }

  protected stopResending(): void {
    clearTimeout(this.resendTimer);
    this.resendTimer = undefined;
  }

  protected endAfter(ms: number, fn: () => void): void {
    clearTimeout(this.endTimer);
    this.endTimer = setTimeout(fn, ms);
  }

  protected stopTimers(): void {
    this.stopResending();
    clearTimeout(this.endTimer);
    this.endTimer = undefined;
  }
}

export class ServerTransaction extends TimedTransaction {
  readonly isInvite: boolean;
  state: TransactionState;
  /** Status of the last response sent (the stack matches an ACK to a non-2xx final by it). */
  lastStatus?: number;
  /** The last response as sent: retransmissions repeat these bytes instead of serialising again. */
  private lastText?: string;
  private makeTrying?: () => SipResponse;
  private req: SipRequest | undefined;
  /** Told the status of the final response, once. */
  onFinal?: (status: number) => void;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly send: Send,
    private readonly cfg: TimerConfig,
    private readonly onTerminated: (tx: ServerTransaction) => void,
  ) {
    super();
    this.req = request;
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'proceeding' : 'trying';
  }

  get reliable(): boolean {
    return isReliable(this.flow.protocol);
  }

  /**
   * The request, until a final response was sent. After that the transaction only repeats its
   * last response for up to 32 s, and lets go of the request so as not to keep every call's
   * messages alive that long.
   */
  get request(): SipRequest | undefined {
    return this.req;
  }

  private readonly end = (): void => this.terminate();

  respond(res: SipResponse): void {
    // After a final response nothing more may be sent (a 487 racing a 200, a late 183).
    if (this.state !== 'trying' && this.state !== 'proceeding') return;
    this.lastStatus = res.status;
    this.lastText = stringify(res);
    this.makeTrying = undefined;
    this.stopResending(); // a pending 100 Trying has nothing left to say
    this.send(this.lastText, this.flow);
    if (res.status < 200) {
      this.state = 'proceeding';
      return;
    }
    this.req = undefined;
    this.onFinal?.(res.status);
    const { t1, t2 } = this.cfg;
    if (this.isInvite && res.status < 300) {
      // RFC 6026: in Accepted the dialog resends the 2xx until ACKed and retransmitted INVITEs
      // are absorbed, so the 2xx need not be kept for 32 s.
      this.state = 'accepted';
      this.lastText = undefined;
      this.endAfter(64 * t1, this.end); // Timer L (RFC 6026)
      return;
    }
    this.state = 'completed';
    if (this.isInvite) {
      if (!this.reliable) {
        let interval = t1;
        const retransmit = (): void => {
          if (this.state !== 'completed' || !this.lastText) return;
          this.send(this.lastText, this.flow);
          interval = Math.min(2 * interval, t2);
          this.resendAfter(interval, retransmit);
        };
        this.resendAfter(interval, retransmit); // Timer G
      }
      this.endAfter(64 * t1, this.end); // Timer H: no ACK came
    } else {
      this.endAfter(this.reliable ? 0 : 64 * t1, this.end); // Timer J
    }
  }

  /** Sends the provisional built by `make` if nothing was sent within `ms`. */
  tryingAfter(ms: number, make: () => SipResponse): void {
    this.makeTrying = make;
    this.resendAfter(ms, () => {
      if (this.lastStatus === undefined && this.state === 'proceeding') this.respond(make());
    });
  }

  /** The same request arrived again: repeat what we last said. */
  onRetransmission(): void {
    // The caller is retransmitting before we said anything: tell it now that we are working.
    if (this.lastStatus === undefined && this.makeTrying && this.state === 'proceeding') this.respond(this.makeTrying());
    else if (this.lastText && this.state !== 'confirmed' && this.state !== 'terminated') this.send(this.lastText, this.flow);
  }

  /** ACK for a non-2xx final response. */
  onAck(): void {
    if (this.state !== 'completed') return;
    this.state = 'confirmed';
    this.stopResending();
    this.endAfter(this.reliable ? 0 : this.cfg.t4, this.end); // Timer I
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.stopTimers();
    this.onTerminated(this);
  }
}

export interface ClientTransactionHandlers {
  onResponse(res: SipResponse, tx: ClientTransaction): void;
  /**
   * A retransmitted 2xx to an INVITE, after the first went to `onResponse` (the dialog ACKs it
   * again). Kept apart so that a transaction waiting out Timer M holds on to nothing of its call.
   */
  onStray2xx?(res: SipResponse): void;
}

/** What a finished transaction answers to: nothing. */
const RELEASED: ClientTransactionHandlers = { onResponse: () => undefined };

export class ClientTransaction extends TimedTransaction {
  readonly isInvite: boolean;
  state: TransactionState;
  /** The ACK for a non-2xx final, as sent; repeated for every retransmission of that final. */
  private ackText?: string;
  private stray2xx?: (res: SipResponse) => void;
  /** Released with the handlers once the final response is in, like them. */
  private request: SipRequest | undefined;
  /** Told the status of the final response (received or made here), once. */
  onFinal?: (status: number) => void;

  constructor(
    request: SipRequest,
    readonly flow: Flow,
    private readonly send: Send,
    private readonly cfg: TimerConfig,
    private handlers: ClientTransactionHandlers,
    private readonly onTerminated: (tx: ClientTransaction) => void,
  ) {
    super();
    this.request = request;
    this.isInvite = request.method === 'INVITE';
    this.state = this.isInvite ? 'calling' : 'trying';
  }

  get reliable(): boolean {
    return isReliable(this.flow.protocol);
  }

  private readonly end = (): void => this.terminate();

  start(): void {
    const text = stringify(this.request!);
    if (!this.send(text, this.flow)) {
      this.fail(503, 'Service Unavailable (transport error)');
      return;
    }
    const { t1, t2 } = this.cfg;
    if (!this.reliable) {
      let interval = t1;
      const retransmit = (): void => {
        if (this.state !== 'calling' && this.state !== 'trying' && !(this.state === 'proceeding' && !this.isInvite)) return;
        this.send(text, this.flow);
        interval = this.isInvite ? 2 * interval : Math.min(2 * interval, t2);
        this.resendAfter(interval, retransmit);
      };
      this.resendAfter(interval, retransmit); // Timer A (INVITE) / E (non-INVITE)
    }
    // Timer B (INVITE) / F (non-INVITE): no final response in 64*T1.
    this.endAfter(64 * t1, () => {
      if (this.state === 'calling' || this.state === 'trying' || this.state === 'proceeding') this.fail(408, 'Request Timeout');
    });
  }

  private fail(status: number, reason: string): void {
    const r = this.request!;
    const res: SipResponse = {
      kind: 'response',
      status,
      reason,
      version: '2.0',
      headers: { via: r.headers.via, from: r.headers.from, to: r.headers.to, 'call-id': r.headers['call-id'], cseq: r.headers.cseq },
      body: '',
    };
    this.state = 'terminated';
    this.stopTimers();
    this.finish(status).onResponse(res, this);
    this.onTerminated(this);
  }

  receive(res: SipResponse): void {
    if (this.state === 'terminated') return;
    if (res.status < 200) {
      if (this.state === 'calling' || this.state === 'trying') {
        this.state = 'proceeding';
        // INVITE: a provisional stops retransmission. Non-INVITE keeps retransmitting at T2.
        if (this.isInvite) this.stopResending();
      }
      if (this.state === 'proceeding') this.handlers.onResponse(res, this);
      return;
    }
    if (this.isInvite && res.status < 300) {
      // Every 2xx (and its retransmissions) goes up: the dialog layer ACKs each one.
      if (this.state === 'accepted') {
        this.stray2xx?.(res);
        return;
      }
      const { handlers } = this;
      this.stray2xx = handlers.onStray2xx;
      this.finish(res.status);
      handlers.onResponse(res, this);
      this.state = 'accepted';
      this.stopResending();
      this.endAfter(64 * this.cfg.t1, this.end); // Timer M (RFC 6026)
      return;
    }
    if (this.isInvite) {
      this.ackText ??= stringify(this.buildAck(res));
      this.send(this.ackText, this.flow);
      if (this.state === 'completed') return; // retransmitted final: ACK again, don't report twice
      this.state = 'completed';
      this.stopResending();
      this.finish(res.status).onResponse(res, this);
      this.endAfter(this.reliable ? 0 : 32000, this.end); // Timer D
      return;
    }
    if (this.state === 'completed') return;
    this.state = 'completed';
    this.stopResending();
    this.finish(res.status).onResponse(res, this);
    this.endAfter(this.reliable ? 0 : this.cfg.t4, this.end); // Timer K
  }

  /**
   * The final response is in: the handlers get it once, and the transaction lets go of them, since
   * it may live on for 32 s absorbing retransmissions and they hold the whole call.
   */
  private finish(status: number): ClientTransactionHandlers {
    this.onFinal?.(status);
    this.onFinal = undefined;
    const { handlers } = this;
    this.handlers = RELEASED;
    this.request = undefined;
    return handlers;
  }

  /** §17.1.1.3: ACK for a non-2xx response is part of the INVITE transaction. */
  private buildAck(res: SipResponse): SipRequest {
    const r = this.request!;
    const headers: SipRequest['headers'] = {
      via: [r.headers.via[0] as Via],
      from: r.headers.from,
      to: res.headers.to,
      'call-id': r.headers['call-id'],
      cseq: { seq: r.headers.cseq.seq, method: 'ACK' },
      'max-forwards': '70',
    };
    if (r.headers.route) headers.route = r.headers.route;
    return { kind: 'request', method: 'ACK', uri: r.uri, version: '2.0', headers, body: '' };
  }

  terminate(): void {
    if (this.state === 'terminated') return;
    this.state = 'terminated';
    this.handlers = RELEASED;
    this.request = undefined;
    this.stray2xx = undefined;
    this.stopTimers();
    this.onTerminated(this);
  }
}

export function reasonFor(status: number): string {
  return REASONS[status] ?? 'Unknown';
}
