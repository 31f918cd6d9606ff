// Customer-first callbacks: the customer is called first, with rtpengine standing in for the agent
// not chosen yet; once they answer they hear an announcement (rtpengine's media player) while the
// server finds an agent, whose leg is then added with the customer's media. The customer's leg is
// never re-INVITEd: to rtpengine the agent's leg is the placeholder answering again, under its
// tag, so only the agent side of the session changes (as a transfer does).
import { randomUUID } from 'node:crypto';
import { SipStatusError } from '../dialog/dialog.js';
import type { SipDialog } from '../engine-api.js';
import { MediaError, mediaFailureReason } from '../media/relay.js';
import { causeForStatus, type CallSessionInfo, type PlacedBy } from './recorder.js';
import { wireInDialogRelays } from './relay.js';
import { placeholderSdp, uacOptions, type LegTarget } from './legs.js';
import { CallSession } from './call-session.js';
import type { Leg } from './call-core.js';
import { legATarget, type OriginateHost, type OriginateLegA, type TrunkRoute } from './originate.js';
import type { InteractionContext } from './interaction-context.js';
import type { SipEngineApi } from '../engine-api.js';
import type { LiveCall } from './live-calls.js';

export interface CustomerFirstRequest {
  /** Number dialled through the trunk. */
  number: string;
  context?: InteractionContext;
  /** Caller id shown to the customer (default "switchboard"). */
  callerId?: string;
  /** The trunk the customer is called through (default: call control's own). */
  trunk?: TrunkRoute;
  /** Who to tell if this process dies while the customer waits and another one ends the call. */
  placedBy?: PlacedBy;
  /** The call's id (a UUID), when the caller records it before the call starts; else a new one. */
  id?: string;
}

export interface AgentLegRequest {
  /** The agent who accepted (their softphone, else their extension at the PBX), or any URI. */
  a: OriginateLegA;
  /** Shown on the agent's phone with the interaction's context headers (the desktop links the call). */
  context?: InteractionContext;
  callerId?: string;
  /** How long the agent's phone may ring. */
  timeoutMs: number;
}

/** Starts calling the customer; `answered` says how it went (see CustomerFirstCall.dialCustomer). */
export function dialCustomerFirst(cc: OriginateHost, engine: SipEngineApi, r: CustomerFirstRequest): { session: CustomerFirstCall; answered: Promise<CustomerAnswer> } {
  const domain = r.trunk ? (r.trunk.domain ?? r.trunk.host) : cc.domain;
  const target = cc.trunkTarget(r.number, {
    from: `sip:${r.callerId ?? 'switchboard'}@${domain}`,
    ...(r.context ? { headers: cc.contextHeaders(r.context) } : {}),
  }, r.trunk);
  const session = cc.newSession(r.context?.interactionId, { kind: 'originate' }, CustomerFirstCall, r.id);
  if (r.placedBy) session.placedBy = r.placedBy;
  return { session, answered: session.dialCustomer(target, engine.stack.local(target.target?.protocol ?? 'udp').host) };
}

/** Rings the agent for a waiting customer-first call and bridges them (CustomerFirstCall.connectAgent). */
export function connectAgentLeg(cc: OriginateHost, session: CustomerFirstCall, r: AgentLegRequest): Promise<AgentLegResult> {
  const target = legATarget(cc, r.a);
  target.from = `sip:${r.callerId ?? 'switchboard'}@${cc.domain}`;
  if (r.context?.name) target.fromName = `Callback: ${r.context.name}`;
  if (r.context) target.headers = cc.contextHeaders(r.context);
  return session.connectAgent(target, r.a.kind === 'agent' ? r.a.agentId : undefined, r.timeoutMs);
}

/** How the customer's leg went: answered (waiting for an agent), or how it ended. */
export type CustomerAnswer = { answered: true } | { answered: false; status: number };

/** How adding the agent went; on failure the customer is still there, waiting. */
export type AgentLegResult = { connected: true } | { connected: false; status: number; reason: string };

export class CustomerFirstCall extends CallSession {
  /** rtpengine's tag for the agent side: the placeholder, then the agent's leg. */
  private readonly agentTag = `a-${randomUUID().slice(0, 8)}`;
  private customerTag?: string;
  private customerProfile: LegTarget['profile'] = 'rtp';
  private announcing?: { timer?: NodeJS.Timeout; stopped: boolean };
  private connected = false;
  /** On the live-call record: the interaction is not, until an agent is on the call. */
  placedBy?: PlacedBy;

  /**
   * Until an agent is on the call its events carry no interaction: the interaction is waiting in
   * its queue, and a call event would otherwise make it look answered (or close it behind the
   * routing's back when the customer hangs up).
   */
  protected override base(): { callSessionId: string; interactionId?: string; at: Date } & CallSessionInfo {
    const b = super.base();
    if (!this.connected) delete b.interactionId;
    return b;
  }

  /** Calls the customer with rtpengine's placeholder for the agent; resolves once answered or ended. */
  async dialCustomer(target: LegTarget, placeholderHost: string): Promise<CustomerAnswer> {
    const { engine, media } = this.deps;
    this.mediaTag = this.agentTag;
    this.mediaUsed = true;
    this.customerProfile = target.profile;
    let offer: string;
    try {
      offer = await media.offer({ sessionId: this.id, fromTag: this.agentTag, sdp: placeholderSdp(placeholderHost), profile: target.profile });
    } catch (err) {
      this.log.warn({ err }, 'media offer for the customer failed');
      await this.teardown('media-failed', 503, mediaFailureReason(err));
      return { answered: false, status: 503 };
    }
    const ids = this.outboundIds();
    const b: Leg = { id: this.legs.created('outbound', ids, target.from ?? '', target.to ?? target.uri, { trunk: target.trunk === true }), profile: target.profile, ended: false };
    this.b = b;
    this.abortB = new AbortController();
    let dialog: SipDialog;
    try {
      dialog = await engine.createUAC(target.uri, {
        ...uacOptions(target, ids), localSdp: offer, signal: this.abortB.signal,
        onProvisional: (p) => {
          if ((p.status !== 180 && p.status !== 183) || this.state !== 'setup') return;
          this.state = 'ringing';
          this.legs.ringing(b.id);
          this.publish('ringing', this.base());
        },
      });
    } catch (err) {
      const status = err instanceof SipStatusError ? err.status : 500;
      if (!(err instanceof SipStatusError)) this.log.error({ err }, 'customer leg failed');
      await this.teardown(causeForStatus(status), status);
      return { answered: false, status };
    }
    b.dialog = dialog;
    this.abortB = undefined;
    this.customerTag = dialog.remoteTag;
    this.legs.answered(b.id, dialog.remoteTag);
    this.watch(dialog, 'callee-hangup');
    if (this.ending) return { answered: false, status: 487 };
    try {
      await media.answer({ sessionId: this.id, fromTag: this.agentTag, toTag: dialog.remoteTag, sdp: dialog.remoteSdp, profile: 'rtp' });
    } catch (err) {
      this.log.warn({ err }, 'media answer for the customer failed');
      await this.teardown('media-failed', 503, mediaFailureReason(err));
      return { answered: false, status: 503 };
    }
    // In-dialog OPTIONS find a customer who vanished while waiting. The call is not "answered"
    // (no agent) until connectAgent, but the customer is on the line: if this process dies,
    // another one hangs up on them and deletes the media from the live-call record.
    this.startKeepalive();
    this.saveLive();
    return this.ending ? { answered: false, status: 487 } : { answered: true };
  }

  /**
   * Plays `file` to the customer, again each time it ends, until an agent is connected or the
   * call ends. Resolves with the first play's length (ms); rejects when the relay cannot play it.
   */
  async announce(file: string): Promise<number> {
    const { media } = this.deps;
    const tag = this.customerTag;
    if (!media.play || !tag) throw new MediaError('this media relay has no player');
    this.stopAnnouncing();
    const run = { stopped: false } as NonNullable<typeof this.announcing>;
    this.announcing = run;
    const once = async (): Promise<number> => {
      const ms = await media.play!(this.id, tag, file);
      if (!run.stopped && !this.ending) run.timer = setTimeout(() => void once().catch((err: unknown) => this.log.warn({ err }, 'announcement could not be played again')), Math.max(ms, 500) + 300);
      return ms;
    };
    return once();
  }

  private stopAnnouncing(): void {
    if (!this.announcing) return;
    this.announcing.stopped = true;
    clearTimeout(this.announcing.timer);
    this.announcing = undefined;
  }

  /**
   * Rings the agent's leg with the customer's media and bridges the two. Until the agent answers
   * the customer keeps hearing the announcement; a leg that fails leaves the call as it was (the
   * caller decides what comes next). `timeoutMs` bounds the ringing.
   */
  async connectAgent(target: LegTarget, agentId: string | undefined, timeoutMs: number): Promise<AgentLegResult> {
    const { engine, media } = this.deps;
    const customer = this.b;
    if (this.ending || !customer?.dialog || !this.customerTag) return { connected: false, status: 481, reason: 'the customer is gone' };
    if (this.a && !this.a.ended) return { connected: false, status: 491, reason: 'an agent is being connected already' };
    const customerDialog = customer.dialog;
    const ids = this.outboundIds();
    const a: Leg = { id: this.legs.created('outbound', ids, target.from ?? '', target.to ?? target.uri, { trunk: target.trunk === true }), profile: target.profile, ended: false };
    this.a = a;
    const abort = new AbortController();
    this.abortB = abort;
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    let dialog: SipDialog;
    try {
      const offer = await media.offer({ sessionId: this.id, fromTag: this.customerTag, sdp: customerDialog.remoteSdp, profile: target.profile });
      dialog = await engine.createUAC(target.uri, {
        ...uacOptions(target, ids), ...this.ringingOnRecord(a.id), localSdp: offer, signal: abort.signal,
        onProvisional: (p) => (p.status === 180 || p.status === 183 ? this.legs.ringing(a.id) : undefined),
      });
      // Off the record with the write once bridged (saveLive below), which adds the agent's dialog.
      this.ringingSettled(a.id);
      a.dialog = dialog;
      this.legs.answered(a.id, dialog.remoteTag);
      if (this.ending) {
        // The customer left while the agent's phone rang: the teardown did not see this dialog yet.
        void dialog.destroy();
        return { connected: false, status: 487, reason: 'the customer is gone' };
      }
      this.stopAnnouncing();
      await media.stopPlaying?.(this.id, this.customerTag).catch(() => undefined);
      await media.answer({ sessionId: this.id, fromTag: this.customerTag, toTag: this.agentTag, sdp: dialog.remoteSdp, profile: this.customerProfile });
    } catch (err) {
      const status = err instanceof SipStatusError ? err.status : 503;
      if (!(err instanceof SipStatusError)) this.log.warn({ err }, 'agent leg of a customer-first call failed');
      void a.dialog?.destroy();
      // The customer still waits: their record must not name an INVITE that is over.
      if (this.ringingSettled(a.id)) void this.saveLive();
      if (!a.ended) {
        a.ended = true;
        this.legs.ended(a.id, new Date(), causeForStatus(status), status);
      }
      return { connected: false, status, reason: err instanceof Error ? err.message : String(err) };
    } finally {
      clearTimeout(timer);
      if (this.abortB === abort) this.abortB = undefined;
    }
    this.watch(dialog, 'caller-hangup');
    if (this.ending) return { connected: false, status: 487, reason: 'the customer is gone' };
    this.connected = true;
    if (agentId) (this.info as CallSessionInfo).agentId = agentId;
    this.state = 'answered';
    this.publish('answered', this.base());
    this.saveLive();
    wireInDialogRelays(
      this,
      { dialog, profile: target.profile, side: 'a', mediaTag: this.agentTag },
      { dialog: customerDialog, profile: this.customerProfile, side: 'b', mediaTag: this.customerTag },
      media,
    );
    return { connected: true };
  }

  override liveCall(): LiveCall | undefined {
    const call = super.liveCall();
    return call && this.placedBy ? { ...call, placedBy: this.placedBy } : call;
  }

  /** Up from the customer's answer: they are on the line, waiting for an agent. */
  protected override isUp(): boolean {
    return super.isUp() || (this.state !== 'ended' && !!this.b?.dialog && !!this.customerTag);
  }

  override teardown(...args: Parameters<CallSession['teardown']>): Promise<void> {
    this.stopAnnouncing();
    return super.teardown(...args);
  }
}
