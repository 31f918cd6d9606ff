// The call's legs as the server keeps them (CallRecorder): writes run in the order they were made
// but never hold up signalling, since a slow database must not add to call setup time. A failed
// write is logged, not fatal.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { CallRecorder, CallSessionInfo, EndCause, LegDirection, LegInfo } from './recorder.js';

export interface LegRecordsOf {
  callSessionId: string;
  interactionId?: string;
  info: CallSessionInfo;
}

export class LegRecords {
  /** The recorder work still running, in order; undefined when there is none. */
  private pending?: Promise<void>;
  /** Ringing queued and not yet sent to the recorder, by leg. */
  private readonly unsentRinging = new Map<string, Date>();
  /** Legs queued and not yet sent to the recorder, by leg: an answer meanwhile is recorded with the leg. */
  private readonly unsentLegs = new Map<string, LegInfo>();

  constructor(
    private readonly recorder: CallRecorder,
    private readonly call: LegRecordsOf,
    private readonly log: () => Logger,
  ) {}

  /** Resolves once every write made so far has finished. */
  get settled(): Promise<void> | undefined {
    return this.pending;
  }

  /** Records a new leg and returns its id. */
  created(direction: LegDirection, ids: { callId: string; localTag: string; remoteTag?: string }, from: string, to: string, about: { sdp?: string; trunk?: boolean } = {}): string {
    const { callSessionId, interactionId, info } = this.call;
    const legId = randomUUID();
    const leg: LegInfo = {
      legId, callSessionId, direction, callId: ids.callId, localTag: ids.localTag, from, to, createdAt: new Date(),
      ...(ids.remoteTag ? { remoteTag: ids.remoteTag } : {}),
      ...(interactionId ? { interactionId } : {}),
      ...info,
      ...(about.sdp !== undefined ? { video: hasVideo(about.sdp) } : {}),
      ...(about.trunk ? { trunk: true } : {}),
    };
    if (!this.pending) {
      this.record((r) => r.legCreated(leg));
      return legId;
    }
    // Waiting behind another write: a phone that answers before the leg is sent has the leg
    // written answered, in one write.
    this.unsentLegs.set(legId, leg);
    this.record((r) => {
      this.unsentLegs.delete(legId);
      return r.legCreated(leg);
    });
    return legId;
  }

  ringing(legId: string): void {
    const at = new Date();
    if (!this.pending) {
      this.record((r) => r.legRinging(legId, at));
      return;
    }
    // Waiting behind another write: a phone that answers before it is sent (auto-answer) has
    // its ringing written with its answer, in one write.
    this.unsentRinging.set(legId, at);
    this.record((r) => {
      const last = this.unsentRinging.get(legId);
      if (!last) return;
      this.unsentRinging.delete(legId);
      return r.legRinging(legId, last);
    });
  }

  answered(legId: string, remoteTag: string): void {
    const at = new Date();
    const rang = this.unsentRinging.get(legId);
    this.unsentRinging.delete(legId);
    const unsent = this.unsentLegs.get(legId);
    if (unsent) {
      Object.assign(unsent, { remoteTag, answeredAt: at, ...(rang ? { ringingAt: rang } : {}) });
      return;
    }
    this.record((r) => r.legAnswered(legId, at, remoteTag, rang));
  }

  ended(legId: string, at: Date, cause: EndCause, status?: number): void {
    const end = { legId, at, cause, ...(status ? { status } : {}) };
    this.record((r) => r.legEnded(end));
  }

  /** Legs ending together: one write where the recorder takes them at once. */
  allEnded(legIds: string[], at: Date, cause: EndCause, status?: number): void {
    if (legIds.length > 1 && this.recorder.legsEnded) {
      this.record((r) => r.legsEnded!(legIds, at, cause, status));
      return;
    }
    for (const legId of legIds) this.ended(legId, at, cause, status);
  }

  private record(fn: (r: CallRecorder) => void | Promise<void>): void {
    // With nothing pending the call is made at once, and a recorder that finishes synchronously
    // (or a no-op one) costs no promise chain: there are eight calls per call.
    if (!this.pending) {
      let r: void | Promise<void>;
      try {
        r = fn(this.recorder);
      } catch (err) {
        this.log().error({ err }, 'call recorder failed');
        return;
      }
      if (r) this.queue(r);
      return;
    }
    this.queue(this.pending.then(() => fn(this.recorder)));
  }

  private queue(work: Promise<void>): void {
    const tail: Promise<void> = work
      .catch((err: unknown) => this.log().error({ err }, 'call recorder failed'))
      .then(() => {
        if (this.pending === tail) this.pending = undefined;
      });
    this.pending = tail;
  }
}

/** An offer with a video stream that is not refused (port 0). */
function hasVideo(sdp: string): boolean {
  return /^m=video [1-9]/m.test(sdp);
}
