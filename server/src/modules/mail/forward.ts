import nodemailer from 'nodemailer';
import type { Config } from '../../config/schema.js';
import { HttpError } from '../../http/errors.js';
import type { Logger } from '../../logger.js';

export interface Forward {
  to: string;
  replyTo: string;
  subject: string;
  text: string;
}

/**
 * Sends an offline form to the website's forwarding address (offline.action: mail), with the
 * visitor as Reply-To so that answering the mail answers them. A failure is the visitor's to
 * retry: nothing was stored.
 */
export async function forwardByMail(config: Config, log: Logger, f: Forward): Promise<void> {
  const smtp = config.main.smtp;
  if (!smtp) throw new HttpError(503, 'not_configured', 'Messages cannot be forwarded: smtp is not configured in switchboard.yaml.');
  try {
    await sendMail(config, f);
  } catch (err) {
    log.error({ err, host: smtp.host, port: smtp.port }, 'forwarding an offline form by mail failed');
    throw new HttpError(502, 'mail_failed', 'Your message could not be sent just now. Please try again in a moment.');
  }
}

/** One plain-text mail through switchboard.yaml's `smtp`, from its `from` address; throws what SMTP said. */
export async function sendMail(config: Config, m: { to: string; replyTo?: string; subject: string; text: string }): Promise<void> {
  const smtp = config.main.smtp;
  if (!smtp) throw new Error('smtp is not configured in switchboard.yaml');
  const transport = nodemailer.createTransport({ host: smtp.host, port: smtp.port, secure: smtp.secure, ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}) });
  try {
    await transport.sendMail({ from: smtp.from, to: m.to, replyTo: m.replyTo, subject: m.subject, text: m.text });
  } finally {
    transport.close();
  }
}
