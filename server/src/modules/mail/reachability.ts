import nodemailer from 'nodemailer';
import { ImapFlow } from 'imapflow';
import type { SwitchboardFile } from '../../kernel/config/schema.js';

type Smtp = NonNullable<SwitchboardFile['smtp']>;
type Imap = NonNullable<SwitchboardFile['imap']>;

export function smtpTransport(smtp: Smtp, timeoutMs?: number) {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    ...(smtp.user ? { auth: { user: smtp.user, pass: smtp.password ?? '' } } : {}),
    ...(timeoutMs ? { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs } : {}),
  });
}

/** The SMTP server greets, takes EHLO and (when configured) our login. */
export async function smtpReachable(smtp: Smtp, timeoutMs: number): Promise<void> {
  const t = smtpTransport(smtp, timeoutMs);
  try {
    await t.verify();
  } finally {
    t.close();
  }
}

export function imapClient(imap: Imap, timeoutMs?: number): ImapFlow {
  return new ImapFlow({
    host: imap.host,
    port: imap.port,
    secure: imap.secure,
    auth: { user: imap.user, pass: imap.password },
    logger: false,
    ...(timeoutMs ? { connectionTimeout: timeoutMs, greetingTimeout: timeoutMs, socketTimeout: timeoutMs * 4 } : {}),
  });
}

/** The IMAP server greets and takes our login. */
export async function imapReachable(imap: Imap, timeoutMs: number): Promise<void> {
  const c = imapClient(imap, timeoutMs);
  c.on('error', () => undefined);
  try {
    await c.connect();
    await c.logout();
  } finally {
    c.close();
  }
}
