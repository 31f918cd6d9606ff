// Keep my place from a widget call. The call waits in the PBX's queue — ringing there, or answered
// by the queue's music — until an agent's extension answers it (calls/pbx-calls.ts claims it then).
// Once its callback holds the place the call must end, on whichever instance carries it, so the
// visitor is not served twice and no agent's phone goes on ringing for it.
import type { Kernel } from '../../kernel/kernel.js';
import type { Interaction } from '../interactions/index.js';
import type { InteractionSteps } from '../routing/index.js';
import type { Calls } from '../calls/index.js';

export type CallPlaceBusEvent = { type: 'callback.call-switched'; interactionId: string };

declare module '../../kernel/bus.js' {
  interface BusEvents {
    callPlace: CallPlaceBusEvent;
  }
}

export interface CallPlaceDeps {
  /** The SIP side of this instance while it runs (calls context). */
  sip: () => Calls | undefined;
}

/** A widget call no agent has answered yet. The PBX answering with its queue's music is still a wait. */
export function callWaiting(i: Pick<Interaction, 'channel' | 'state' | 'assignedAgentId'>): boolean {
  return (i.channel === 'phone' || i.channel === 'video') && (i.state === 'queued' || i.state === 'assigned') && !i.assignedAgentId;
}

/**
 * The call is over for the visitor now: closed here (a call never connected has no end to close
 * it), then every instance is asked to hang up the sessions of it it carries.
 */
export async function endSwitchedCall(k: Pick<Kernel, 'bus'> & { routing: Pick<InteractionSteps, 'closeWaitingCall'> }, interactionId: string): Promise<void> {
  await k.routing.closeWaitingCall(interactionId);
  await k.bus.publish({ type: 'callback.call-switched', interactionId });
}

/** This instance's side of endSwitchedCall: returns the unsubscribe. */
export function hangUpSwitchedCalls(k: Pick<Kernel, 'bus' | 'log'>, d: CallPlaceDeps): () => void {
  return k.bus.on((e) => {
    if (e.type !== 'callback.call-switched') return;
    const control = d.sip()?.control;
    if (!control) return;
    for (const session of control.activeSessions.values()) {
      if (session.interactionId !== e.interactionId) continue;
      control.hangup(session.id).catch((err: unknown) => k.log.warn({ err, interactionId: e.interactionId }, 'could not hang up a call switched to a callback'));
    }
  });
}
