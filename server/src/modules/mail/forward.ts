import type { MailKit } from './types.js';
import { HttpError } from '../../kernel/http/errors.js';
import { headerText } from './mailer.js';
import type { Outbox } from './outbox.js';

export interface Forward {
  /** Names the mail: the same id again is queued once. */
  id: string;
  to: string;
  replyTo: string;
  subject: string;
  text: string;
}

/**
 * Sends an offline form to the website's forwarding address (offline.action: mail), with the
 * visitor as Reply-To so that answering the mail answers them. Stored and queued: a mail server
 * that is away delays the mail, it does not lose it.
 */
export async function forwardByMail(s: MailKit, outbox: Outbox, f: Forward): Promise<void> {
  if (!s.config().main.smtp) throw new HttpError(503, 'not_configured', 'Messages cannot be forwarded: smtp is not configured in switchboard.yaml.');
  await outbox.queue({ kind: 'forward', dedupeKey: `forward:${f.id}`, to: f.to, replyTo: f.replyTo, subject: headerText(f.subject), text: f.text });
}
