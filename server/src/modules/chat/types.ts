import type { Website } from '../../kernel/config/schema.js';
import type { Kernel } from '../../kernel/kernel.js';
import type { Interaction } from '../interactions/index.js';
import type { InteractionSteps } from '../routing/index.js';
import type { AgentService } from '../agents/index.js';
import type { ContactService } from '../contacts/index.js';
import type { XmppConnection } from './xmpp.js';

/** A mail chat asks to be sent: transcripts and left messages (the mail context's outbox). */
export interface ChatMail {
  kind: 'transcript' | 'forward';
  /** The same key again is sent once. */
  dedupeKey: string;
  interactionId: string;
  to: string;
  replyTo?: string | null;
  subject: string;
  text: string;
}

/** A message left in a chat nobody could take, as the mail queue gets it. */
export interface LeftMessage {
  contactId: string | null;
  email: string;
  name: string | null;
  text: string;
  variables: Record<string, string>;
}

/** What chat needs of other contexts, given by the composition root (app.ts). */
export interface ChatDeps {
  /** Stores and queues a mail; sent with retries while the mail server is away. */
  mailer: { queue(m: ChatMail): Promise<unknown> };
  /**
   * Hands a left message to the website's mail queue (offline.action: interaction) and answers
   * the ticket's interaction id (the mail context).
   */
  offlineTicket(website: Website, chat: Interaction, left: LeftMessage): Promise<string>;
  /** Told, for each line sent into its XMPP room, how long after it was stored (for /metrics). */
  relayLag?(seconds: number): void;
  /** The interaction lifecycle: chats are created, cancelled, closed and journaled only through it. */
  routing: Pick<
    InteractionSteps,
    'create' | 'cancel' | 'close' | 'journey' | 'get' | 'live' | 'position' | 'customerName' | 'previewFor' | 'refreshOffers' | 'setVisitorToken' | 'markOffline'
  >;
  agents: Pick<AgentService, 'get'>;
  contacts: Pick<ContactService, 'findOrCreate'>;
  /** The server's XMPP connection (app.ts makes it: /ready checks it too). */
  xmpp: XmppConnection;
}

/** What the chat context's parts work with: the kernel and what it needs of the others. */
export interface ChatKit extends Kernel, Pick<ChatDeps, 'routing' | 'agents' | 'contacts'> {}
