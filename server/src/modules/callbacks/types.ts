import type { Calls } from '../calls/index.js';

/** A mail callbacks asks to be sent: the customer's confirmation. */
export interface CallbackMail {
  kind: 'callback';
  /** The same key again is sent once. */
  dedupeKey: string;
  interactionId: string;
  to: string;
  subject: string;
  text: string;
}

/** What callbacks need of the other contexts, given by the composition root (app.ts). */
export interface CallbacksDeps {
  /** The SIP side while it runs (calls context); absent with SIP off. */
  sip: () => Calls | undefined;
  /** Stores and queues a mail, sent with retries while the mail server is away (mail's outbox). */
  mailer: { queue(m: CallbackMail): Promise<unknown> };
}
