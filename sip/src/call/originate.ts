// Originate-and-bridge as the server calls it: leg A is an agent (their registered softphone, or
// their extension through the PBX), leg B a customer number through the trunk.
import type { SipEngineApi } from '../engine-api.js';
import type { AgentAt, CallSession, CallSessionDeps, LegTarget } from './call-session.js';
import type { CallSessionInfo } from './recorder.js';
import type { Binding } from './registrar.js';
import type { InteractionContext } from './interaction-context.js';
import type { Credentials } from '../auth/digest.js';

/** Where a trunk is: what a leg through it needs (call control's TrunkConfig is one). */
export interface TrunkRoute {
  host: string;
  port: number;
  transport: 'udp' | 'tcp';
  /** Host part of URIs sent to the PBX (default: host). */
  domain?: string;
  auth?: Credentials;
}

/** A CallSession class (customer-first calls are one). */
export type SessionKind<T extends CallSession> = new (deps: CallSessionDeps, interactionId?: string, info?: CallSessionInfo, id?: string) => T;

/** What originating needs of call control: the agent's registration, the trunk, new sessions. */
export interface OriginateHost {
  readonly domain: string;
  readonly registrar: { lookup(extension: string): Binding | undefined };
  trunkTarget(number: string, extra?: Partial<LegTarget>, trunk?: TrunkRoute): LegTarget;
  contextHeaders(ctx: InteractionContext): Record<string, string>;
  newSession<T extends CallSession = CallSession>(interactionId?: string, info?: CallSessionInfo, kind?: SessionKind<T>, id?: string): T;
  /** The agent whose extension this is (a transfer's target), if any. */
  agentOfExtension(extension: string): Promise<string | undefined>;
}

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
  /** The trunk leg B leaves through (default: call control's own; leg A's PBX extension always uses that one). */
  trunk?: TrunkRoute;
  /** The call's id (a UUID), when the caller records it before the call starts; else a new one. */
  id?: string;
}

/** Where leg A rings: the agent's registered softphone, else their extension through the PBX. */
export function legATarget(cc: Pick<OriginateHost, 'registrar' | 'domain' | 'trunkTarget'>, a: OriginateLegA): LegTarget {
  if (a.kind === 'uri') return { uri: a.uri, profile: 'rtp' };
  const binding = cc.registrar.lookup(a.extension);
  return binding
    ? { uri: binding.contact, target: binding.flow, profile: 'webrtc', to: `sip:${a.extension}@${cc.domain}` }
    : cc.trunkTarget(a.extension);
}

/**
 * Starts the call and returns its session at once; progress comes as call events (ringing,
 * answered, ended) and the session's `ended` event.
 */
export async function originate(cc: OriginateHost, engine: SipEngineApi, r: OriginateRequest): Promise<CallSession> {
  const aTarget = legATarget(cc, r.a);
  aTarget.from = `sip:${r.callerId ?? 'switchboard'}@${cc.domain}`;
  if (r.context?.name) aTarget.fromName = `Callback: ${r.context.name}`;
  const bDomain = r.trunk ? (r.trunk.domain ?? r.trunk.host) : cc.domain;
  const bTarget = cc.trunkTarget(r.bNumber, {
    from: `sip:${r.callerId ?? 'switchboard'}@${bDomain}`,
    ...(r.context ? { headers: cc.contextHeaders(r.context) } : {}),
  }, r.trunk);
  // The agent's transfer to another agent rings them where leg A would, as the same caller with the same context.
  const agentAt: AgentAt = async (extension) => {
    const agentId = await cc.agentOfExtension(extension);
    if (!agentId) return undefined;
    const target = legATarget(cc, { kind: 'agent', agentId, extension });
    return { agentId, target: { ...target, from: aTarget.from, ...(aTarget.fromName ? { fromName: aTarget.fromName } : {}), ...(bTarget.headers ? { headers: bTarget.headers } : {}) } };
  };
  const session = cc.newSession(r.context?.interactionId, { kind: 'originate', ...(r.a.kind === 'agent' ? { agentId: r.a.agentId } : {}) }, undefined, r.id);
  void session.originate(aTarget, bTarget, engine.stack.local(bTarget.target?.protocol ?? 'udp').host, agentAt);
  return session;
}
