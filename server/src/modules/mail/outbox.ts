import { In, IsNull, Not } from 'typeorm';
import type { MailKit } from './types.js';
import { newId } from '../../kernel/db/ids.js';
import { OutgoingMail, type OutgoingKind } from './outgoing-mail.entity.js';
import { newMessageId } from './mailer.js';
import { SendMailJob, type SentHook } from './send-job.js';

export interface QueueMail {
  kind: OutgoingKind;
  dedupeKey: string;
  interactionId?: string | null;
  messageId?: string | null;
  to: string;
  replyTo?: string | null;
  subject: string;
  text: string;
  html?: string | null;
  headerMessageId?: string;
  inReplyTo?: string | null;
  references?: string | null;
  attachmentIds?: string[];
}

const SWEEP_MS = 60_000;

/**
 * Every mail Switchboard sends goes through here: stored in MySQL first, then queued as a job;
 * the job sends it through smtp with retries. Queued rows are scheduled again at start and every
 * minute (a job id is the row id, so a row already waiting is not queued twice).
 */
export class Outbox {
  readonly job: SendMailJob;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly s: MailKit, hooks: SentHook[] = []) {
    this.job = new SendMailJob(s, hooks);
  }

  private get rows() {
    return this.s.db.getRepository(OutgoingMail);
  }

  /** Stores and queues a mail; the same dedupeKey again returns the mail already stored. */
  async queue(m: QueueMail): Promise<OutgoingMail> {
    const existing = await this.rows.findOneBy({ dedupeKey: m.dedupeKey });
    if (existing) return existing;
    const row = this.rows.create({
      id: newId(),
      kind: m.kind,
      dedupeKey: m.dedupeKey,
      interactionId: m.interactionId ?? null,
      messageId: m.messageId ?? null,
      toAddress: m.to,
      replyTo: m.replyTo ?? null,
      subject: m.subject,
      text: m.text,
      html: m.html ?? null,
      headerMessageId: m.headerMessageId ?? newMessageId(this.s.config().main),
      inReplyTo: m.inReplyTo ?? null,
      references: m.references ?? null,
      attachmentIds: m.attachmentIds ?? [],
      state: 'queued',
      attempts: 0,
      lastError: null,
      sentAt: null,
    });
    try {
      await this.rows.insert(row);
    } catch (err) {
      // Two instances queued the same mail at once: the other's row stands.
      const other = await this.rows.findOneBy({ dedupeKey: m.dedupeKey });
      if (other) return other;
      throw err;
    }
    await this.job.schedule({ id: row.id }, { id: row.id }).catch((err) => this.s.log.warn({ err: { message: (err as Error).message }, mailId: row.id }, 'mail stored, queueing it waits for Redis'));
    return row;
  }

  /**
   * A failed mail queued again, from its first try: the agent fixed what the server refused or
   * the mail server is back. Only a failed row moves, so two clicks queue it once. The caller
   * puts the reply's message back to stored.
   */
  async retry(id: string): Promise<boolean> {
    const moved = await this.rows.update({ id, state: 'failed' }, { state: 'queued', attempts: 0, lastError: null });
    if (!moved.affected) return false;
    // The failed job keeps its id for days; it goes, so the id can be scheduled again.
    await this.job.unschedule(id);
    await this.job.schedule({ id }, { id }).catch((err) => this.s.log.warn({ err: { message: (err as Error).message }, mailId: id }, 'mail queued again, queueing it waits for Redis'));
    return true;
  }

  async ofMessages(ids: string[]): Promise<Map<string, OutgoingMail>> {
    if (!ids.length) return new Map();
    return new Map((await this.rows.findBy({ messageId: In(ids) })).map((r) => [r.messageId!, r]));
  }

  /** Where the mail queued under `dedupeKey` went, if one was: a follow-up goes to the same address. */
  async addressOf(dedupeKey: string): Promise<string | null> {
    return (await this.rows.findOne({ select: { id: true, toAddress: true }, where: { dedupeKey } }))?.toAddress ?? null;
  }

  /** The mails of these interactions' messages, by message. */
  async ofInteractions(interactionIds: string[]): Promise<Map<string, OutgoingMail>> {
    if (!interactionIds.length) return new Map();
    const rows = await this.rows.findBy({ interactionId: In(interactionIds), messageId: Not(IsNull()) });
    return new Map(rows.map((r) => [r.messageId!, r]));
  }

  /** Queued rows go on the queue again: what Redis lost (a restart without AOF) is sent anyway. */
  async sweep(): Promise<void> {
    const due = await this.rows.find({ where: { state: 'queued' }, order: { createdAt: 'ASC' }, take: 500 });
    for (const r of due) await this.job.schedule({ id: r.id }, { id: r.id });
  }

  start(): void {
    this.job.work();
    const tick = () => this.sweep().catch((err) => this.s.log.warn({ err: { message: (err as Error).message } }, 'sweeping queued mail failed'));
    void tick();
    this.timer = setInterval(tick, SWEEP_MS);
    this.timer.unref();
  }

  /** The job runner (closed by the server) stops the worker; this stops the sweep and the SMTP pool. */
  stop(): void {
    clearInterval(this.timer);
    this.job.close();
  }
}

