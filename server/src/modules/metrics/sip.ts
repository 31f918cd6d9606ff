import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { CallEvents, TransactionEvent } from '@switchboard/sip';

/** The SIP side of this instance now, as GET /api/admin/sip reads it, plus its media sessions. */
export interface SipFigures {
  dialogs: number;
  calls: number;
  /** rtpengine calls this instance holds open: one per bridged call, plus the device test's probes. */
  mediaSessions: number;
  /** rtpengine commands that failed since start, by command and how (refused, timeout, bad-reply). */
  mediaFailures: { command: string; kind: string; count: number }[];
}

// Ends that are the call's normal course; every other cause counts as a failure.
const NORMAL_ENDS = new Set(['caller-hangup', 'callee-hangup', 'canceled', 'transferred']);
// Methods are labels as they are; anything else a peer sends counts as 'other', so a peer cannot
// make a new time series per request.
const METHODS = new Set(['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS', 'REGISTER', 'PRACK', 'SUBSCRIBE', 'NOTIFY', 'PUBLISH', 'INFO', 'REFER', 'MESSAGE', 'UPDATE']);
/** New calls per second are counted over this many seconds. */
const CPS_WINDOW_S = 10;

/**
 * Events per whole second over the last `seconds`, in a ring of counters: counting is O(1) and the
 * memory fixed, whether or not anybody scrapes (a list of times grew until the next scrape, and
 * trimming it cost a copy per new call).
 */
class PerSecond {
  private readonly counts: number[];
  private second = 0;

  constructor(private readonly seconds: number) {
    this.counts = new Array<number>(seconds).fill(0);
  }

  add(now = Date.now()): void {
    this.advance(now);
    this.counts[this.second % this.seconds]! += 1;
  }

  /** The mean rate over the window. */
  rate(now = Date.now()): number {
    this.advance(now);
    return this.counts.reduce((a, b) => a + b, 0) / this.seconds;
  }

  private advance(now: number): void {
    const second = Math.floor(now / 1000);
    if (second <= this.second) return;
    for (let s = Math.max(this.second + 1, second - this.seconds + 1); s <= second; s++) this.counts[s % this.seconds] = 0;
    this.second = second;
  }
}

/**
 * Calls and chat relay figures. Gauges are read at scrape time; the counters follow this
 * instance's call events (a call counts once, at its first event, so a call refused before
 * ringing still counts as started).
 */
export class SipAndChatMetrics {
  private readonly started: Counter;
  private readonly failures: Counter;
  private readonly lag: Histogram;
  private readonly transactions: Counter;
  private readonly transactionFailures: Counter;
  /** New calls (INVITEs that open a dialog, either way) per second. */
  private readonly newCalls = new PerSecond(CPS_WINDOW_S);

  constructor(registry: Registry, figures: () => SipFigures | null) {
    const gauge = (name: string, help: string, value: (f: SipFigures) => number) =>
      new Gauge({
        name, help, registers: [registry],
        collect() {
          const f = figures();
          if (f) this.set(value(f));
        },
      });
    gauge('switchboard_sip_dialogs', 'SIP dialogs the engine of this instance holds now', (f) => f.dialogs);
    gauge('switchboard_sip_calls', 'Calls (B2BUA call sessions) this instance holds now', (f) => f.calls);
    gauge('switchboard_rtpengine_sessions', 'rtpengine calls this instance holds open (counted from its calls, not asked of rtpengine)', (f) => f.mediaSessions);
    new Counter({
      name: 'switchboard_rtpengine_failures_total',
      help: 'rtpengine commands that failed, by command and kind: refused (its error reason, e.g. out of ports), timeout (no reply after the retries), bad-reply',
      labelNames: ['command', 'kind'], registers: [registry],
      collect() {
        const f = figures();
        if (!f) return;
        // The relay keeps the running totals; a scrape copies them.
        this.reset();
        for (const x of f.mediaFailures) this.inc({ command: x.command, kind: x.kind }, x.count);
      },
    });
    this.started = new Counter({ name: 'switchboard_sip_calls_started_total', help: 'Calls started on this instance (rate() gives calls per second)', registers: [registry] });
    this.failures = new Counter({
      name: 'switchboard_sip_call_failures_total', help: 'Calls that ended otherwise than by a hang-up or the caller canceling, by cause and SIP status',
      labelNames: ['cause', 'status'], registers: [registry],
    });
    this.transactions = new Counter({
      name: 'switchboard_sip_transactions_total', help: 'SIP transactions by method and direction (in: requests received, out: requests sent)',
      labelNames: ['method', 'direction'], registers: [registry],
    });
    this.transactionFailures = new Counter({
      name: 'switchboard_sip_transaction_failures_total',
      help: 'SIP transactions whose final response was 300 or more, by method, direction and response code (408 and 503 include timeouts and requests that could not be sent)',
      labelNames: ['method', 'direction', 'code'], registers: [registry],
    });
    const newCalls = this.newCalls;
    new Gauge({
      name: 'switchboard_sip_new_calls_per_second', help: `New calls (INVITEs opening a dialog, in and out) per second over the last ${CPS_WINDOW_S} s`, registers: [registry],
      collect() {
        this.set(newCalls.rate());
      },
    });
    this.lag = new Histogram({
      name: 'switchboard_chat_relay_lag_seconds', help: 'Time from a chat line stored to its copy sent into the XMPP room',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
    });
  }

  /** Counts the calls of `events` until the answer is called. */
  follow(events: CallEvents): () => void {
    const seen = new Set<string>();
    const first = (e: { callSessionId: string }) => {
      if (seen.has(e.callSessionId)) return;
      seen.add(e.callSessionId);
      this.started.inc();
    };
    const ended = (e: { callSessionId: string; cause: string; status?: number }) => {
      first(e);
      seen.delete(e.callSessionId);
      if (!NORMAL_ENDS.has(e.cause)) this.failures.inc({ cause: e.cause, status: e.status ? String(e.status) : 'none' });
    };
    events.on('ringing', first);
    events.on('answered', first);
    events.on('ended', ended);
    return () => {
      events.off('ringing', first);
      events.off('answered', first);
      events.off('ended', ended);
    };
  }

  /** Counts a SIP transaction as it begins and as it ends (see the SIP stack's observe). */
  observeTransaction = (e: TransactionEvent): void => {
    const method = METHODS.has(e.method) ? e.method : 'other';
    if (e.status === undefined) {
      this.transactions.inc({ method, direction: e.direction });
      if (e.initial) this.newCalls.add();
    } else if (e.status >= 300) {
      this.transactionFailures.inc({ method, direction: e.direction, code: String(e.status) });
    }
  };

  observeRelayLag = (seconds: number): void => {
    this.lag.observe(Math.max(0, seconds));
  };
}
