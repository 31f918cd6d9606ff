import type { CallControl, CallEventBase } from '@switchboard/sip';
import type { CallsDeps } from './types.js';
import type { Logger } from '../../kernel/logger.js';
import type { MysqlCallRecorder } from './recorder.js';

/** A caller number worth keeping on a contact: digits, an optional +, no SIP user names. */
const PHONE_NUMBER = /^\+?[0-9]{3,32}$/;

/**
 * Calls the PBX hands to an agent's extension become that agent's work once the softphone
 * answers. A widget call coming back from the PBX carries its interaction
 * (X-Switchboard-Interaction): the agent gets it (capacity, Busy, wrap-up after the call, the
 * journey, the desktop's list). A call without it is an ordinary inbound call: it becomes a phone
 * interaction of that agent, with the contact found by the caller's number or created.
 */
export class PbxCalls {
  /**
   * Another call session of this interaction is still up: the agent's leg ended because the PBX
   * moved the call (a transfer), not because the customer's call is over.
   */
  othersLive(interactionId: string, callSessionId: string): boolean {
    return [...this.control.activeSessions.values()].some((x) => x.id !== callSessionId && x.interactionId === interactionId && x.state !== 'ended');
  }

  /** Interactions made here for calls that came without one, by call session. */
  private readonly made = new Map<string, string>();

  constructor(private readonly d: CallsDeps, private readonly control: CallControl, private readonly recorder: MysqlCallRecorder, private readonly log: Logger) {
    control.events.on('answered', (e) => {
      if (e.kind !== 'inbound' || !e.agentId) return;
      this.link(e, e.agentId).catch((err: unknown) => log.error({ err, callSessionId: e.callSessionId }, 'could not give the agent the interaction of a PBX call'));
    });
    // An agent transferred the call to another agent, who answered: the interaction is theirs now
    // (the first agent freed, 'transferred' in the journey), as when the PBX hands a call on.
    control.events.on('transferred', (e) => {
      if (!e.interactionId) return;
      const call = e.callSessionId.replace(/-/g, '');
      this.d.routing.claim(e.interactionId, e.agentId, { via: 'transfer', call }).catch((err: unknown) => log.error({ err, callSessionId: e.callSessionId }, 'could not give the interaction to the agent the call was transferred to'));
    });
  }

  /** The interaction of a call session: its own, or the one made for it here. */
  interactionOf(e: CallEventBase): string | undefined {
    return e.interactionId ?? this.made.get(e.callSessionId);
  }

  /** Forgets a session once the call's end has been handled. */
  ended(callSessionId: string): void {
    this.made.delete(callSessionId);
  }

  private async link(e: CallEventBase, agentId: string): Promise<void> {
    const call = e.callSessionId.replace(/-/g, '');
    const known = e.interactionId ? await this.d.routing.get(e.interactionId) : null;
    let interactionId: string;
    if (known && (known.channel === 'phone' || known.channel === 'video')) {
      interactionId = known.id;
    } else {
      if (e.interactionId) this.log.warn({ interactionId: e.interactionId }, 'a PBX call names an interaction that is not a call of ours; taken as a plain inbound call');
      interactionId = await this.inbound(e, call);
      this.made.set(e.callSessionId, interactionId);
      await this.recorder.linkInteraction(e.callSessionId, interactionId);
    }
    await this.d.routing.claim(interactionId, agentId, { via: 'pbx', call });
    // A call that ended while this ran: its end found no owner to close for.
    if (!this.control.session(e.callSessionId)) await this.d.routing.callEnded(interactionId);
  }

  private async inbound(e: CallEventBase, call: string): Promise<string> {
    const number = e.callerNumber && PHONE_NUMBER.test(e.callerNumber) ? e.callerNumber : null;
    const contact = number || e.callerName ? await this.d.contacts.findOrCreate({ phone: number, name: e.callerName?.slice(0, 200) ?? null }) : null;
    const i = await this.d.routing.createForCall({
      channel: 'phone', queueId: null, websiteId: null, contactId: contact?.id ?? null, at: e.at,
      step: { type: 'call.inbound', data: { call, ...(number ? { from: number } : {}) } },
    });
    return i.id;
  }
}
