import type { ConfigText } from './journey.js';
/**
 * The agent desktop's WebSocket protocol (/ws/agent). JSON text frames, one message each.
 * Commands may carry a `ref` that the server echoes in its answer or error.
 */
import type { ChatDeliveryState, ChatMessagePayload, ChatTypingState } from './widget-socket.js';
import type { CallInviteAgentCommand, CallInviteAgentMessage } from './call-invite.js';

export type AgentStateName = 'logged-out' | 'available' | 'not-ready' | 'busy' | 'wrap-up' | 'rona';

export interface AgentStatusPayload {
  agentId: string;
  state: AgentStateName;
  reason: string | null;
  since: string;
  /**
   * While the state is `wrap-up`: when the after-work ends (ISO time), the same on every tab, so
   * each shows the same countdown. null in every other state.
   */
  wrapUpUntil: string | null;
}

export type ChannelName = 'phone' | 'video' | 'chat' | 'callback' | 'mail';
export type InteractionStateName = 'new' | 'queued' | 'offered' | 'assigned' | 'conference' | 'wrap-up' | 'closed' | 'unmanaged' | 'abandoned';
export type OfferKind = 'route' | 'transfer' | 'conference';

/** An interaction proposed to this agent; Accept or Reject before `expiresAt`. */
export interface OfferPayload {
  offerId: string;
  kind: OfferKind;
  interactionId: string;
  channel: ChannelName;
  queueId: string | null;
  queueName: ConfigText | null;
  customerName: string | null;
  subject: string | null;
  waitingSince: string | null;
  expiresAt: string;
  /** The first lines the customer wrote (chat messages, the mail's opening, a callback's message), when the channel gives them. */
  preview?: string[];
  /** A callback's offer: whom to call, when and the attempts so far. */
  callback?: OfferCallbackPayload;
  /** The agent who transfers or invites (transfer and conference offers). */
  fromAgentId: string | null;
}

/**
 * What a callback's offer shows besides the customer's message: fields, not sentences, so the
 * desktop words them in the agent's language ("attempt 2 of 3 (last: 486 busy)").
 */
export interface OfferCallbackPayload {
  phoneNumber: string;
  /** The slot the customer picked; null when they asked to be called as soon as possible (from `dueAt`). */
  slot: { start: string; end: string } | null;
  dueAt: string;
  /** The zone of the website's hours: the time is shown as the customer picked it, zone named. */
  timeZone: string;
  /** The attempt this offer is for: 1 for the first; the one the customer answered when `waiting`. */
  attempt: number;
  /** How many attempts the queue makes; null when it sets none. */
  maxAttempts: number | null;
  /** Why the attempt before failed (a SIP status and its reason, e.g. "486 busy"); null when none did. */
  lastCause: string | null;
  /** Customer-first: the customer answered and waits on the line for an agent. */
  waiting: boolean;
}

export interface InteractionPayload {
  id: string;
  channel: ChannelName;
  state: InteractionStateName;
  queueId: string | null;
  websiteId: string | null;
  contactId: string | null;
  customerName: string | null;
  subject: string | null;
  routingVariables: Record<string, string>;
  ownerId: string | null;
  /** 'requested' while an invited agent has not answered; 'active' while two agents are in. */
  conference: 'none' | 'requested' | 'active';
  conferenceAgentId: string | null;
  /** A transfer to a named agent waiting for their answer. */
  transferTo: string | null;
  dispositionId: string | null;
  queuedAt: string | null;
  assignedAt: string | null;
  closedAt: string | null;
}

export interface QueueStatsPayload {
  queueId: string;
  name: ConfigText;
  channel: ChannelName;
  open: boolean;
  waiting: number;
  longestWaitSeconds: number;
  offered: number;
  agents: Record<AgentStateName, number>;
  /** Agents who could take one more interaction of this queue now. */
  available: number;
  estimatedWaitSeconds: number | null;
}

export type AgentCommand =
  | { type: 'ping'; ref?: string }
  | { type: 'state.set'; state: 'available' | 'not-ready' | 'logged-out'; reason?: string; ref?: string }
  /** Replays sequenced events after `afterSeq`; the answer is `snapshot` when they are gone. */
  | { type: 'resume'; afterSeq: number; ref?: string }
  | { type: 'offer.accept'; offerId: string; ref?: string }
  | { type: 'offer.reject'; offerId: string; ref?: string }
  | { type: 'interaction.transfer'; interactionId: string; toQueue?: string; toAgent?: string; ref?: string }
  | { type: 'interaction.conference'; interactionId: string; agentId: string; ref?: string }
  | { type: 'interaction.conference.end'; interactionId: string; ref?: string }
  | { type: 'interaction.close'; interactionId: string; disposition?: string; ref?: string }
  | { type: 'queues.watch'; ref?: string }
  | ChatAgentCommand
  | CallInviteAgentCommand;

/** Chat commands: messages, internal notes (never sent to the visitor), typing, receipts, silent monitoring. */
export type ChatAgentCommand =
  | { type: 'chat.send'; interactionId: string; clientMessageId: string; body: string; attachmentIds?: string[]; ref?: string }
  | { type: 'chat.note'; interactionId: string; clientMessageId: string; body: string; ref?: string }
  | { type: 'chat.typing'; interactionId: string; state: ChatTypingState; ref?: string }
  | { type: 'chat.received'; interactionId: string; messageIds: string[]; ref?: string }
  /** Supervisors: follow a chat without the visitor knowing; notes then reach its agents only. */
  | { type: 'chat.monitor'; interactionId: string; ref?: string }
  | { type: 'chat.unmonitor'; interactionId: string; ref?: string };

/** Chat events for the agents of an interaction and the supervisors monitoring it. */
export type ChatAgentMessage =
  | { type: 'chat.ack'; message: ChatMessagePayload; ref?: string }
  | { type: 'chat.message'; message: ChatMessagePayload }
  | { type: 'chat.delivery'; interactionId: string; messageIds: string[]; state: ChatDeliveryState }
  | { type: 'chat.typing'; interactionId: string; authorKind: 'agent' | 'visitor'; authorName: string | null; state: ChatTypingState }
  | { type: 'chat.history'; interactionId: string; messages: ChatMessagePayload[]; ref?: string }
  | { type: 'chat.ended'; interactionId: string; by: 'agent' | 'customer' | 'system'; timedOut: boolean }
  /** The server's event bus was away (Redis down): lines may have been missed; read the chats again. */
  | { type: 'chat.resync' };

/** Why an offer left the agent's screen. */
export type OfferEndReason = 'rejected' | 'timeout' | 'withdrawn' | 'accepted' | 'taken';

/**
 * Messages with `seq` are the agent's own event stream: numbered per agent, kept for a while in
 * Redis and replayed on `resume`, identical on every tab of the agent.
 */
export type SequencedMessage =
  | { type: 'offer'; seq: number; offer: OfferPayload }
  | { type: 'offer.ended'; seq: number; offerId: string; interactionId: string; reason: OfferEndReason; byAgentId?: string | null }
  | { type: 'interaction.updated'; seq: number; interaction: InteractionPayload }
  | { type: 'interaction.removed'; seq: number; interactionId: string; reason: 'closed' | 'abandoned' | 'transferred' | 'conference-ended' }
  | { type: 'transfer.declined'; seq: number; interactionId: string; agentId: string; kind: 'transfer' | 'conference'; reason: 'rejected' | 'timeout' | 'withdrawn' };

export type AgentServerMessage =
  | { type: 'hello'; agentId: string; status: AgentStatusPayload }
  | { type: 'pong'; ref?: string }
  | { type: 'agent.state'; status: AgentStatusPayload; ref?: string }
  /** The whole picture: sent after hello and when a resume reaches back further than we keep. */
  | { type: 'snapshot'; seq: number; status: AgentStatusPayload; offers: OfferPayload[]; interactions: InteractionPayload[]; ref?: string }
  | { type: 'ok'; interaction?: InteractionPayload; ref?: string }
  | { type: 'queue.stats'; queues: QueueStatsPayload[]; ref?: string }
  | (SequencedMessage & { ref?: string })
  | ChatAgentMessage
  | CallInviteAgentMessage
  | { type: 'error'; code: string; message: string; ref?: string };

/** Close codes the desktop reacts to (4000-4999 are ours by RFC 6455). */
export const AGENT_CLOSE = {
  /** Logout, password change or deactivation elsewhere: show the login screen. */
  sessionRevoked: 4001,
  /** The server is restarting: reconnect with backoff. */
  serverShutdown: 1001,
} as const;
