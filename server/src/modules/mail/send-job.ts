import path from 'node:path';
import { In } from 'typeorm';
import { UnrecoverableError } from 'bullmq';
import type { JourneyType } from '@switchboard/protocol';
import type { MailKit } from './types.js';
import type { SwitchboardFile } from '../../kernel/config/schema.js';
import { BaseJob, type JobRun } from '../../kernel/jobs/job.js';
import { Attachment, Message } from '../chat/index.js';
import { Interaction } from '../interactions/index.js';
import { OutgoingMail } from './outgoing-mail.entity.js';
import { smtpTransport } from './reachability.js';

export type SentHook = (mail: OutgoingMail) => Promise<void>;

type Smtp = NonNullable<SwitchboardFile['smtp']>;

/** SMTP answers in the 5xx range are refusals no retry changes (unknown recipient, too big…). */
const permanent = (err: unknown) => {
  const code = (err as { responseCode?: number }).responseCode;
  return typeof code === 'number' && code >= 500 && code < 600;
};

/**
 * Sends one stored mail through smtp. A mail already sent is not sent again (a job run twice, a
 * row queued twice); our Message-ID is the same on every try, so a receiver can tell a repeat
 * after a crash between SMTP's answer and our record of it. Each failed try is written on the row
 * (attempts, what the server said) for the desktop; tries double from a second: 15 of them span
 * about four and a half hours.
 */
export class SendMailJob extends BaseJob<{ id: string }> {
  readonly name = 'mail-send';
  override readonly attempts = 15;
  override readonly backoffMs = 1000;
  override readonly concurrency = 8;
  private transport: { smtp: Smtp; t: ReturnType<typeof smtpTransport> } | undefined;

  constructor(
    private readonly s: MailKit,
    private readonly hooks: SentHook[],
  ) {
    super(s.jobs);
  }

  private rows() {
    return this.s.db.getRepository(OutgoingMail);
  }

  /** One pooled connection set per smtp configuration; a reload with new settings starts another. */
  private transportFor(smtp: Smtp) {
    if (this.transport?.smtp !== smtp) {
      this.transport?.t.close();
      this.transport = { smtp, t: smtpTransport(smtp, 30_000) };
    }
    return this.transport.t;
  }

  async perform({ id }: { id: string }, run: JobRun): Promise<void> {
    const m = await this.rows().findOneBy({ id });
    if (!m || m.state !== 'queued') return;
    try {
      await this.send(m);
    } catch (err) {
      const lastError = ((err as Error).message || String(err)).slice(0, 500);
      await this.rows().update({ id }, { attempts: run.attempt, lastError });
      this.s.log.warn({ mailId: id, kind: m.kind, attempt: run.attempt, error: lastError }, 'mail not sent');
      throw permanent(err) ? new UnrecoverableError(lastError) : err;
    }
    const sentAt = new Date();
    // The message first: whoever sees the row's new state sees the message's too.
    if (m.messageId) await this.s.db.getRepository(Message).update({ id: m.messageId }, { deliveryState: 'sent', deliveredAt: sentAt });
    await this.rows().update({ id }, { state: 'sent', sentAt, attempts: run.attempt, lastError: null });
    await this.journey(m, m.kind === 'transcript' ? 'transcript.sent' : 'mail.sent', { email: m.toAddress, mailId: m.id, messageId: m.messageId });
    for (const h of this.hooks) await h({ ...m, state: 'sent', sentAt });
    this.s.log.info({ mailId: id, kind: m.kind, interactionId: m.interactionId }, 'mail sent');
  }

  private async send(m: OutgoingMail): Promise<void> {
    const main = this.s.config().main;
    if (!main.smtp) throw new Error('smtp is not configured in switchboard.yaml');
    // In the order they were uploaded, as the thread lists them.
    const files = m.attachmentIds.length ? await this.s.db.getRepository(Attachment).find({ where: { id: In(m.attachmentIds) }, order: { createdAt: 'ASC', seq: 'ASC' } }) : [];
    const dir = path.resolve(main.storage.uploadsDir);
    await this.transportFor(main.smtp).sendMail({
      from: main.smtp.from,
      to: m.toAddress,
      ...(m.replyTo ? { replyTo: m.replyTo } : {}),
      subject: m.subject,
      text: m.text,
      ...(m.html ? { html: m.html } : {}),
      messageId: m.headerMessageId,
      ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
      ...(m.references ? { references: m.references } : {}),
      attachments: files.map((a) => ({ filename: a.fileName, path: path.join(dir, a.storageKey), contentType: a.detectedType })),
    });
  }

  /** After the last try: the mail is failed, with the reason the desktop shows. */
  override async onFailed({ id }: { id: string }, err: Error): Promise<void> {
    const m = await this.rows().findOneBy({ id });
    if (!m || m.state !== 'queued') return;
    const lastError = m.lastError ?? (err.message || String(err)).slice(0, 500);
    if (m.messageId) await this.s.db.getRepository(Message).update({ id: m.messageId }, { deliveryState: 'failed' });
    await this.rows().update({ id }, { state: 'failed', lastError });
    await this.journey(m, 'mail.failed', { email: m.toAddress, mailId: m.id, messageId: m.messageId, error: lastError });
    for (const h of this.hooks) await h({ ...m, state: 'failed', lastError });
  }

  private async journey(m: OutgoingMail, type: JourneyType, data: Record<string, unknown>): Promise<void> {
    if (!m.interactionId) return;
    const i = await this.s.db.getRepository(Interaction).findOneBy({ id: m.interactionId });
    if (i) await this.s.routing.journey(i, type, null, data);
  }

  close(): void {
    this.transport?.t.close();
    this.transport = undefined;
  }
}
