// The state of one call and its only way out, `teardown()`. Every ending (BYE either side,
// CANCEL, failure, transport loss, media error, server shutdown) funnels into teardown, which is
// idempotent and always deletes the media. How a call is set up is call-session.ts.
import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from 'pino';
import { randomToken } from '../message.js';
import type { SipDialog, SipEngineApi } from '../engine-api.js';
import type { ServerResponse } from '../request.js';
import type { MediaProfile, MediaRelay } from '../media/relay.js';
import {
  type CallEventMap, type CallEvents, type CallRecorder, type CallSessionInfo, type EndCause, describeCause,
} from './recorder.js';
import type { LiveCall, LiveCallStore } from './live-calls.js';
import type { UacOptions } from '../engine-api.js';
import type { PendingInvite } from '../pending-invite.js';
import { LegRecords } from './leg-records.js';
import { LiveCallWriter } from './live-call-writer.js';
import { keepDialogsAlive } from './dialog-keepalive.js';

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
  /** Where answered calls are kept for another process to end them if this one dies. */
  liveCalls?: LiveCallStore;
}

/** Header carrying the EndCause to the caller (final response or BYE), for the widget. */
export const END_CAUSE_HEADER = 'x-end-cause';

export type CallState = 'setup' | 'ringing' | 'answered' | 'ended';

export interface CallSessionEvents {
  ended: [cause: EndCause];
}

export interface Leg {
  id: string;
  dialog?: SipDialog;
  profile: MediaProfile;
  ended: boolean;
}

/**
 * What every call holds, whichever way it was set up (`CallSession`): its two legs, its state and
 * events, its records, and the one way out.
 */
export abstract class CallCore extends EventEmitter<CallSessionEvents> {
  state: CallState = 'setup';
  held = false;
  private transferredAway = false;
  private childLog?: Logger;
  protected a?: Leg;
  protected b?: Leg;
  protected abortB?: AbortController;
  protected pendingA?: ServerResponse;
  protected mediaUsed = false;
  protected ending?: Promise<void>;
  protected readonly legs: LegRecords;
  private stopKeepalive?: () => void;
  /** rtpengine's from-tag for this call's session. */
  protected mediaTag?: string;
  private readonly live?: LiveCallWriter;
  /** Agent legs whose INVITE is not answered yet, by leg id, as the live-call record has them. */
  private readonly ringingLegs = new Map<string, PendingInvite>();
  endCause?: EndCause;
  /** What exactly failed, when teardown was told (the media relay's reason). */
  endDetail?: string;

  constructor(
    protected readonly deps: CallSessionDeps,
    readonly interactionId?: string,
    readonly info: CallSessionInfo = {},
    /** Chosen by the caller when it records the call's id before the call starts. */
    readonly id: string = randomUUID(),
  ) {
    super();
    this.legs = new LegRecords(deps.recorder, { callSessionId: this.id, ...(interactionId ? { interactionId } : {}), info }, () => this.log);
    if (deps.liveCalls) this.live = new LiveCallWriter(deps.liveCalls, () => this.log);
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

  get aDialog(): SipDialog | undefined {
    return this.a?.dialog;
  }
  get bDialog(): SipDialog | undefined {
    return this.b?.dialog;
  }

  protected base(): { callSessionId: string; interactionId?: string; at: Date } & CallSessionInfo {
    return { callSessionId: this.id, ...(this.interactionId ? { interactionId: this.interactionId } : {}), ...this.info, at: new Date() };
  }

  /**
   * Publishes a call event. A throwing listener (server code) is logged, never allowed to break
   * call handling: a rejected teardown would otherwise be an unhandled rejection.
   */
  protected publish<K extends keyof CallEventMap>(name: K, ...payload: CallEventMap[K]): void {
    try {
      (this.deps.events.emit as (n: K, ...a: CallEventMap[K]) => boolean)(name, ...payload);
    } catch (err) {
      this.log.error({ err, event: name }, 'call event listener threw');
    }
  }

  /** Ids for a leg we originate; the engine uses them, so the record holds the real SIP ids. */
  protected outboundIds(): { callId: string; localTag: string } {
    return { callId: randomToken(12), localTag: randomToken(6) };
  }

  /**
   * Ends the call when `dialog` ends. A dialog can already be gone when we get it: an ACK and a
   * BYE in one WebSocket read are handled before the promise that delivers the dialog resolves.
   */
  protected watch(dialog: SipDialog, hangup: 'caller-hangup' | 'callee-hangup'): void {
    if (dialog.state === 'terminated') {
      void this.teardown(hangup, 200);
      return;
    }
    // A peer that never ACKed our 200 or whose connection dropped is gone, it did not hang up.
    const lost = (by: string): boolean => by === 'transport' || by === 'ack-timeout';
    dialog.once('destroy', (c) => {
      // A leg a transfer replaced ends alone.
      if (dialog !== this.a?.dialog && dialog !== this.b?.dialog) return;
      void this.teardown(lost(c.by) ? 'transport-lost' : this.transferredAway ? 'transferred' : hangup, c.by === 'remote' ? 200 : undefined);
    });
  }

  /** Called by the relays when the far end took a transfer we passed on and has carried it out. */
  handedOver(): void {
    this.transferredAway = true;
  }

  /** Called by the relays when a re-INVITE put the call on hold or took it off. */
  setHeld(held: boolean, by: 'a' | 'b'): void {
    if (held === this.held) return;
    this.held = held;
    this.publish('held', { ...this.base(), held, by });
    this.saveLive();
  }

  /** The relay's session of an answered call that uses one (what the media watch checks). */
  get mediaSession(): string | undefined {
    return this.state === 'answered' && this.mediaUsed ? this.id : undefined;
  }

  /** Whether the call has parties another process would have to hang up if this one died. */
  protected isUp(): boolean {
    return this.state === 'answered';
  }

  /**
   * For an agent's leg: its INVITE is on the live-call record before it is sent, so that if this
   * process dies while the phone rings, the one ending the call can CANCEL it. Nothing where no
   * store is kept or the engine could not send that CANCEL. `settled(legId)` once it has its
   * final response: the next write of the record leaves it out.
   */
  protected ringingOnRecord(legId: string): Pick<UacOptions, 'onInvite'> {
    if (!this.live || !this.deps.engine.cancelPending) return {};
    return {
      onInvite: (invite) => {
        // A browser's leg dies with this process's WebSocket: nobody else could reach it.
        if (invite.flow.protocol === 'ws') return;
        this.ringingLegs.set(legId, invite);
        return this.saveLive();
      },
    };
  }

  /** The leg's INVITE had its final response; true when the record still names it. */
  protected ringingSettled(legId: string): boolean {
    return this.ringingLegs.delete(legId);
  }

  /**
   * What another process needs to end this call (dialogs, media session, INVITEs of agent legs
   * still ringing); undefined until it is up or an agent's phone rings. Its interaction is the one
   * its events carry: the process ending it publishes its end.
   */
  liveCall(): LiveCall | undefined {
    const up = this.isUp();
    if (!up && !this.ringingLegs.size) return undefined;
    // A call that only rings has answered nothing of its interaction: its end is for what placed
    // it to settle (a callback's dial job, taken over when its instance died), not the interaction's.
    const interactionId = up ? this.base().interactionId : undefined;
    const legs = [this.a, this.b].filter((l): l is Leg => !!l?.dialog).map((l) => {
      const dialog = l.dialog!.snapshot?.();
      return { legId: l.id, ...(dialog ? { dialog } : {}) };
    });
    return {
      callSessionId: this.id,
      ...(interactionId ? { interactionId } : {}),
      ...(this.mediaUsed && this.mediaTag !== undefined ? { media: { callId: this.id, fromTag: this.mediaTag } } : {}),
      legs,
      ...(this.ringingLegs.size ? { ringing: [...this.ringingLegs].map(([legId, invite]) => ({ legId, ...invite })) } : {}),
      answeredAt: new Date().toISOString(),
    };
  }

  /**
   * Writes the call to the live store: at answer, and again after in-dialog requests of ours
   * (their CSeq must be exceeded by the BYE another process would send).
   */
  protected saveLive(): Promise<void> | undefined {
    const call = this.live && !this.ending ? this.liveCall() : undefined;
    return call ? this.live!.save(call) : undefined;
  }

  /**
   * Ends everything this call holds. Idempotent; resolves when BYEs were sent and media deleted.
   * `detail`: what exactly failed, for records and logs (the media relay's reason), never for callers.
   */
  teardown(cause: EndCause = 'failed', status?: number, detail?: string): Promise<void> {
    if (this.ending) return this.ending;
    // Set before any work: destroying a dialog below re-enters teardown through its 'destroy' event.
    this.endCause = cause;
    this.endDetail = detail;
    this.state = 'ended';
    this.ending = Promise.resolve().then(() => this.doTeardown(cause, status, detail));
    return this.ending;
  }

  protected startKeepalive(): void {
    const every = this.deps.dialogKeepaliveMs ?? 0;
    if (!every) return;
    this.stopKeepalive = keepDialogsAlive({
      every,
      log: () => this.log,
      dialogs: () => [this.a?.dialog, this.b?.dialog],
      ending: () => !!this.ending,
      gone: (status) => void this.teardown('transport-lost', status),
      alive: () => this.saveLive(),
    });
  }

  private async doTeardown(cause: EndCause, status?: number, detail?: string): Promise<void> {
    const { media } = this.deps;
    this.stopKeepalive?.();
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
    const open = legs.filter((l) => !l.ended);
    for (const l of open) l.ended = true;
    this.legs.allEnded(open.map((l) => l.id), new Date(), cause, status);
    await this.legs.settled;
    await this.live?.drop(this.id);
    this.publish('ended', { ...this.base(), cause, ...(status ? { status } : {}), ...(detail ? { detail } : {}), description: describeCause(cause) });
    this.log.info({ cause, status, detail }, 'call ended');
    this.emit('ended', cause);
  }
}
