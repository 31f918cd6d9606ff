import type { CallEvents, EndCause } from '@switchboard/sip';

/** Bridged, or how it ended; a call not bridged within the timeout is ended as not answered. */
export type Settled = { answered: true } | { answered: false; cause: string; status?: number; detail?: string };

/**
 * The callback calls in progress, by call session id, each told its answer or end by one pair of
 * listeners on the call events. A pair per call made every call event walk all of them: hundreds
 * with as many agents on callback calls at once.
 */
export class CallEnds {
  private readonly waiting = new Map<string, (r: Settled) => void>();

  constructor(events: CallEvents) {
    events.on('answered', (e) => this.waiting.get(e.callSessionId)?.({ answered: true }));
    events.on('ended', (e) => this.waiting.get(e.callSessionId)?.({ answered: false, cause: e.cause, ...(e.status ? { status: e.status } : {}), ...(e.detail ? { detail: e.detail } : {}) }));
  }

  /** The calls of `events`, on every instance's one `CallEnds` (dial jobs are made per request too). */
  static of(events: CallEvents): CallEnds {
    let ends = byEvents.get(events);
    if (!ends) byEvents.set(events, (ends = new CallEnds(events)));
    return ends;
  }

  /**
   * Listens from now: a call answered while the caller writes its id is still heard. A call not
   * bridged within `timeoutMs` is torn down as not answered, and its end settles it.
   */
  settled(session: { id: string; teardown(cause: EndCause, status: number): Promise<void> }, timeoutMs: number): Promise<Settled> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => void session.teardown('no-answer', 408), timeoutMs);
      this.waiting.set(session.id, (r) => {
        clearTimeout(timer);
        this.waiting.delete(session.id);
        resolve(r);
      });
    });
  }

  /** Calls waited on now. */
  get size(): number {
    return this.waiting.size;
  }
}

const byEvents = new WeakMap<CallEvents, CallEnds>();
