import type { Website } from '../../kernel/config/schema.js';
import type { Interaction } from '../interactions/index.js';

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
}
