// One CallSession per call: it owns both dialogs and the rtpengine session (call-core.ts holds
// them, and the teardown every ending goes through). Here are the two ways a call is set up: an
// incoming INVITE bridged to a new outgoing call, and originate-and-bridge for callbacks.
import { randomUUID } from 'node:crypto';
import { SipStatusError } from '../dialog/dialog.js';
import type { SipDialog } from '../engine-api.js';
import type { IncomingRequest, ServerResponse } from '../request.js';
import { MediaError, mediaFailureReason, type MediaProfile } from '../media/relay.js';
import { sdpProblem } from '../sdp.js';
import { causeForStatus } from './recorder.js';
import { wireInDialogRelays, type InDialogRelays, type ReferHandler, type RelayLeg } from './relay.js';
import { placeholderSdp, referredUser, uacOptions, withUser, type LegTarget } from './legs.js';
import { CallCore, type Leg } from './call-core.js';

export type { LegTarget } from './legs.js';

/** The agent whose extension a number is, and where to ring them; undefined when it is no agent's. */
export type AgentAt = (extension: string) => Promise<{ agentId: string; target: LegTarget } | undefined>;
export { END_CAUSE_HEADER, type CallSessionDeps, type CallState, type CallSessionEvents } from './call-core.js';

export class CallSession extends CallCore {
  /** Where the B leg of a bridged call was dialled: a transfer dials the same way. */
  private bTarget?: LegTarget;
  private transferring = false;

  /**
   * Bridges an incoming INVITE (A leg, whose side speaks `aProfile`) to a new outgoing call (B
   * leg). Resolves when the call is answered or has ended; never rejects.
   */
  async bridge(req: IncomingRequest, res: ServerResponse, aProfile: MediaProfile, target: LegTarget): Promise<void> {
    const { engine, media } = this.deps;
    const msg = req.msg;
    this.a = {
      id: this.legs.created('inbound', { callId: msg.headers['call-id'], localTag: res.toTag, remoteTag: msg.headers.from.params.tag ?? '' }, msg.headers.from.uri, msg.headers.to.uri, { sdp: msg.body, trunk: req.locals.auth?.kind === 'trusted-peer' }),
      profile: aProfile,
      ended: false,
    };
    this.pendingA = res;
    const aTag = msg.headers.from.params.tag ?? '';
    this.mediaTag = aTag;
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
      return this.teardown(rejected ? 'rejected' : 'media-failed', rejected ? 488 : 503, mediaFailureReason(err));
    }
    if (this.ending) return;

    const bIds = this.outboundIds();
    this.bTarget = target;
    this.b = { id: this.legs.created('outbound', bIds, target.from ?? '', target.to ?? target.uri, { trunk: target.trunk === true }), profile: target.profile, ended: false };
    this.abortB = new AbortController();
    let bDialog: SipDialog;
    try {
      bDialog = await engine.createUAC(target.uri, {
        ...uacOptions(target, bIds),
        localSdp: offer,
        signal: this.abortB.signal,
        onProvisional: (p) => {
          if (p.status !== 180 && p.status !== 183) return;
          if (this.state === 'setup') {
            this.state = 'ringing';
            this.legs.ringing(this.b!.id);
            this.legs.ringing(this.a!.id);
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
    this.legs.answered(this.b.id, bDialog.remoteTag);
    this.watch(bDialog, 'callee-hangup');
    this.log.debug({ b: bDialog.id }, 'B leg answered');
    if (this.ending) return this.ending;

    let answer: string;
    try {
      answer = await media.answer({ sessionId: this.id, fromTag: aTag, toTag: bDialog.remoteTag, sdp: bDialog.remoteSdp, profile: aProfile });
    } catch (err) {
      this.log.warn({ err }, 'media answer failed');
      return this.teardown('media-failed', err instanceof MediaError && err.sdpRejected ? 488 : 503, mediaFailureReason(err));
    }
    if (this.ending) return this.ending;
    const a = this.a;
    let aDialog: SipDialog;
    try {
      aDialog = await engine.createUAS(req, res, {
        localSdp: answer,
        onDialog: (d) => {
          a.dialog = d;
          // Answered means ACKed; reported from the ACK itself so a BYE in the same read can't hide it.
          d.once('ack', () => {
            if (this.ending) return;
            this.state = 'answered';
            this.legs.answered(a.id, d.remoteTag);
            this.publish('answered', this.base());
            this.startKeepalive();
            this.saveLive();
          });
          this.watch(d, 'caller-hangup');
          wireInDialogRelays(
            this,
            { dialog: d, profile: aProfile, side: 'a', mediaTag: aTag },
            { dialog: bDialog, profile: target.profile, side: 'b', mediaTag: bDialog.remoteTag },
            this.deps.media,
            this.onRefer,
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
   * A REFER from the trunk side of a browser's call (the PBX moving the visitor elsewhere, or a
   * proxy PBX passing on the agent's transfer) is carried out here, RFC 3515 as the transferee:
   * the browser cannot follow it itself without leaving this call, its media and its record.
   */
  private readonly onRefer: ReferHandler = (from, to, relays, req, res) => {
    const target = this.bTarget;
    if (from.side !== 'b' || to.profile !== 'webrtc' || !target?.trunk) return false;
    const user = referredUser(req.msg.headers['refer-to']);
    if (!user) {
      res.send(400, 'Bad Request (Refer-To is not a number or user at the PBX)');
      return true;
    }
    const next: LegTarget = { ...target, uri: withUser(target.uri, user), ...(target.to ? { to: withUser(target.to, user) } : {}) };
    void this.transfer(next, user, from, to, relays, res).catch((err: unknown) => this.log.error({ err }, 'transfer failed'));
    return true;
  };

  /**
   * The agent of a call we originated (a callback) transferring it to another agent's extension:
   * carried out here, as the transferee on the customer's behalf, so the call stays one call with
   * its media, its record and its interaction, which goes to the agent who answers (the
   * `transferred` event). Handed to the PBX instead, the customer would go on in a call we know
   * nothing of. A Refer-To naming no agent (a queue, an outside number) is passed on as before.
   */
  private agentRefer(agentAt: AgentAt): ReferHandler {
    return async (from, to, relays, req, res) => {
      const user = from.side === 'a' ? referredUser(req.msg.headers['refer-to']) : undefined;
      const agent = user ? await agentAt(user) : undefined;
      if (!agent || !user) return false;
      void this.transfer(agent.target, user, from, to, relays, res, agent.agentId).catch((err: unknown) => this.log.error({ err }, 'transfer failed'));
      return true;
    };
  }

  /**
   * 202, then a new call to `next` (the Refer-To user) with the same context headers, the staying
   * party's media offered again through rtpengine (that party is not re-INVITEd). NOTIFYs report
   * progress (RFC 3515 §2.4.5). Once the new leg answers it takes the place of the transferor's
   * and the transferor's leg is hung up (RFC 5589 §6: the transferor would; done here too, so no
   * dialog is left if it does not). A failed new call leaves the call as it was.
   */
  private async transfer(next: LegTarget, user: string, from: RelayLeg, to: RelayLeg, relays: InDialogRelays, res: ServerResponse, agentId?: string): Promise<void> {
    const { engine, media } = this.deps;
    if (this.transferring || this.ending) {
      res.send(491, 'Request Pending');
      return;
    }
    this.transferring = true;
    res.send(202, 'Accepted');
    const notify = (frag: string, final: boolean): Promise<unknown> =>
      from.dialog.request('NOTIFY', {
        headers: { event: 'refer', 'subscription-state': final ? 'terminated;reason=noresource' : 'active;expires=60', 'content-type': 'message/sipfrag;version=2.0' },
        body: `SIP/2.0 ${frag}\r\n`,
      }).catch((err: unknown) => this.log.warn({ err }, 'transfer NOTIFY failed'));
    void notify('100 Trying', false);
    const ids = this.outboundIds();
    const leg: Leg = { id: this.legs.created('outbound', ids, next.from ?? '', next.to ?? next.uri, { trunk: next.trunk === true }), profile: next.profile, ended: false };
    const failed = async (status: number, reason: string): Promise<void> => {
      leg.ended = true;
      this.legs.ended(leg.id, new Date(), causeForStatus(status), status);
      this.transferring = false;
      await notify(`${status} ${reason}`, true);
    };
    let dialog: SipDialog;
    try {
      const offer = await media.offer({ sessionId: this.id, fromTag: to.mediaTag, sdp: to.dialog.remoteSdp, profile: next.profile });
      dialog = await engine.createUAC(next.uri, {
        ...uacOptions(next, ids),
        localSdp: offer,
        onProvisional: (p) => (p.status === 180 || p.status === 183 ? this.legs.ringing(leg.id) : undefined),
      });
      leg.dialog = dialog;
      this.legs.answered(leg.id, dialog.remoteTag);
      // To rtpengine the new leg is the old one re-INVITEd: its answer comes under the old leg's
      // tag, so only the transferor's side's address changes and the staying party's (a browser's
      // ICE and DTLS, a phone's RTP) stays as it is.
      await media.answer({ sessionId: this.id, fromTag: to.mediaTag, toTag: from.mediaTag, sdp: dialog.remoteSdp, profile: to.profile });
    } catch (err) {
      void leg.dialog?.destroy();
      if (err instanceof SipStatusError) return failed(err.status, err.reason);
      this.log.warn({ err }, 'transfer: the new leg failed');
      return failed(503, 'Service Unavailable');
    }
    if (this.ending) {
      void dialog.destroy();
      return;
    }
    const side = from.side;
    const old = this[side]!;
    this[side] = leg;
    relays.replace({ dialog, profile: next.profile, side, mediaTag: from.mediaTag });
    this.watch(dialog, side === 'b' ? 'callee-hangup' : 'caller-hangup');
    old.ended = true;
    this.legs.ended(old.id, new Date(), 'transferred');
    this.saveLive();
    this.transferring = false;
    this.log.info({ to: user }, 'call transferred');
    if (agentId) this.publish('transferred', { ...this.base(), agentId, to: user });
    await notify('200 OK', true);
    await old.dialog?.destroy();
  }

  /**
   * Originate and bridge (callbacks). rtpengine stands in for B while A rings: A is offered
   * rtpengine's ports for a placeholder B, B is called once A answered, then A is re-INVITEd
   * with B's real media so both directions flow (RFC 3725's concerns about the ACK delay do not
   * arise, since every INVITE carries an offer). Resolves when bridged or ended; never rejects.
   */
  async originate(aTarget: LegTarget, bTarget: LegTarget, placeholderHost: string, agentAt?: AgentAt): Promise<void> {
    const { engine, media } = this.deps;
    const bTag = `b-${randomUUID().slice(0, 8)}`;
    this.mediaTag = bTag;
    this.mediaUsed = true;
    let sdpForA: string;
    try {
      sdpForA = await media.offer({ sessionId: this.id, fromTag: bTag, sdp: placeholderSdp(placeholderHost), profile: aTarget.profile });
    } catch (err) {
      // Nothing was dialled yet: the attempt ends here, before any phone rings.
      this.log.warn({ err }, 'media offer for originate failed');
      return this.teardown('media-failed', undefined, mediaFailureReason(err));
    }
    const aIds = this.outboundIds();
    this.a = { id: this.legs.created('outbound', aIds, aTarget.from ?? '', aTarget.to ?? aTarget.uri, { trunk: aTarget.trunk === true }), profile: aTarget.profile, ended: false };
    const ringing = (leg: Leg): void => {
      this.legs.ringing(leg.id);
      if (this.state === 'setup') {
        this.state = 'ringing';
        this.publish('ringing', this.base());
      }
    };
    const a = this.a;
    this.abortB = new AbortController();
    let aDialog: SipDialog;
    try {
      aDialog = await engine.createUAC(aTarget.uri, {
        ...uacOptions(aTarget, aIds), ...this.ringingOnRecord(a.id), localSdp: sdpForA, signal: this.abortB.signal,
        onProvisional: (p) => p.status === 180 || p.status === 183 ? ringing(a) : undefined,
      });
    } catch (err) {
      const status = err instanceof SipStatusError ? err.status : 500;
      return this.teardown(causeForStatus(status), status);
    }
    // Not written again until the call is up (no write more per callback): a process dying while
    // the customer's phone rings leaves a record whose CANCEL the agent's phone answers 481.
    this.ringingSettled(a.id);
    a.dialog = aDialog;
    this.legs.answered(a.id, aDialog.remoteTag);
    this.watch(aDialog, 'caller-hangup');
    if (this.ending) return this.ending;
    const aTag = aDialog.remoteTag;
    this.state = 'setup';
    try {
      const sdpForB = await media.answer({ sessionId: this.id, fromTag: bTag, toTag: aTag, sdp: aDialog.remoteSdp, profile: bTarget.profile });
      const bIds = this.outboundIds();
      this.b = { id: this.legs.created('outbound', bIds, bTarget.from ?? '', bTarget.to ?? bTarget.uri, { trunk: bTarget.trunk === true }), profile: bTarget.profile, ended: false };
      const b = this.b;
      this.abortB = new AbortController();
      const bDialog = await engine.createUAC(bTarget.uri, {
        ...uacOptions(bTarget, bIds), localSdp: sdpForB, signal: this.abortB.signal,
        onProvisional: (p) => p.status === 180 || p.status === 183 ? ringing(b) : undefined,
      });
      b.dialog = bDialog;
      this.abortB = undefined;
      this.legs.answered(b.id, bDialog.remoteTag);
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
      this.saveLive();
      wireInDialogRelays(
        this,
        { dialog: aDialog, profile: aTarget.profile, side: 'a', mediaTag: aTag },
        { dialog: bDialog, profile: bTarget.profile, side: 'b', mediaTag: bTag },
        media,
        agentAt ? this.agentRefer(agentAt) : undefined,
      );
    } catch (err) {
      if (err instanceof SipStatusError) return this.teardown(causeForStatus(err.status), err.status);
      this.log.warn({ err }, 'originate failed');
      return err instanceof MediaError ? this.teardown('media-failed', undefined, mediaFailureReason(err)) : this.teardown('failed', undefined, mediaFailureReason(err));
    }
  }
}
