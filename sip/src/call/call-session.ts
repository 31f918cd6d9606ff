// One CallSession per call: it owns both dialogs and the rtpengine session, and `teardown()` is
// the only way out. Every ending (BYE either side, CANCEL, failure, transport loss, media error,
// server shutdown) funnels into teardown, which is idempotent and always deletes the media.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import type { Dialog } from '../dialog/dialog.js';
import { randomToken } from '../message.js';
import { SipStatusError } from '../dialog/dialog.js';
import type { SipEngineApi } from '../engine.js';
import type { IncomingRequest, ServerResponse } from '../request.js';
import { MediaError, type MediaProfile, type MediaRelay } from '../media/relay.js';
import { sdpProblem } from '../sdp.js';
import {
  type CallEventMap, type CallEvents, type CallRecorder, type EndCause, type LegDirection,
  causeForStatus, describeCause,
} from './recorder.js';
import { wireInDialogRelays } from './relay.js';
import { placeholderSdp, uacOptions, type LegTarget } from './legs.js';

export type { LegTarget } from './legs.js';

export interface CallSessionDeps {
  engine: SipEngineApi;
  media: MediaRelay;
  recorder: CallRecorder;
  events: CallEvents;
  log: Logger;
  /**
   * In-dialog OPTIONS to UDP/TCP legs every so often (ms; 0 = off). A peer that vanished without
   * BYE answers nothing (408) or forgot the dialog (481), and the call is torn down instead of
   * holding its media forever. WebSocket legs are watched through their connection instead.
   */
  dialogKeepaliveMs?: number;
}

/** Header carrying the EndCause to the caller (final response or BYE), for the widget. */
export const END_CAUSE_HEADER = 'x-end-cause';

export type CallState = 'setup' | 'ringing' | 'answered' | 'ended';

export interface CallSessionEvents {
  ended: [cause: EndCause];
}

interface Leg {
  id: string;
  dialog?: Dialog;
  profile: MediaProfile;
  ended: boolean;
}

export class CallSession extends EventEmitter<CallSessionEvents> {
  readonly id = randomUUID();
  state: CallState = 'setup';
  held = false;
  private childLog?: Logger;
  private a?: Leg;
  private b?: Leg;
  private abortB?: AbortController;
  private pendingA?: ServerResponse;
  private mediaUsed = false;
  private ending?: Promise<void>;
  /** The recorder work still running, in order; undefined when there is none. */
  private recording?: Promise<void>;
  private keepalive?: NodeJS.Timeout;
  endCause?: EndCause;

  constructor(
    private readonly deps: CallSessionDeps,
    readonly interactionId?: string,
  ) {
    super();
  }

  /**
   * The call's logger, carrying its ids. Made on first use and not at all while logging is off:
   * a pino child costs more than the rest of a call's set-up bookkeeping.
   */
  get log(): Logger {
    if (this.childLog) return this.childLog;
    if (!this.deps.log.isLevelEnabled('fatal')) return this.deps.log;
    this.childLog = this.deps.log.child({ callSessionId: this.id, ...(this.interactionId ? { interactionId: this.interactionId } : {}) });
    return this.childLog;
  }

  get aDialog(): Dialog | undefined {
    return this.a?.dialog;
  }
  get bDialog(): Dialog | undefined {
    return this.b?.dialog;
  }

  private base(): { callSessionId: string; interactionId?: string; at: Date } {
    return { callSessionId: this.id, ...(this.interactionId ? { interactionId: this.interactionId } : {}), at: new Date() };
  }

  /**
   * Recorder calls run in order per call but never hold up signalling: a slow database must not
   * add to call setup time. Failures are logged, not fatal.
   */
  private record(fn: (r: CallRecorder) => void | Promise<void>): void {
    // With nothing pending the call is made at once, and a recorder that finishes synchronously
    // (or a no-op one) costs no promise chain: there are eight calls per call.
    if (!this.recording) {
      let r: void | Promise<void>;
      try {
        r = fn(this.deps.recorder);
      } catch (err) {
        this.log.error({ err }, 'call recorder failed');
        return;
      }
      if (r) this.queueRecording(r);
      return;
    }
    this.queueRecording(this.recording.then(() => fn(this.deps.recorder)));
  }

  private queueRecording(work: Promise<void>): void {
    const tail: Promise<void> = work
      .catch((err: unknown) => this.log.error({ err }, 'call recorder failed'))
      .then(() => {
        if (this.recording === tail) this.recording = undefined;
      });
    this.recording = tail;
  }

  private recordLeg(direction: LegDirection, ids: { callId: string; localTag: string; remoteTag?: string }, from: string, to: string): string {
    const legId = randomUUID();
    const leg = {
      legId, callSessionId: this.id, direction, callId: ids.callId, localTag: ids.localTag, from, to, createdAt: new Date(),
      ...(ids.remoteTag ? { remoteTag: ids.remoteTag } : {}),
      ...(this.interactionId ? { interactionId: this.interactionId } : {}),
    };
    this.record((r) => r.legCreated(leg));
    return legId;
  }

  /**
   * Publishes a call event. A throwing listener (server code) is logged, never allowed to break
   * call handling: a rejected teardown would otherwise be an unhandled rejection.
   */
  private publish<K extends keyof CallEventMap>(name: K, ...payload: CallEventMap[K]): void {
    try {
      (this.deps.events.emit as (n: K, ...a: CallEventMap[K]) => boolean)(name, ...payload);
    } catch (err) {
      this.log.error({ err, event: name }, 'call event listener threw');
    }
  }

  private legRinging(legId: string): void {
    const at = new Date();
    this.record((r) => r.legRinging(legId, at));
  }

  private legAnswered(legId: string, remoteTag: string): void {
    const at = new Date();
    this.record((r) => r.legAnswered(legId, at, remoteTag));
  }

  /** Ids for a leg we originate; the engine uses them, so the record holds the real SIP ids. */
  private outboundIds(): { callId: string; localTag: string } {
    return { callId: randomToken(12), localTag: randomToken(6) };
  }

  /**
   * Bridges an incoming INVITE (A leg, whose side speaks `aProfile`) to a new outgoing call (B
   * leg). Resolves when the call is answered or has ended; never rejects.
   */
  async bridge(req: IncomingRequest, res: ServerResponse, aProfile: MediaProfile, target: LegTarget): Promise<void> {
    const { engine, media } = this.deps;
    const msg = req.msg;
    this.a = {
      id: this.recordLeg('inbound', { callId: msg.headers['call-id'], localTag: res.toTag, remoteTag: msg.headers.from.params.tag ?? '' }, msg.headers.from.uri, msg.headers.to.uri),
      profile: aProfile,
      ended: false,
    };
    this.pendingA = res;
    const aTag = msg.headers.from.params.tag ?? '';
    req.once('cancel', () => void this.teardown('canceled', 487));

    const problem = msg.body ? sdpProblem(msg.body) : 'an SDP offer is required (late offer is not supported)';
    if (problem) {
      this.log.info({ problem }, 'refusing INVITE: bad SDP');
      res.send(488, 'Not Acceptable Here', { headers: { warning: `399 switchboard "${problem}"` } });
      return this.teardown('rejected', 488);
    }
    let offer: string;
    try {
      this.mediaUsed = true;
      offer = await media.offer({ sessionId: this.id, fromTag: aTag, sdp: msg.body, profile: target.profile });
    } catch (err) {
      // rtpengine refusing this SDP is the caller's problem (488); rtpengine unreachable is ours (503).
      const rejected = err instanceof MediaError && err.sdpRejected;
      this.log.warn({ err }, 'media offer failed');
      return this.teardown(rejected ? 'rejected' : 'media-failed', rejected ? 488 : 503);
    }
    if (this.ending) return;

    const bIds = this.outboundIds();
    this.b = { id: this.recordLeg('outbound', bIds, target.from ?? '', target.to ?? target.uri), profile: target.profile, ended: false };
    this.abortB = new AbortController();
    let bDialog: Dialog;
    try {
      bDialog = await engine.createUAC(target.uri, {
        ...uacOptions(target, bIds),
        localSdp: offer,
        signal: this.abortB.signal,
        onProvisional: (p) => {
          if (p.status !== 180 && p.status !== 183) return;
          if (this.state === 'setup') {
            this.state = 'ringing';
            this.legRinging(this.b!.id);
            this.legRinging(this.a!.id);
            this.publish('ringing', this.base());
          }
          if (p.body && !sdpProblem(p.body)) {
            // Early media (announcements, ringback from the PBX): relay it through rtpengine.
            const toTag = p.headers.to.params.tag ?? '';
            media.answer({ sessionId: this.id, fromTag: aTag, toTag, sdp: p.body, profile: aProfile }).then(
              (sdp) => res.send(183, 'Session Progress', { body: sdp, headers: { 'content-type': 'application/sdp' } }),
              (err: unknown) => this.log.warn({ err }, 'early media answer failed'),
            );
            return;
          }
          res.send(180, 'Ringing');
        },
      });
    } catch (err) {
      const status = err instanceof SipStatusError ? err.status : 500;
      if (!(err instanceof SipStatusError)) this.log.error({ err }, 'B leg failed');
      return this.teardown(causeForStatus(status), status);
    }
    this.b.dialog = bDialog;
    this.abortB = undefined;
    this.legAnswered(this.b.id, bDialog.remoteTag);
    this.watch(bDialog, 'callee-hangup');
    this.log.debug({ b: bDialog.id }, 'B leg answered');
    if (this.ending) return this.ending;

    let answer: string;
    try {
      answer = await media.answer({ sessionId: this.id, fromTag: aTag, toTag: bDialog.remoteTag, sdp: bDialog.remoteSdp, profile: aProfile });
    } catch (err) {
      this.log.warn({ err }, 'media answer failed');
      return this.teardown('media-failed', err instanceof MediaError && err.sdpRejected ? 488 : 503);
    }
    if (this.ending) return this.ending;
    const a = this.a;
    let aDialog: Dialog;
    try {
      aDialog = await engine.createUAS(req, res, {
        localSdp: answer,
        onDialog: (d) => {
          a.dialog = d;
          // Answered means ACKed; reported from the ACK itself so a BYE in the same read can't hide it.
          d.once('ack', () => {
            if (this.ending) return;
            this.state = 'answered';
            this.legAnswered(a.id, d.remoteTag);
            this.publish('answered', this.base());
            this.startKeepalive();
          });
          this.watch(d, 'caller-hangup');
          wireInDialogRelays(
            this,
            { dialog: d, profile: aProfile, side: 'a', mediaTag: aTag },
            { dialog: bDialog, profile: target.profile, side: 'b', mediaTag: bDialog.remoteTag },
            this.deps.media,
          );
        },
      });
    } catch {
      return this.teardown(req.canceled ? 'canceled' : 'transport-lost', 408);
    }
    this.pendingA = undefined;
    this.log.debug({ a: aDialog.id, b: bDialog.id }, 'call answered');
    if (this.ending) {
      // Teardown ran while we waited for the ACK (before it could see this dialog as up).
      void aDialog.destroy();
      return this.ending;
    }
  }

  /**
   * Originate and bridge (callbacks). rtpengine stands in for B while A rings: A is offered
   * rtpengine's ports for a placeholder B, B is called once A answered, then A is re-INVITEd
   * with B's real media so both directions flow (RFC 3725's concerns about the ACK delay do not
   * arise, since every INVITE carries an offer). Resolves when bridged or ended; never rejects.
   */
  async originate(aTarget: LegTarget, bTarget: LegTarget, placeholderHost: string): Promise<void> {
    const { engine, media } = this.deps;
    const bTag = `b-${randomUUID().slice(0, 8)}`;
    this.mediaUsed = true;
    let sdpForA: string;
    try {
      sdpForA = await media.offer({ sessionId: this.id, fromTag: bTag, sdp: placeholderSdp(placeholderHost), profile: aTarget.profile });
    } catch (err) {
      this.log.warn({ err }, 'media offer for originate failed');
      return this.teardown('media-failed');
    }
    const aIds = this.outboundIds();
    this.a = { id: this.recordLeg('outbound', aIds, aTarget.from ?? '', aTarget.to ?? aTarget.uri), profile: aTarget.profile, ended: false };
    const ringing = (leg: Leg): void => {
      this.legRinging(leg.id);
      if (this.state === 'setup') {
        this.state = 'ringing';
        this.publish('ringing', this.base());
      }
    };
    const a = this.a;
    this.abortB = new AbortController();
    let aDialog: Dialog;
    try {
      aDialog = await engine.createUAC(aTarget.uri, {
        ...uacOptions(aTarget, aIds), localSdp: sdpForA, signal: this.abortB.signal,
        onProvisional: (p) => p.status === 180 || p.status === 183 ? ringing(a) : undefined,
      });
    } catch (err) {
      const status = err instanceof SipStatusError ? err.status : 500;
      return this.teardown(causeForStatus(status), status);
    }
    a.dialog = aDialog;
    this.legAnswered(a.id, aDialog.remoteTag);
    this.watch(aDialog, 'caller-hangup');
    if (this.ending) return this.ending;
    const aTag = aDialog.remoteTag;
    this.state = 'setup';
    try {
      const sdpForB = await media.answer({ sessionId: this.id, fromTag: bTag, toTag: aTag, sdp: aDialog.remoteSdp, profile: bTarget.profile });
      const bIds = this.outboundIds();
      this.b = { id: this.recordLeg('outbound', bIds, bTarget.from ?? '', bTarget.to ?? bTarget.uri), profile: bTarget.profile, ended: false };
      const b = this.b;
      this.abortB = new AbortController();
      const bDialog = await engine.createUAC(bTarget.uri, {
        ...uacOptions(bTarget, bIds), localSdp: sdpForB, signal: this.abortB.signal,
        onProvisional: (p) => p.status === 180 || p.status === 183 ? ringing(b) : undefined,
      });
      b.dialog = bDialog;
      this.abortB = undefined;
      this.legAnswered(b.id, bDialog.remoteTag);
      this.watch(bDialog, 'callee-hangup');
      if (this.ending) return this.ending;
      // B's real address and codec, then A re-INVITEd onto it.
      const sdpForA2 = await media.offer({ sessionId: this.id, fromTag: bTag, sdp: bDialog.remoteSdp, profile: aTarget.profile });
      const aAnswer = await aDialog.modify(sdpForA2);
      await media.answer({ sessionId: this.id, fromTag: bTag, toTag: aTag, sdp: aAnswer, profile: bTarget.profile });
      if (this.ending) return this.ending;
      this.state = 'answered';
      this.publish('answered', this.base());
      this.startKeepalive();
      wireInDialogRelays(
        this,
        { dialog: aDialog, profile: aTarget.profile, side: 'a', mediaTag: aTag },
        { dialog: bDialog, profile: bTarget.profile, side: 'b', mediaTag: bTag },
        media,
      );
    } catch (err) {
      if (err instanceof SipStatusError) return this.teardown(causeForStatus(err.status), err.status);
      this.log.warn({ err }, 'originate failed');
      return this.teardown(err instanceof MediaError ? 'media-failed' : 'failed');
    }
  }

  /**
   * Ends the call when `dialog` ends. A dialog can already be gone when we get it: an ACK and a
   * BYE in one WebSocket read are handled before the promise that delivers the dialog resolves.
   */
  private watch(dialog: Dialog, hangup: 'caller-hangup' | 'callee-hangup'): void {
    if (dialog.state === 'terminated') {
      void this.teardown(hangup, 200);
      return;
    }
    // A peer that never ACKed our 200 or whose connection dropped is gone, it did not hang up.
    const lost = (by: string): boolean => by === 'transport' || by === 'ack-timeout';
    dialog.once('destroy', (c) => void this.teardown(lost(c.by) ? 'transport-lost' : hangup, c.by === 'remote' ? 200 : undefined));
  }

  /** Called by the relays when a re-INVITE put the call on hold or took it off. */
  setHeld(held: boolean, by: 'a' | 'b'): void {
    if (held === this.held) return;
    this.held = held;
    this.publish('held', { ...this.base(), held, by });
  }

  /** Ends everything this call holds. Idempotent; resolves when BYEs were sent and media deleted. */
  teardown(cause: EndCause = 'failed', status?: number): Promise<void> {
    if (this.ending) return this.ending;
    // Set before any work: destroying a dialog below re-enters teardown through its 'destroy' event.
    this.endCause = cause;
    this.state = 'ended';
    this.ending = Promise.resolve().then(() => this.doTeardown(cause, status));
    return this.ending;
  }

  private startKeepalive(): void {
    const every = this.deps.dialogKeepaliveMs ?? 0;
    if (!every) return;
    const tick = async (): Promise<void> => {
      for (const leg of [this.a, this.b]) {
        const d = leg?.dialog;
        if (!d || d.state === 'terminated' || d.flow.protocol === 'ws' || this.ending) continue;
        const r = await d.request('OPTIONS').catch(() => undefined);
        if (!r || r.status === 408 || r.status === 481) {
          this.log.info({ dialog: d.id, status: r?.status }, 'keepalive: peer gone');
          void this.teardown('transport-lost', r?.status);
          return;
        }
      }
      if (!this.ending) this.keepalive = setTimeout(() => void tick(), every).unref();
    };
    this.keepalive = setTimeout(() => void tick(), every).unref();
  }

  private async doTeardown(cause: EndCause, status?: number): Promise<void> {
    const { media } = this.deps;
    clearTimeout(this.keepalive);
    this.abortB?.abort();
    if (this.pendingA && !this.pendingA.finalSent) {
      const s = status && status >= 400 ? status : 480;
      // The widget shows a sentence for the cause; it gets the cause itself, not just a status.
      this.pendingA.send(cause === 'canceled' ? 487 : s === 487 ? 480 : s, undefined, { headers: { [END_CAUSE_HEADER]: cause } });
    }
    const legs = [this.a, this.b].filter((l): l is Leg => !!l);
    // BYE goes out now; its response is not waited for (a vanished peer would hold media for 32 s).
    for (const l of legs) {
      const headers = l === this.a ? { [END_CAUSE_HEADER]: cause } : undefined;
      l.dialog?.destroy(headers ? { headers } : {}).catch((err: unknown) => this.log.warn({ err }, 'BYE failed'));
    }
    if (this.mediaUsed) {
      try {
        await media.delete(this.id);
      } catch (err) {
        this.log.error({ err }, 'rtpengine delete failed');
      }
    }
    const at = new Date();
    for (const l of legs) {
      if (l.ended) continue;
      l.ended = true;
      const end = { legId: l.id, at, cause, ...(status ? { status } : {}) };
      this.record((r) => r.legEnded(end));
    }
    await this.recording;
    this.publish('ended', { ...this.base(), cause, ...(status ? { status } : {}), description: describeCause(cause) });
    this.log.info({ cause, status }, 'call ended');
    this.emit('ended', cause);
  }
}
