// Originate-and-bridge as the server calls it: leg A is an agent (their registered softphone, or
// their extension through the PBX), leg B a customer number through the trunk.
import type { SipEngine } from '../engine.js';
import type { CallControl, InteractionContext } from './call-control.js';
import type { CallSession, LegTarget } from './call-session.js';

export type OriginateLegA =
  /** The agent's registered softphone when there is one, else their extension via the PBX. */
  | { kind: 'agent'; agentId: string; extension: string; displayName?: string }
  /** Any SIP URI reachable from here (tests, special setups). */
  | { kind: 'uri'; uri: string };

export interface OriginateRequest {
  a: OriginateLegA;
  /** Number dialled through the trunk for leg B. */
  bNumber: string;
  context?: InteractionContext;
  /** Caller id shown to the customer (default: the trunk's fromUser). */
  callerId?: string;
}

/**
 * Starts the call and returns its session at once; progress comes as call events (ringing,
 * answered, ended) and the session's `ended` event.
 */
export async function originate(cc: CallControl, engine: SipEngine, r: OriginateRequest): Promise<CallSession> {
  let aTarget: LegTarget;
  if (r.a.kind === 'agent') {
    const binding = cc.registrar.lookup(r.a.extension);
    aTarget = binding
      ? { uri: binding.contact, target: binding.flow, profile: 'webrtc', to: `sip:${r.a.extension}@${cc.domain}` }
      : cc.trunkTarget(r.a.extension);
  } else {
    aTarget = { uri: r.a.uri, profile: 'rtp' };
  }
  aTarget.from = `sip:${r.callerId ?? 'switchboard'}@${cc.domain}`;
  if (r.context?.name) aTarget.fromName = `Callback: ${r.context.name}`;
  const bTarget = cc.trunkTarget(r.bNumber, {
    from: `sip:${r.callerId ?? 'switchboard'}@${cc.domain}`,
    ...(r.context ? { headers: cc.contextHeaders(r.context) } : {}),
  });
  const session = cc.newSession(r.context?.interactionId);
  void session.originate(aTarget, bTarget, engine.stack.local(bTarget.target?.protocol ?? 'udp').host);
  return session;
}
