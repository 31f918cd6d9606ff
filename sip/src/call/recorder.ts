// What the server implements to keep call legs (MySQL) and to hear about calls. The sip package
// never imports the server or TypeORM; it only calls these.
import { EventEmitter } from 'node:events';

export type LegDirection = 'inbound' | 'outbound';

/** Why a leg or call ended, in words the widget and agent desktop can show. */
export type EndCause =
  | 'caller-hangup'
  | 'callee-hangup'
  | 'canceled'
  | 'busy'
  | 'no-answer'
  | 'unavailable'
  | 'service-unavailable'
  | 'rejected'
  | 'not-found'
  | 'media-failed'
  | 'transport-lost'
  | 'failed'
  | 'transferred'
  /** The server process holding the call died; another one (or its restart) ended it. */
  | 'server-lost'
  /** The server was stopped (SIGTERM) with the call up. */
  | 'server-shutdown'
  /** rtpengine lost the call's media session (it restarted): no audio would flow again. */
  | 'media-lost';

/**
 * What started a call: a visitor in the widget, an agent's softphone dialling out, the PBX
 * calling an agent's extension, or an originate (callbacks).
 */
export type CallKind = 'widget' | 'softphone' | 'inbound' | 'originate';

/** What call control knows about a call when it starts it; carried on its legs and events. */
export interface CallSessionInfo {
  kind?: CallKind;
  /** The agent whose softphone the call rings (a PBX call to an extension). */
  agentId?: string;
  /** Who calls, as the PBX says (From): the number (user part) and display name. */
  callerNumber?: string;
  callerName?: string;
}

export interface LegInfo extends CallSessionInfo {
  legId: string;
  callSessionId: string;
  interactionId?: string;
  /** The leg's offer has a video stream. */
  video?: boolean;
  /** The leg is signalled with the trunk (the PBX). */
  trunk?: boolean;
  direction: LegDirection;
  callId: string;
  localTag?: string;
  remoteTag?: string;
  from: string;
  to: string;
  createdAt: Date;
  /** The leg rang, and answered, before it was recorded (its record waited behind another write). */
  ringingAt?: Date;
  answeredAt?: Date;
}

export interface LegEnd {
  legId: string;
  at: Date;
  cause: EndCause;
  /** SIP status that ended it, when one did (486, 487, 200 for BYE …). */
  status?: number;
}

export interface CallRecorder {
  legCreated(leg: LegInfo): void | Promise<void>;
  legRinging(legId: string, at: Date): void | Promise<void>;
  /** `ringingAt`: when the leg rang, if that was not recorded yet (it answered at once). */
  legAnswered(legId: string, at: Date, remoteTag: string, ringingAt?: Date): void | Promise<void>;
  legEnded(end: LegEnd): void | Promise<void>;
  /** Legs of one call ending at once with one cause (the call torn down); without it, `legEnded` for each. */
  legsEnded?(legIds: string[], at: Date, cause: EndCause, status?: number): void | Promise<void>;
  /** A call of a process that died was ended by this one: every leg still open ends with `cause`. */
  callLost?(callSessionId: string, at: Date, cause: EndCause): void | Promise<void>;
}

export interface CallEventBase extends CallSessionInfo {
  callSessionId: string;
  interactionId?: string;
  at: Date;
}

/**
 * Who placed a call that has no interaction on record (a customer-first callback's attempt while
 * the customer waits): `context` names them, `ref` is theirs to read. The process that ends the
 * call after its own died tells them (the `ended` event carries it; see live-calls.ts): nobody
 * else would, its end closing no interaction.
 */
export interface PlacedBy {
  context: string;
  ref: string;
}

/** Published to the rest of the server (agent desktop, widget, interaction state). */
export interface CallEventMap {
  ringing: [CallEventBase];
  answered: [CallEventBase];
  held: [CallEventBase & { held: boolean; by: 'a' | 'b' }];
  /** An agent's transfer of the call to another agent was carried out here: `agentId` answered at `to`. */
  transferred: [CallEventBase & { agentId: string; to: string }];
  /**
   * `detail`: what exactly failed when the cause alone does not say (the media relay's reason).
   * `placedBy`: on the end of a call whose process died, who placed it (live-calls.ts).
   */
  ended: [CallEventBase & { cause: EndCause; status?: number; detail?: string; description: string; placedBy?: PlacedBy }];
}

export class CallEvents extends EventEmitter<CallEventMap> {}

/** Maps a final SIP status from the far end to a cause. */
export function causeForStatus(status: number): EndCause {
  if (status === 486 || status === 600) return 'busy';
  if (status === 408) return 'no-answer';
  if (status === 480) return 'unavailable';
  if (status === 487) return 'canceled';
  if (status === 404 || status === 484 || status === 604) return 'not-found';
  if (status === 503 || status === 502 || status === 500 || status === 504) return 'service-unavailable';
  if (status === 403 || status === 603 || status === 488 || status === 606) return 'rejected';
  return 'failed';
}

/** A sentence for the customer; never SIP jargon. */
export function describeCause(cause: EndCause): string {
  switch (cause) {
    case 'caller-hangup': return 'The call ended.';
    case 'callee-hangup': return 'The agent ended the call.';
    case 'canceled': return 'The call was canceled before it was answered.';
    case 'busy': return 'All agents are busy. Please try again later or leave a message.';
    case 'no-answer': return 'Nobody answered. Please try again later or request a callback.';
    case 'unavailable': return 'No agent is available right now. Please try again later or request a callback.';
    case 'service-unavailable': return 'The phone system is not reachable at the moment. Please try again in a few minutes.';
    case 'rejected': return 'The call was not accepted.';
    case 'not-found': return 'The number called does not exist.';
    case 'media-failed': return 'The audio connection could not be set up. Check your microphone and network, then try again.';
    case 'transport-lost': return 'The connection was lost.';
    case 'transferred': return 'The call was transferred.';
    case 'failed': return 'The call could not be completed.';
    case 'server-lost': return 'The call was cut off by a technical problem on our side. Please call again.';
    case 'server-shutdown': return 'The call was ended because the service is restarting. Please call again in a moment.';
    case 'media-lost': return 'The audio connection was lost. Please call again.';
  }
}

/** For unit tests of our own code only: keeps everything in arrays. */
export class InMemoryCallRecorder implements CallRecorder {
  readonly legs = new Map<string, LegInfo & { ringingAt?: Date; answeredAt?: Date; ended?: LegEnd }>();
  legCreated(leg: LegInfo): void {
    this.legs.set(leg.legId, { ...leg });
  }
  legRinging(legId: string, at: Date): void {
    const l = this.legs.get(legId);
    if (l) l.ringingAt = at;
  }
  legAnswered(legId: string, at: Date, remoteTag: string, ringingAt?: Date): void {
    const l = this.legs.get(legId);
    if (l) {
      if (ringingAt) l.ringingAt = ringingAt;
      l.answeredAt = at;
      l.remoteTag = remoteTag;
    }
  }
  legEnded(end: LegEnd): void {
    const l = this.legs.get(end.legId);
    if (l) l.ended = end;
  }
}
