import { Brackets, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { newId } from '../../kernel/db/ids.js';
import { conflict, notFound } from '../../kernel/http/errors.js';
import { Contact } from './contact.entity.js';
import { InteractionEvent } from '../journey/index.js';
import type { ContactInput } from './schema.js';

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

  /** `scope` narrows the search to what the asker may see (ContactPolicy.restrict). */
  async search(q: string | undefined, limit: number, scope?: (qb: SelectQueryBuilder<Contact>) => Promise<void>): Promise<Contact[]> {
    // Contacts changed in the same millisecond come in one order (by id), so the same search gives the same first `limit`.
    const qb = this.repo.createQueryBuilder('c').orderBy('c.updatedAt', 'DESC').addOrderBy('c.id', 'DESC').limit(limit);
    await scope?.(qb);
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
    const existing = (email ? await this.repo.findOneBy({ email }) : null) ?? (input.phone ? await this.repo.findOneBy({ phone: input.phone }) : null);
    if (!existing) return this.create({ ...input, email });
    const before = JSON.stringify(existing);
    existing.name ||= input.name ?? null;
    existing.email ||= email ?? null;
    existing.phone ||= input.phone ?? null;
    existing.customFields = { ...input.customFields, ...existing.customFields };
    if (JSON.stringify(existing) !== before) await this.repo.save(existing);
    return existing;
  }

  /** The customer journey: what happened on every channel, newest first. */
  async journey(id: string, limit = 200): Promise<InteractionEvent[]> {
    await this.get(id);
    return this.db.getRepository(InteractionEvent).find({ where: { contactId: id }, order: { at: 'DESC', seq: 'DESC' }, take: limit });
  }
}
