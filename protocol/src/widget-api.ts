// The widget's REST API (/api/widget/<website>/…): what the frame and the loader send and get
// back. The server's handlers return these types and the widget reads them, so neither side
// can change a field alone.
import type { ChatMessagePayload, ChatQueueInfo } from './widget-socket.js';
import type { CallInvitePayload } from './call-invite.js';
import type { ConfigText } from './journey.js';

export type Language = 'en' | 'it' | 'fr';

/**
 * A text from the website's configuration: one string for every language, or one per language
 * (`{ en, it, fr }`, any of them may be missing); the same as the texts agents read.
 */
export type LocalText = ConfigText;

/** The channels a website offers in the widget; `call` is served by a phone queue. */
export type WidgetChannel = 'chat' | 'call' | 'video' | 'callback' | 'mail';

/** Where an answer goes besides the interaction: a contact field, or a routing variable. */
export type FieldMapping = { contact: string } | { variable: string };

interface FieldBase {
  name: string;
  label: LocalText;
  required: boolean;
  mapsTo?: FieldMapping;
}

/** One field of a website's form, as configured (websites/<id>.yaml) and as the widget draws it. */
export type FormField =
  | { type: 'label'; text: LocalText }
  | (FieldBase & { type: 'text' | 'textarea'; maxLength: number })
  | (FieldBase & { type: 'email' })
  | (FieldBase & { type: 'number'; min?: number; max?: number })
  | (FieldBase & { type: 'select' | 'radio' | 'checkboxes'; options: { value: string; label: LocalText }[] })
  | (FieldBase & { type: 'agreement'; text: LocalText })
  | (FieldBase & { type: 'attachment'; maxBytes: number; acceptedTypes: string[] });

const CHAT_FORM: FormField[] = [
  { type: 'text', name: 'name', label: 'Name', required: true, maxLength: 200, mapsTo: { contact: 'name' } },
  { type: 'email', name: 'email', label: 'Email', required: true, mapsTo: { contact: 'email' } },
];

/**
 * The forms used where a website defines none (an empty list in its configuration): the server
 * validates answers against them and the widget draws them, so they must be the same list.
 */
export const DEFAULT_FORMS: Readonly<Record<'chat' | 'offline' | 'mail' | 'callback', readonly FormField[]>> = {
  /** The visitor gives at least a name and an email. */
  chat: CHAT_FORM,
  offline: [...CHAT_FORM, { type: 'textarea', name: 'message', label: 'Message', required: true, maxLength: 2000 }],
  mail: [
    { type: 'email', name: 'email', label: 'Email', required: true, mapsTo: { contact: 'email' } },
    { type: 'text', name: 'subject', label: 'Subject', required: true, maxLength: 200 },
    { type: 'textarea', name: 'body', label: 'Message', required: true, maxLength: 20000 },
  ],
  callback: [
    { type: 'text', name: 'phone', label: 'Phone number', required: true, maxLength: 32, mapsTo: { contact: 'phone' } },
    { type: 'textarea', name: 'message', label: 'Message', required: false, maxLength: 500 },
  ],
};

/** Whether the website is open now (its calendar), and when that changes. */
export interface HoursStatus {
  open: boolean;
  /** When open: the end of the current opening range; when closed: the next opening (null if none within 31 days). */
  closesAt: string | null;
  nextOpening: string | null;
}

/** GET …/config: what a visitor's browser may know about a website (no queue ids or addresses). */
export interface WidgetConfig {
  website: { id: string; name: string };
  look: { title: LocalText; primaryColor: string; position: 'left' | 'right'; logoUrl?: string; language?: Language };
  channels: Record<WidgetChannel, { enabled: boolean }>;
  forms: Record<WidgetChannel | 'offline', FormField[]>;
  messages: { closed?: LocalText; unmanaged?: LocalText; welcome?: LocalText };
  uploads: { maxFileBytes: number; maxFiles: number; acceptedTypes: string[] };
  bot: { options: { id: string; label: LocalText }[] };
  hours: HoursStatus;
  transcriptByMail: boolean;
  /** The end screen asks the visitor to rate the chat (1–5, optional comment). */
  csat: boolean;
}

export interface Availability {
  /** Inside the website's and the queue's working hours. */
  open: boolean;
  nextOpening: string | null;
  /** Agents who could take one more interaction of this kind right now. */
  agentsAvailable: number;
  /** open and at least one agent available: a hand-over would be answered. */
  available: boolean;
}

/** GET …/availability: for the site's bot, per enabled channel and per bot option. Counts only. */
export interface WebsiteAvailability {
  at: string;
  channels: Partial<Record<WidgetChannel, Availability>>;
  /** Per bot option (each routes to its own queue). */
  options: Record<string, Availability>;
}

/** POST …/chats. */
export interface StartedChat {
  interactionId: string;
  /** The visitor's bearer token for this chat; shown once, only its hash is kept. */
  token: string;
  /** queued: wait for an agent; closed: outside working hours; unmanaged: nobody can take it now. */
  outcome: 'queued' | 'closed' | 'unmanaged';
  queue: ChatQueueInfo;
  /** The website's text for closed / unmanaged, in the visitor's language. */
  notice: string | null;
  nextOpening: string | null;
  /** For closed / unmanaged: the form to leave a message (POST …/chats/<id>/offline). */
  offlineForm: FormField[] | null;
  messages: ChatMessagePayload[];
}

/** GET …/chats/<id>: the chat a page finds running when it loads. */
export interface ChatState {
  interactionId: string;
  state: string;
  queue: ChatQueueInfo;
  messages: ChatMessagePayload[];
}

/** POST …/chats/<id>/messages. */
export interface ChatMessagePosted {
  message: ChatMessagePayload;
}

/** POST …/chats/<id>/end. */
export interface ChatEnded {
  ended: true;
}

/** POST …/chats/<id>/offline. */
export interface OfflineMessageLeft {
  stored: true;
  /** Also sent to the website's mailbox (offline.action: mail). */
  forwarded: boolean;
}

/** POST …/chats/<id>/transcript. */
export interface TranscriptRequested {
  requested: true;
  email: string;
  /** False while the chat runs: it is mailed when the chat ends. */
  sent: boolean;
}

/** POST …/calls: where the browser sends SIP over WebSocket, whom it calls, one-call credentials. */
export interface StartedCall {
  interactionId: string;
  /** When the visitor accepted an agent's invitation from the chat. */
  inviteId?: string;
  sip: { wsUrl: string; domain: string; target: string; username: string; password: string; expiresInSeconds: number };
  video: boolean;
  /** A queue call's visitor token: proves the waiting call is the visitor's own (keep my place). */
  token?: string;
}

/** GET …/calls/invites/<chat id>. */
export interface PendingCallInvite {
  invite: CallInvitePayload | null;
}

/** POST …/calls/probe: the media server's answer to the device test's offer. */
export interface CallProbeAnswer {
  sdp: string;
  /** How long the media server keeps the probe's session open. */
  seconds: number;
}

/** A half-hour a visitor may pick for a callback. */
export interface CallbackSlot {
  start: string;
  end: string;
}

/** GET …/callbacks/slots. */
export interface CallbackSlots {
  slots: CallbackSlot[];
}

/** POST …/callbacks. */
export interface CallbackRequested {
  /** What the visitor is shown and can quote: short, from the callback's id. */
  reference: string;
  callbackId: string;
  asap: boolean;
  dueAt: string;
  slot: CallbackSlot | null;
  /** True when the same request (website, number, slot) was already open: nothing new was made. */
  existing: boolean;
  /** A confirmation mail with the cancel link is on its way to the address the visitor gave. */
  mailed: boolean;
}

/**
 * scheduled: its job waits for the due time; queued: due, offered to agents like any interaction;
 * dialling, then completed / unreached (no answer after the last attempt) / failed / cancelled
 * (by the customer) / closed (by the agent, with a disposition).
 */
export const CALLBACK_STATES = ['scheduled', 'queued', 'dialling', 'completed', 'unreached', 'failed', 'cancelled', 'closed'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

/** GET …/callbacks/<id> and POST …/callbacks/<id>/cancel: what the visitor who asked may see (never the agent, never the number dialled). */
export interface CallbackStatus {
  reference: string;
  state: CallbackState;
  asap: boolean;
  dueAt: string;
  slot: CallbackSlot | null;
  attempts: number;
}

/** POST …/callbacks/lookup: a callback asked for elsewhere, found by its reference and the number's last digits. */
export interface CallbackFound extends CallbackStatus {
  /** The id the widget then reads and cancels by; proven by the reference and the digits. */
  callbackId: string;
}

/** POST …/mail. */
export interface TicketOpened {
  /** The ticket reference the visitor is shown and can quote in replies. */
  reference: string;
  ticketId: string;
  /** When the form named files: the bearer token for POST …/mail/<ticketId>/files. */
  uploadToken?: string;
}

/** POST …/mail/<ticketId>/files. */
export interface TicketFileStored {
  file: { id: string; fileName: string; size: number };
}
