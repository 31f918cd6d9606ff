import { Brackets, In, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { forbidden, notFound } from '../../kernel/http/errors.js';
import { Interaction, Offer } from '../interactions/index.js';
import { InteractionEvent } from '../journey/index.js';
import { Attachment, Message } from '../chat/index.js';
import { Call, CallLeg } from '../calls/index.js';
import { Agent } from '../agents/index.js';
import type { Config } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';
import type { HistorySearch } from './schema.js';
import type { CsatSummary, HistoryItem, HistorySearchResult } from '@switchboard/protocol';
import { presentHistoryItem } from './presenter.js';
import { ratingsOf } from '../feedback/index.js';

export interface InteractionRecord {
  interaction: Interaction;
  item: HistoryItem;
  messages: Message[];
  attachments: Attachment[];
  calls: { call: Call; legs: CallLeg[] }[];
  journey: InteractionEvent[];
}

const likeOf = (q: string) => `%${q.replace(/[\\%_]/g, (m) => '\\' + m)}%`;
const isSupervisor = (p: Principal) => p.role === 'supervisor' || p.role === 'admin';

/**
 * Past interactions for the desktop's history and transcripts. A plain agent sees only what they
 * handled (assigned to them, or an offer of it they accepted: a transfer or a conference);
 * supervisors see everything.
 */
export class HistoryService {
  constructor(
    private readonly db: DataSource,
    private readonly config: () => Config,
  ) {}

  /** Whether this agent's role grants transcripts with the files embedded. */
  mayExportAttachments(p: Principal): boolean {
    return this.config().main.security.transcriptAttachmentRoles.includes(p.role);
  }

  async search(p: Principal, q: HistorySearch): Promise<HistorySearchResult> {
    const qb = this.db
      .getRepository(Interaction)
      .createQueryBuilder('i')
      .leftJoinAndSelect('i.contact', 'c')
      .orderBy('i.createdAt', 'DESC')
      .addOrderBy('i.id', 'DESC')
      .skip((q.page - 1) * q.pageSize)
      .take(q.pageSize);
    this.restrict(qb, p);
    if (q.channel) qb.andWhere('i.channel = :channel', { channel: q.channel });
    if (q.from) qb.andWhere('i.createdAt >= :from', { from: new Date(q.from) });
    // A bare date as the end means "through that whole day".
    if (q.to) qb.andWhere('i.createdAt < :to', { to: /^\d{4}-\d{2}-\d{2}$/.test(q.to) ? new Date(Date.parse(q.to) + 86_400_000) : new Date(q.to) });
    if (q.q) {
      const text = q.q;
      qb.andWhere(
        new Brackets((w) => {
          w.where('c.name LIKE :like', { like: likeOf(text) })
            .orWhere('c.email LIKE :like')
            .orWhere('c.phone LIKE :like')
            .orWhere('i.subject LIKE :like');
          if (/^[0-9a-f]{32}$/.test(text)) w.orWhere('i.id = :exact', { exact: text });
        }),
      );
    }
    const [rows, total] = await qb.getManyAndCount();
    const [agents, csat] = await Promise.all([this.agentNamesOf(rows.map((r) => r.id), rows), ratingsOf(this.db, rows.map((r) => r.id))]);
    return { items: rows.map((i) => this.present(i, agents.get(i.id) ?? [], csat.get(i.id))), total };
  }

  async get(p: Principal, id: string): Promise<InteractionRecord> {
    const interaction = await this.db.getRepository(Interaction).findOne({ where: { id }, relations: { contact: true } });
    if (!interaction) throw notFound('Interaction');
    if (!isSupervisor(p) && !(await this.handledBy(id, interaction, p.agentId))) {
      // Same answer as for an unknown id would leak less, but agents need to know why a link fails.
      throw forbidden('Only the agents who handled this interaction and supervisors may open it.');
    }
    const [messages, attachments, calls, journey, agents, csat] = await Promise.all([
      this.db.getRepository(Message).find({ where: { interactionId: id }, order: { createdAt: 'ASC', seq: 'ASC' } }),
      this.db.getRepository(Attachment).find({ where: { interactionId: id }, order: { createdAt: 'ASC', seq: 'ASC' } }),
      this.db.getRepository(Call).find({ where: { interactionId: id }, order: { setupAt: 'ASC' } }),
      this.db.getRepository(InteractionEvent).find({ where: { interactionId: id }, order: { at: 'ASC', seq: 'ASC' }, take: 500 }),
      this.agentNamesOf([id], [interaction]),
      ratingsOf(this.db, [id]),
    ]);
    // A leg and the one it set up can start in the same millisecond: their side (a, b, c …) is the order.
    const legs = calls.length ? await this.db.getRepository(CallLeg).find({ where: { callId: In(calls.map((c) => c.id)) }, order: { setupAt: 'ASC', side: 'ASC' } }) : [];
    return {
      interaction,
      item: this.present(interaction, agents.get(id) ?? [], csat.get(id)),
      messages,
      attachments,
      calls: calls.map((call) => ({ call, legs: legs.filter((l) => l.callId === call.id) })),
      journey,
    };
  }

  private present(i: Interaction, agents: string[], csat?: CsatSummary): HistoryItem {
    const cfg = this.config();
    const disposition = i.dispositionId ? (cfg.reasons.dispositions.find((d) => d.id === i.dispositionId)?.label ?? i.dispositionId) : null;
    const queue = i.queueId ? (cfg.queues.find((x) => x.id === i.queueId)?.name ?? i.queueId) : null;
    return presentHistoryItem(i, { queue, disposition, agents }, csat ?? null);
  }

  private restrict(qb: SelectQueryBuilder<Interaction>, p: Principal): void {
    if (isSupervisor(p)) return;
    qb.andWhere(
      new Brackets((w) =>
        w
          .where('i.assignedAgentId = :me', { me: p.agentId })
          .orWhere("EXISTS (SELECT 1 FROM offers o WHERE o.interactionId = i.id AND o.agentId = :me AND o.state = 'accepted')"),
      ),
    );
  }

  private async handledBy(id: string, i: Interaction, agentId: string): Promise<boolean> {
    if (i.assignedAgentId === agentId) return true;
    return this.db.getRepository(Offer).existsBy({ interactionId: id, agentId, state: 'accepted' });
  }

  /** Display names of everyone who took part (accepted an offer or holds it), in order of arrival. */
  private async agentNamesOf(ids: string[], rows: Interaction[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    if (!ids.length) return out;
    const offers = await this.db.getRepository(Offer).find({ where: { interactionId: In(ids), state: 'accepted' }, order: { offeredAt: 'ASC', seq: 'ASC' } });
    const byInteraction = new Map<string, string[]>();
    for (const o of offers) byInteraction.set(o.interactionId, [...(byInteraction.get(o.interactionId) ?? []), o.agentId]);
    for (const r of rows) if (r.assignedAgentId) byInteraction.set(r.id, [...(byInteraction.get(r.id) ?? []), r.assignedAgentId]);
    const agentIds = [...new Set([...byInteraction.values()].flat())];
    const agents = agentIds.length ? await this.db.getRepository(Agent).find({ where: { id: In(agentIds) }, select: { id: true, displayName: true } }) : [];
    const name = new Map(agents.map((a) => [a.id, a.displayName]));
    for (const [iid, list] of byInteraction) out.set(iid, [...new Set(list)].map((a) => name.get(a) ?? 'former agent'));
    return out;
  }
}
