// The agent API's answers the desktop reads (/api/…, agent session): the server's presenters and
// handlers return these types and the desktop imports them, so neither side can change a field
// alone. History is in history.ts, the socket's messages in agent-socket.ts.
import type { AgentStatusPayload, ChannelName, InteractionPayload, QueueStatsPayload } from './agent-socket.js';
import type { ChatMessagePayload } from './widget-socket.js';
import type { CallbackState } from './widget-api.js';
import type { ConfigText, JourneyType } from './journey.js';
import type { HistoryItem } from './history.js';

export type AgentRole = 'agent' | 'supervisor' | 'admin';

/** How many interactions of each kind an agent takes at once (`total` across all). */
export type AgentCapacity = Record<'phone' | 'video' | 'chat' | 'callback' | 'mail' | 'total', number>;

/** An agent as the server presents it: never a password hash or a session version. */
export interface AgentProfile {
  id: string;
  username: string;
  name: string;
  email: string | null;
  role: AgentRole;
  extension: string | null;
  capacity: AgentCapacity;
  active: boolean;
  skills: { skill: string; level: number }[];
  lastLoginAt: string | null;
  createdAt: string;
}

/** GET /api/auth/me: who is logged in, their state, and what they may do (e.g. 'transcript.attachments'). */
export interface Me {
  agent: AgentProfile;
  status: AgentStatusPayload;
  permissions: string[];
}

/** GET /api/agents (supervisors). */
export interface AgentList {
  agents: (AgentProfile & { status: AgentStatusPayload })[];
}

/** A reason or disposition from reasons.yaml. */
export interface Labelled {
  id: string;
  label: ConfigText;
}

/** GET /api/reasons. */
export interface Reasons {
  notReady: Labelled[];
  dispositions: Labelled[];
}

/** One contact, as the context sidebar shows and edits it. */
export interface ContactPayload {
  id: string;
  name: string | null;
  email: string | null;
  phone: string | null;
  customFields: Record<string, string>;
  createdAt: string;
  updatedAt: string;
}

/** GET, POST, PATCH /api/contacts[/:id]. */
export interface ContactResponse {
  contact: ContactPayload;
}

/** GET /api/contacts?q=&limit=&cursor=: most recently changed first. */
export interface ContactSearch {
  contacts: ContactPayload[];
  /** Given back as `cursor` (with the same q) for the next page; null on the last one. */
  nextCursor: string | null;
}

/** One entry of a contact's journey (every channel, every interaction). */
export interface ContactJourneyEvent {
  /** Null for an entry about no interaction in particular (none is written for a contact today). */
  interactionId: string | null;
  agentId: string | null;
  type: JourneyType;
  data: Record<string, unknown> | null;
  at: string;
}

/** GET /api/contacts/:id/journey?limit=&cursor=: newest first. */
export interface ContactJourney {
  events: ContactJourneyEvent[];
  /** Given back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** One earlier interaction of an offer's customer: a line of the offer card (date, channel, how it ended). */
export interface OfferJourneyInteraction {
  interactionId: string;
  /** Null when the interaction's row is gone (its journey stays). */
  channel: ChannelName | null;
  /** When its journey began. */
  at: string;
  /** Its latest journey step: how it ended, or where it stands while still open. */
  outcome: JourneyType;
}

/**
 * GET /api/offers/:id/journey?limit=&cursor=: the earlier interactions of the customer of an offer
 * out to the asker (pending), newest first, `limit` of them (20 unless asked), the offered one left out.
 */
export interface OfferJourney {
  interactions: OfferJourneyInteraction[];
  /** Given back as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

/** One entry of an interaction's own journey, in the order written. */
export interface InteractionJourneyEvent extends ContactJourneyEvent {
  seq: number;
}

/** GET /api/interactions/:id: the interaction with its journey. */
export interface InteractionDetail {
  interaction: InteractionPayload;
  history: InteractionJourneyEvent[];
}

/** POST /api/offers/:id/accept. */
export interface OfferAccepted {
  interaction: InteractionPayload;
}

/** GET /api/routing/queues (supervisors): every queue live. */
export interface QueueStatsList {
  queues: QueueStatsPayload[];
}

/** One logged-in agent on the supervisor's board. */
export interface LiveAgentPayload {
  agentId: string;
  status: AgentStatusPayload;
  /** Interactions held now, per capacity channel. */
  load: Record<string, number>;
  capacity: Record<string, number>;
  pendingOfferId: string | null;
  interactions: string[];
}

/** GET /api/routing/agents (supervisors). */
export interface LiveAgentList {
  agents: LiveAgentPayload[];
}

/** GET /api/routing/transfer-targets: what the interaction's owner may hand it to. */
export interface TransferTargets {
  queues: { id: string; name: ConfigText; channel: ChannelName; open: boolean; waiting: number }[];
  agents: {
    id: string;
    displayName: string;
    state: string;
    /** Has room for one more interaction of this channel now. */
    canTake: boolean;
  }[];
}

/** GET /api/sip/credentials: the desktop softphone's registration, a secret for this session. */
export interface SipCredentials {
  wsUrl: string;
  domain: string;
  extension: string | null;
  uri: string;
  username: string;
  password: string;
}

/** GET /api/chats/:id/messages: a chat's lines, notes included. */
export interface AgentChatMessages {
  interactionId: string;
  state: string;
  messages: ChatMessagePayload[];
}

/** GET /api/history/interactions. */
export interface HistorySearchResult {
  items: HistoryItem[];
  total: number;
}

/** Where an agent's mail reply stands with the mail server: queued (retried while it refuses for now), sent, failed. */
export interface MailDelivery {
  state: 'queued' | 'sent' | 'failed';
  attempts: number;
  lastError: string | null;
  sentAt: string | null;
}

/** One message of a mail conversation: a chat-shaped line, with its delivery (replies) or its HTML (customer mails, made safe). */
export interface MailMessagePayload extends ChatMessagePayload {
  delivery?: MailDelivery;
  html?: string;
}

/** GET /api/mail/:id: the ticket's conversation, across the interactions a reopened ticket went through. */
export interface MailThreadPayload {
  interactionId: string;
  /** The ticket reference the customer sees (T-…). */
  reference: string;
  subject: string;
  customerAddress: string;
  state: string;
  messages: MailMessagePayload[];
}

/** POST /api/mail/:id/replies and …/replies/:messageId/retry. */
export interface MailReplyQueued {
  message: MailMessagePayload;
}

/** A callback as the agent handling it sees it (GET /api/interactions/:id/callback, the callback routes). */
export interface AgentCallback {
  callbackId: string;
  reference: string;
  interactionId: string;
  state: CallbackState;
  phoneNumber: string;
  message: string | null;
  asap: boolean;
  dueAt: string;
  slot: { start: string; end: string } | null;
  /** How this queue dials: on acceptance, or when the agent presses Call. */
  mode: 'automatic' | 'preview';
  /** Attempts made, and how many the queue allows before the callback is unreached. */
  attempts: number;
  maxAttempts: number;
  lastCause: string | null;
  history: { attempt: number; outcome: string; cause: string | null; dialled: string; startedAt: string; endedAt: string | null }[];
}
