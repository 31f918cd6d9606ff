import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { In } from 'typeorm';
import { simpleParser, type ParsedMail } from 'mailparser';
import type { MailKit } from './types.js';
import type { Website } from '../../kernel/config/schema.js';
import { newId } from '../../kernel/db/ids.js';
import { Attachment, Message } from '../chat/index.js';
import { Interaction } from '../interactions/index.js';
import { MailThread } from './mail-thread.entity.js';
import { OutgoingMail } from './outgoing-mail.entity.js';
import { IncomingMail, type IncomingOutcome } from './incoming-mail.entity.js';
import { addressOf, headerText } from './mailer.js';
import { htmlText, sanitizeMailHtml } from './html.js';
import type { MailChat } from './types.js';
import { releaseTicket } from './service.js';

export interface FetchedMail {
  mailbox: string;
  uidValidity: string;
  uid: string;
  size: number;
  /** Left out when the mail is larger than imap.maxMessageBytes. */
  source?: Buffer;
  /** What the server's ENVELOPE says, for a mail not downloaded. */
  envelope?: { messageId?: string; subject?: string; from?: { name?: string; address?: string }[]; inReplyTo?: string };
}

const OPEN = ['new', 'queued', 'offered', 'assigned', 'conference', 'wrap-up'];
const mb = (n: number) => `${(n / 1024 / 1024).toFixed(1)} MB`;

interface Mail {
  messageId: string | null;
  from: string;
  fromName: string | null;
  subject: string;
  refs: string[];
  text: string;
  html: string | null;
  files: { name: string; content: Buffer }[];
}

/**
 * One mail from the support mailbox into a ticket: matched to its thread by In-Reply-To /
 * References (our Message-IDs and the customer's), else by the `[T-XXXXXXXX]` reference in the
 * subject, else by the sender's open ticket; otherwise a new mail interaction. Stored once.
 */
export class MailIntake {
  constructor(
    private readonly s: MailKit,
    private readonly chat: MailChat,
  ) {}

  async take(f: FetchedMail): Promise<IncomingOutcome | 'seen'> {
    const incoming = this.s.db.getRepository(IncomingMail);
    if (await incoming.existsBy({ mailbox: f.mailbox, uidValidity: f.uidValidity, uid: f.uid })) return 'seen';
    const mail = await this.read(f);
    // Mails from one sender one after another (the reader takes several at once): a second delivery
    // must see the first one stored, and two new mails from a new customer must make one ticket.
    const lock = this.s.redis.key('mail', 'from', mail.from);
    for (let n = 0; (await this.s.redis.client.set(lock, this.s.bus.instanceId, 'PX', 60_000, 'NX')) !== 'OK'; n++) {
      if (n > 600) throw new Error(`mails from ${mail.from} are still being stored elsewhere`);
      await new Promise((r) => setTimeout(r, 100));
    }
    try {
      return await this.store(f, mail);
    } finally {
      await this.s.redis.client.del(lock).catch(() => undefined);
    }
  }

  private async store(f: FetchedMail, mail: Mail): Promise<IncomingOutcome> {
    const incoming = this.s.db.getRepository(IncomingMail);
    const record = (outcome: IncomingOutcome, extra: Partial<IncomingMail> = {}) =>
      incoming.insert({ id: newId(), mailbox: f.mailbox, uidValidity: f.uidValidity, uid: f.uid, headerMessageId: mail.messageId, interactionId: null, messageId: null, outcome, html: null, ...extra });
    if (mail.messageId) {
      // The same mail again (a second delivery, a new UIDVALIDITY), or a copy of our own reply.
      if (await incoming.existsBy({ headerMessageId: mail.messageId, outcome: In(['stored', 'too-large']) })) return record('duplicate').then(() => 'duplicate');
      if (await this.s.db.getRepository(OutgoingMail).existsBy({ headerMessageId: mail.messageId })) return record('own').then(() => 'own');
    }
    const thread = await this.thread(mail);
    const key = createHash('sha256').update(mail.messageId ?? `${f.mailbox}/${f.uidValidity}/${f.uid}`).digest('hex').slice(0, 40);
    const messages = this.s.db.getRepository(Message);
    const m = messages.create({ id: newId(), interactionId: thread.interactionId, authorKind: 'visitor', authorAgentId: null, authorName: mail.fromName, body: mail.text, deliveryState: 'delivered', clientMessageId: `mail-${key}`, externalId: mail.messageId, deliveredAt: new Date() });
    try {
      await messages.insert(m);
    } catch (err) {
      if ((err as { code?: string }).code === 'ER_DUP_ENTRY') return record('duplicate').then(() => 'duplicate');
      throw err;
    }
    const refused = await this.attach(thread.interactionId, m.id, mail.files);
    if (refused.length) await messages.update({ id: m.id }, { body: `${mail.text}\n\n${refused.join('\n')}` });
    const outcome: IncomingOutcome = f.source ? 'stored' : 'too-large';
    await record(outcome, { interactionId: thread.interactionId, messageId: m.id, html: mail.html });
    const i = await this.s.db.getRepository(Interaction).findOneByOrFail({ id: thread.interactionId });
    await this.s.routing.journey(i, 'mail.received', null, { messageId: m.id, from: mail.from, files: mail.files.length - refused.length });
    if (i.state === 'new') await releaseTicket(this.s, i.id);
    // The agent holding the ticket hears of it as of a chat line: the desktop counts it unread.
    try {
      await this.chat.announce(i.id, m.id);
    } catch (err) {
      this.s.log.warn({ err, interactionId: i.id }, 'telling the agent of a new mail failed');
    }
    return outcome;
  }

  private async read(f: FetchedMail): Promise<Mail> {
    if (!f.source) {
      const e = f.envelope ?? {};
      const max = this.s.config().main.imap?.maxMessageBytes ?? 0;
      return {
        messageId: e.messageId ?? null,
        from: (e.from?.[0]?.address ?? 'unknown@invalid').toLowerCase(),
        fromName: e.from?.[0]?.name || null,
        subject: headerText(e.subject ?? ''),
        refs: e.inReplyTo ? [e.inReplyTo] : [],
        text: `This mail (${mb(f.size)}) is larger than the ${mb(max)} Switchboard downloads. It stays in the support mailbox (UID ${f.uid}); open it there.`,
        html: null,
        files: [],
      };
    }
    let p: ParsedMail | null = null;
    try {
      // Text of an HTML-only mail comes from the sanitised HTML below, not from mailparser's
      // conversion, which would keep what sanitising removes (script text, javascript: links).
      p = await simpleParser(f.source, { skipHtmlToText: true, skipImageLinks: true, skipTextLinks: true });
    } catch (err) {
      this.s.log.warn({ err: { message: (err as Error).message }, uid: f.uid }, 'a mail could not be parsed');
    }
    const from = p?.from?.value[0];
    const address = from?.address ? addressOf(from.address) : null;
    const refs = [p?.inReplyTo, ...[p?.references ?? []].flat()].filter((x): x is string => !!x);
    const html = p?.html ? sanitizeMailHtml(p.html) : null;
    const text = p?.text?.trim() || (html ? htmlText(html) : '') || (p ? '(no text)' : 'This mail could not be read; it stays in the support mailbox.');
    return {
      messageId: p?.messageId ? p.messageId.slice(0, 255) : null,
      from: (address ?? 'unknown@invalid').toLowerCase(),
      fromName: from?.name ? headerText(from.name, 200) : null,
      subject: headerText(p?.subject ?? ''),
      refs,
      text: text.slice(0, 1_000_000),
      html,
      files: (p?.attachments ?? []).filter((a) => a.contentDisposition !== 'inline' || !!a.filename).map((a, n) => ({ name: a.filename || `attachment-${n + 1}`, content: a.content })),
    };
  }

  /** The thread the mail continues, reopened when its ticket was closed, or a new one. */
  private async thread(mail: Mail): Promise<MailThread> {
    const found = await this.match(mail);
    if (!found) return this.open(mail, null);
    const latest = await this.latest(found);
    const i = await this.s.db.getRepository(Interaction).findOneBy({ id: latest.interactionId });
    if (i && OPEN.includes(i.state)) return latest;
    return this.open(mail, { thread: latest, previous: i });
  }

  private async match(mail: Mail): Promise<MailThread | null> {
    const threads = this.s.db.getRepository(MailThread);
    const refs = [...new Set(mail.refs)].slice(0, 100);
    if (refs.length) {
      const ours = await this.s.db.getRepository(OutgoingMail).findOne({ where: { headerMessageId: In(refs) }, select: { interactionId: true } });
      const theirs = ours?.interactionId ? null : await this.s.db.getRepository(IncomingMail).findOne({ where: { headerMessageId: In(refs), outcome: In(['stored', 'too-large']) }, select: { interactionId: true } });
      const interactionId = ours?.interactionId ?? theirs?.interactionId;
      const t = interactionId ? await threads.findOneBy({ interactionId }) : await threads.findOneBy({ rootMessageId: In(refs) });
      if (t) return t;
    }
    const ref = /\[T-([0-9A-F]{8})\]/i.exec(mail.subject)?.[1]?.toLowerCase();
    if (ref) {
      const t = await threads.createQueryBuilder('t').where('t.id LIKE :p', { p: `${ref}%` }).andWhere('t.firstThreadId IS NULL').orderBy('t.createdAt', 'DESC').getOne();
      if (t) return t;
    }
    return threads
      .createQueryBuilder('t')
      .innerJoin(Interaction, 'i', 'i.id = t.interactionId')
      .where('t.customerAddress = :a', { a: mail.from })
      .andWhere('i.state IN (:...open)', { open: OPEN })
      .orderBy('t.createdAt', 'DESC')
      .getOne();
  }

  /** A reopened ticket's newest thread. */
  private async latest(t: MailThread): Promise<MailThread> {
    const first = t.firstThreadId ?? t.id;
    return (await this.s.db.getRepository(MailThread).findOne({ where: [{ id: first }, { firstThreadId: first }], order: { createdAt: 'DESC' } })) ?? t;
  }

  private website(): Website | undefined {
    const c = this.s.config();
    const named = c.main.imap?.website;
    return (named ? c.websites.find((w) => w.id === named) : undefined) ?? c.websites.find((w) => w.channels.mail.enabled && w.channels.mail.queue);
  }

  /** A new mail interaction (or the next one of a closed ticket) routed to the mail queue. */
  private async open(mail: Mail, before: { thread: MailThread; previous: Interaction | null } | null): Promise<MailThread> {
    const website = before?.previous?.websiteId ? this.s.config().websites.find((w) => w.id === before.previous!.websiteId) : this.website();
    const queueId = before?.previous?.queueId ?? website?.channels.mail.queue;
    if (!queueId) throw new Error('no mail queue for incoming mail: set imap.website or a website with channels.mail.queue');
    const contactId = before?.previous?.contactId ?? (await this.s.contacts.findOrCreate({ name: mail.fromName, email: mail.from })).id;
    const subject = before?.thread.subject ?? (mail.subject || '(no subject)').slice(0, 255);
    // Held until its first mail is stored (store() queues it): an offer must find the text.
    const created = { interaction: await this.s.routing.createHeld({ channel: 'mail', queueId, websiteId: website?.id ?? null, contactId, subject, routingVariables: before?.previous?.assignedAgentId ? { previousAgent: before.previous.assignedAgentId } : {} }) };
    const thread = this.s.db.getRepository(MailThread).create({
      id: newId(),
      interactionId: created.interaction.id,
      subject,
      customerAddress: before?.thread.customerAddress ?? mail.from,
      rootMessageId: before?.thread.rootMessageId ?? mail.messageId,
      firstThreadId: before ? (before.thread.firstThreadId ?? before.thread.id) : null,
      previousInteractionId: before?.previous?.id ?? null,
    });
    await this.s.db.getRepository(MailThread).insert(thread);
    if (before) await this.s.routing.journey(created.interaction, 'mail.reopened', before.previous?.assignedAgentId ?? null, { previousInteractionId: before.previous?.id ?? null });
    this.s.log.info({ interactionId: created.interaction.id, reopened: !!before }, 'mail interaction opened from the mailbox');
    return thread;
  }

  /** The mail's files, through the same checks as uploads (type by content, size, count); what is refused is said in the message. */
  private async attach(interactionId: string, messageId: string, files: Mail['files']): Promise<string[]> {
    const refused: string[] = [];
    const i = await this.s.db.getRepository(Interaction).findOneByOrFail({ id: interactionId });
    const website = this.s.config().websites.find((w) => w.id === i.websiteId) ?? null;
    const max = website?.uploads.maxFiles ?? 5;
    for (const [n, f] of files.entries()) {
      if (n >= max) {
        refused.push(`[file not kept: ${f.name} — more than ${max} files]`);
        continue;
      }
      try {
        const a = await this.chat.upload(fileContext(f.name, f.content), website, interactionId, 'visitor');
        await this.s.db.getRepository(Attachment).update({ id: a.id }, { messageId });
      } catch (err) {
        refused.push(`[file not kept: ${f.name} — ${(err as Error).message}]`);
      }
    }
    return refused;
  }
}

/** What the upload checks read from a request, for a file that came by mail. */
function fileContext(name: string, content: Buffer): Context {
  const headers: Record<string, string> = { 'content-length': String(content.length) };
  return { query: { name }, get: (h: string) => headers[h.toLowerCase()] ?? '', set: () => undefined, req: Readable.from([content]) } as unknown as Context;
}
