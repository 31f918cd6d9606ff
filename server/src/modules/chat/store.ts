import { In, IsNull, type DataSource } from 'typeorm';
import { newId } from '../../kernel/db/ids.js';
import { Attachment, Message, type AuthorKind, type DeliveryState } from './message.entity.js';
import { presentMessage } from './presenter.js';
import type { ChatMessagePayload } from '@switchboard/protocol';
import { systemClock, type Clock } from '../../kernel/clock.js';

export interface NewMessage {
  interactionId: string;
  authorKind: AuthorKind;
  authorAgentId?: string | null;
  authorName: string | null;
  body: string;
  clientMessageId?: string | null;
  attachmentIds?: string[];
}

/** Where an echoed line ends up: `sent`, or `delivered` when the other side had already seen it. */
export type Relayed = Extract<DeliveryState, 'sent' | 'delivered'>;

/** MySQL side of chat: every line is written here before anyone is told it exists. */
export class ChatStore {
  constructor(private readonly db: DataSource, private readonly clock: Clock = systemClock) {}

  get messages() {
    return this.db.getRepository(Message);
  }
  get attachments() {
    return this.db.getRepository(Attachment);
  }

  /**
   * Stores a message once per (interaction, clientMessageId): a retried send returns the message
   * stored the first time, with `created: false`, so it is neither stored nor relayed twice.
   */
  async add(input: NewMessage): Promise<{ message: Message; created: boolean }> {
    const cid = input.clientMessageId ?? null;
    const m = this.messages.create({
      id: newId(),
      interactionId: input.interactionId,
      authorKind: input.authorKind,
      authorAgentId: input.authorAgentId ?? null,
      authorName: input.authorName,
      body: input.body,
      deliveryState: 'stored',
      clientMessageId: cid,
      externalId: null,
      deliveredAt: null,
      createdAt: this.clock.now(),
    });
    try {
      if (input.attachmentIds?.length) {
        await this.db.transaction(async (tx) => {
          await tx.getRepository(Message).insert(m);
          await tx.getRepository(Attachment).update({ id: In(input.attachmentIds!), interactionId: input.interactionId, messageId: IsNull() }, { messageId: m.id });
        });
      } else {
        // Every value is set here: no read-back of the row (TypeORM would SELECT it again on MySQL).
        await this.messages.createQueryBuilder().insert().values(m).updateEntity(false).execute();
      }
    } catch (err) {
      // A retry (or two racing each other): the unique index let the first one in; answer with it.
      if (cid && (err as { code?: string }).code === 'ER_DUP_ENTRY') {
        const existing = await this.messages.findOneBy({ interactionId: input.interactionId, clientMessageId: cid });
        if (existing) return { message: existing, created: false };
      }
      throw err;
    }
    return { message: m, created: true };
  }

  async get(id: string): Promise<Message | null> {
    return this.messages.findOneBy({ id });
  }

  private sentQueue: { id: string; externalId: string | null; done: (state: Relayed | null) => void; fail: (e: Error) => void }[] = [];

  /**
   * stored → sent happens once, whoever gets there first; the winner tells the sockets (null: it
   * lost). A line the other side already confirmed while it was still `stored` (it saw it in a
   * history) goes straight to `delivered`. Echoes that arrive together are written in one
   * transaction (lock the rows still `stored`, update those): under load that is one commit for
   * many lines instead of one each.
   */
  markSent(id: string, externalId: string | null): Promise<Relayed | null> {
    return new Promise((done, fail) => {
      this.sentQueue.push({ id, externalId, done, fail });
      if (!this.flushing) {
        this.flushing = true;
        setImmediate(() => void this.flushSent());
      }
    });
  }

  private flushing = false;

  /** One batch at a time: batches in parallel only lock each other's rows. */
  private async flushSent(): Promise<void> {
    while (this.sentQueue.length) {
      const batch = this.sentQueue.splice(0, 200);
      for (let attempt = 1; ; attempt++) {
        try {
          const won = await this.sentBatch(batch);
          for (const b of batch) b.done(won.get(b) ?? null);
          break;
        } catch (err) {
          // A deadlock with another instance's batch: InnoDB rolled ours back; run it again.
          if ((err as { code?: string }).code === 'ER_LOCK_DEADLOCK' && attempt < 3) continue;
          for (const b of batch) b.fail(err as Error);
          break;
        }
      }
    }
    this.flushing = false;
  }

  private async sentBatch(batch: typeof this.sentQueue): Promise<Map<(typeof batch)[0], Relayed>> {
    if (batch.length === 1) {
      const [one] = batch as [(typeof batch)[0]];
      const sent = await this.messages.update({ id: one.id, deliveryState: 'stored', deliveredAt: IsNull() }, { deliveryState: 'sent', externalId: one.externalId });
      if ((sent.affected ?? 0) > 0) return new Map([[one, 'sent']]);
      const confirmed = await this.messages.update({ id: one.id, deliveryState: 'stored' }, { deliveryState: 'delivered', externalId: one.externalId });
      return new Map((confirmed.affected ?? 0) > 0 ? [[one, 'delivered']] : []);
    }
    return this.db.transaction(async (tx) => {
      const ids = [...new Set(batch.map((b) => b.id))];
      // By primary key only: record locks on these rows, no gap locks that would stall inserts.
      const rows: { id: string; deliveryState: string; deliveredAt: Date | null }[] = await tx.query(`SELECT id, deliveryState, deliveredAt FROM messages FORCE INDEX (PRIMARY) WHERE id IN (${ids.map(() => '?').join(',')}) FOR UPDATE`, ids);
      const stored = new Map(rows.filter((r) => r.deliveryState === 'stored').map((r) => [r.id, r.deliveredAt === null ? 'sent' : 'delivered'] as const));
      const first = batch.filter((b, k) => stored.has(b.id) && batch.findIndex((x) => x.id === b.id) === k);
      if (first.length) {
        const cases = first.map(() => 'WHEN ? THEN ?').join(' ');
        await tx.query(`UPDATE messages SET deliveryState = IF(deliveredAt IS NULL, 'sent', 'delivered'), externalId = CASE id ${cases} END WHERE id IN (${first.map(() => '?').join(',')})`, [...first.flatMap((b) => [b.id, b.externalId]), ...first.map((b) => b.id)]);
      }
      return new Map(first.map((b) => [b, stored.get(b.id)!]));
    });
  }

  /**
   * Marks messages of the other side as shown on this side's screen; returns those that changed.
   * A line still `stored` was read from a history before it was relayed (its instance died between
   * storing and relaying it): it stays `stored`, only remembered as seen, and is returned (in
   * order) for the caller to relay, so its author's side is still told; it turns `delivered` when
   * its echo comes back.
   */
  async markDelivered(interactionId: string, ids: string[], authorKinds: AuthorKind[]): Promise<{ changed: { id: string; clientMessageId: string | null }[]; stored: Message[] }> {
    if (!ids.length) return { changed: [], stored: [] };
    const rows = await this.messages.find({
      where: { interactionId, id: In(ids), authorKind: In(authorKinds), deliveryState: In(['stored', 'sent'] as DeliveryState[]) },
      select: { id: true, clientMessageId: true, deliveryState: true },
    });
    const now = new Date();
    const storedIds = rows.filter((r) => r.deliveryState === 'stored').map((r) => r.id);
    let stored: Message[] = [];
    if (storedIds.length) {
      await this.messages.update({ id: In(storedIds), deliveryState: 'stored', deliveredAt: IsNull() }, { deliveredAt: now });
      stored = await this.messages.find({ where: { id: In(storedIds), deliveryState: 'stored' }, order: { createdAt: 'ASC', seq: 'ASC' } });
    }
    const sent = rows.filter((r) => r.deliveryState === 'sent').map((r) => r.id);
    if (sent.length) await this.messages.update({ id: In(sent), deliveryState: 'sent' }, { deliveryState: 'delivered', deliveredAt: now });
    return { changed: rows.filter((r) => r.deliveryState === 'sent').map(({ id, clientMessageId }) => ({ id, clientMessageId })), stored };
  }

  /** The conversation in order; notes only for agents. */
  /** The visitor's first lines, for the offer an agent decides on. */
  async firstVisitorLines(interactionId: string, count: number): Promise<string[]> {
    const rows = await this.messages.find({ where: { interactionId, authorKind: 'visitor' }, order: { createdAt: 'ASC', seq: 'ASC' }, take: count });
    return rows.map((m) => m.body).filter((b) => b.trim() !== '');
  }

  async history(interactionId: string, opts: { notes: boolean }): Promise<ChatMessagePayload[]> {
    const rows = await this.messages.find({ where: { interactionId }, order: { createdAt: 'ASC', seq: 'ASC' } });
    const visible = opts.notes ? rows : rows.filter((m) => m.authorKind !== 'note');
    const atts = await this.attachmentsOf(visible.map((m) => m.id));
    return visible.map((m) => presentMessage(m, atts.get(m.id)));
  }

  async payload(m: Message, hasAttachments = true): Promise<ChatMessagePayload> {
    return presentMessage(m, hasAttachments ? (await this.attachmentsOf([m.id])).get(m.id) : []);
  }

  private async attachmentsOf(messageIds: string[]): Promise<Map<string, Attachment[]>> {
    const out = new Map<string, Attachment[]>();
    if (!messageIds.length) return out;
    for (const a of await this.attachments.find({ where: { messageId: In(messageIds) }, order: { createdAt: 'ASC', seq: 'ASC' } })) {
      const list = out.get(a.messageId!) ?? [];
      list.push(a);
      out.set(a.messageId!, list);
    }
    return out;
  }

  /** Messages stored but not yet relayed, oldest first (after a crash or an XMPP outage). */
  async pending(olderThan: Date, limit = 200): Promise<Message[]> {
    return this.messages
      .createQueryBuilder('m')
      // Mail bodies are not chat lines: their mail goes out through the mail outbox, not a room.
      .innerJoin('m.interaction', 'i', 'i.channel <> :mail', { mail: 'mail' })
      .where('m.deliveryState = :s', { s: 'stored' })
      .andWhere('m.authorKind <> :n', { n: 'note' })
      .andWhere('m.createdAt <= :t', { t: olderThan })
      .orderBy('m.createdAt', 'ASC')
      .addOrderBy('m.seq', 'ASC')
      .limit(limit)
      .getMany();
  }
}
