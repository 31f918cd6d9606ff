import { Brackets, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { newId } from '../../kernel/db/ids.js';
import { conflict, notFound } from '../../kernel/http/errors.js';
import { Contact } from './contact.entity.js';
import { InteractionEvent } from '../journey/index.js';
import type { ContactInput } from './schema.js';
import type { Place } from './cursor.js';
import type { JourneyType } from '@switchboard/protocol';

/** An earlier interaction of a contact, on one line: when its journey began, its channel, its latest step. */
export interface JourneyLine {
  interactionId: string;
  /** Null when the interaction's row is gone. */
  channel: string | null;
  at: Date;
  outcome: JourneyType;
}

const normaliseEmail = (e: string | null | undefined) => (e ? e.trim().toLowerCase() : e);

export class ContactService {
  constructor(private readonly db: DataSource) {}

  private get repo() {
    return this.db.getRepository(Contact);
  }

  async get(id: string): Promise<Contact> {
    const c = await this.repo.findOneBy({ id });
    if (!c) throw notFound('Contact');
    return c;
  }

  /**
   * `scope` narrows the search to what the asker may see (ContactPolicy.restrict); `after` starts
   * past the last contact of the page before (its updatedAt and id).
   */
  async search(q: string | undefined, limit: number, scope?: (qb: SelectQueryBuilder<Contact>) => Promise<void>, after?: Place): Promise<Contact[]> {
    // Contacts changed in the same millisecond come in one order (by id), so the same search gives the same first `limit`
    // and a page ending inside such a group goes on with the rest of it.
    const qb = this.repo.createQueryBuilder('c').orderBy('c.updatedAt', 'DESC').addOrderBy('c.id', 'DESC').limit(limit);
    await scope?.(qb);
    if (after) qb.andWhere('(c.updatedAt < :afterAt OR (c.updatedAt = :afterAt AND c.id < :afterId))', { afterAt: after.at, afterId: after.key });
    if (q) {
      // LIKE wildcards typed by the user are matched literally.
      const like = `%${q.replace(/[\\%_]/g, (m) => '\\' + m)}%`;
      qb.andWhere(new Brackets((w) => w.where('c.name LIKE :like', { like }).orWhere('c.email LIKE :like', { like }).orWhere('c.phone LIKE :like', { like })));
    }
    return qb.getMany();
  }

  async create(input: ContactInput): Promise<Contact> {
    const email = normaliseEmail(input.email);
    if (email && (await this.repo.existsBy({ email }))) throw conflict(`A contact with the email ${email} exists already.`);
    const c = this.repo.create({ id: newId(), name: input.name ?? null, email: email ?? null, phone: input.phone ?? null, customFields: input.customFields ?? {} });
    await this.repo.insert(c);
    return this.get(c.id);
  }

  async update(id: string, input: ContactInput): Promise<Contact> {
    const c = await this.get(id);
    const email = normaliseEmail(input.email);
    if (email && email !== c.email && (await this.repo.existsBy({ email }))) throw conflict(`A contact with the email ${email} exists already.`);
    if (input.name !== undefined) c.name = input.name;
    if (input.email !== undefined) c.email = email ?? null;
    if (input.phone !== undefined) c.phone = input.phone;
    if (input.customFields !== undefined) c.customFields = { ...c.customFields, ...input.customFields };
    await this.repo.save(c);
    return this.get(id);
  }

  /**
   * The contact a channel's visitor belongs to: matched by email, then phone; created when
   * missing; details the visitor gave fill in what the contact lacked (never overwrite).
   */
  async findOrCreate(input: { name?: string | null; email?: string | null; phone?: string | null; customFields?: Record<string, string> }): Promise<Contact> {
    const email = normaliseEmail(input.email);
    // A number is matched only to a contact with no other address: a household or an office shares
    // a line, and a visitor who gives their own address is not the one the line's contact names.
    const byPhone = async (phone: string) => (await this.repo.findBy({ phone })).find((c) => !email || !c.email || c.email === email) ?? null;
    const existing = (email ? await this.repo.findOneBy({ email }) : null) ?? (input.phone ? await byPhone(input.phone) : null);
    if (!existing) return this.create({ ...input, email });
    const before = JSON.stringify(existing);
    existing.name ||= input.name ?? null;
    existing.email ||= email ?? null;
    existing.phone ||= input.phone ?? null;
    existing.customFields = { ...input.customFields, ...existing.customFields };
    if (JSON.stringify(existing) !== before) await this.repo.save(existing);
    return existing;
  }

  /** The customer journey: what happened on every channel, newest first; `after` starts past the last entry of the page before (its at and seq). */
  async journey(id: string, limit = 200, after?: Place): Promise<InteractionEvent[]> {
    await this.get(id);
    const qb = this.db.getRepository(InteractionEvent).createQueryBuilder('e').where('e.contactId = :id', { id }).orderBy('e.at', 'DESC').addOrderBy('e.seq', 'DESC').limit(limit);
    if (after) qb.andWhere('(e.at < :afterAt OR (e.at = :afterAt AND e.seq < :afterSeq))', { afterAt: after.at, afterSeq: after.key });
    return qb.getMany();
  }

  /**
   * The contact's interactions other than `besides`, newest first (by when each one's journey
   * began), one line each: what an offer of `besides` lists. `after` starts past the last line of
   * the page before (its `at` and interaction id).
   */
  async interactionsBesides(id: string, besides: string, limit: number, after?: Place): Promise<JourneyLine[]> {
    // Grouped in the database: a limit on entries would list fewer interactions the more steps each had.
    const rows: JourneyLine[] = await this.db.query(
      `SELECT g.interactionId, g.at, i.channel,
         (SELECT e.type FROM interaction_events e WHERE e.interactionId = g.interactionId AND e.contactId = ? ORDER BY e.at DESC, e.seq DESC LIMIT 1) AS outcome
       FROM (SELECT interactionId, MIN(at) AS at FROM interaction_events
             WHERE contactId = ? AND interactionId IS NOT NULL AND interactionId <> ? GROUP BY interactionId) g
       LEFT JOIN interactions i ON i.id = g.interactionId
       ${after ? 'WHERE g.at < ? OR (g.at = ? AND g.interactionId < ?)' : ''}
       ORDER BY g.at DESC, g.interactionId DESC LIMIT ?`,
      [id, id, besides, ...(after ? [after.at, after.at, after.key] : []), limit],
    );
    return rows;
  }
}
