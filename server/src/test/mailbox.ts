import { randomBytes } from 'node:crypto';
import { ImapFlow } from 'imapflow';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { SwitchboardFile } from '../kernel/config/schema.js';

type Imap = NonNullable<SwitchboardFile['imap']>;

/** A fresh address on the local mail system: Postfix delivers every domain into Dovecot. */
export const customerAddress = (what = 'customer') => `${what}-${randomBytes(5).toString('hex')}@example.com`;

/**
 * The mails in someone's Dovecot mailbox (the local mail system takes any address with the imap
 * password of the configuration), parsed as a mail client would.
 */
export async function mailboxOf(imap: Imap, address: string): Promise<ParsedMail[]> {
  const c = new ImapFlow({ host: imap.host, port: imap.port, secure: imap.secure, auth: { user: address, pass: imap.password }, logger: false });
  c.on('error', () => undefined);
  await c.connect();
  try {
    const lock = await c.getMailboxLock('INBOX');
    try {
      const out: ParsedMail[] = [];
      const box = c.mailbox;
      if (box && box.exists > 0) for await (const m of c.fetch('1:*', { source: true })) if (m.source) out.push(await simpleParser(m.source));
      return out;
    } finally {
      lock.release();
    }
  } finally {
    await c.logout().catch(() => undefined);
  }
}

/** Waits (generously: the machine is shared) until the mailbox holds `count` mails, then returns them. */
export async function waitForMails(imap: Imap, address: string, count: number, timeoutMs = 60_000): Promise<ParsedMail[]> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const mails = await mailboxOf(imap, address);
    if (mails.length >= count || Date.now() > until) return mails;
    await new Promise((r) => setTimeout(r, 300));
  }
}
