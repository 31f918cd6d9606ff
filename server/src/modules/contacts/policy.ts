import { Brackets, type DataSource, type SelectQueryBuilder } from 'typeorm';
import { forbidden, notFound } from '../../kernel/http/errors.js';
import { Agent, AgentSkill } from '../agents/index.js';
import { Contact } from './contact.entity.js';
import type { Config, Queue } from '../../kernel/config/schema.js';
import type { Principal } from '../../kernel/http/principal.js';

/**
 * Who may see and edit which customer contacts (`security.contacts`). Supervisors and admins see
 * every contact. A plain agent sees, by the policy chosen:
 * - `all`: every contact;
 * - `handled`: contacts of interactions they handled (assigned to them, or an offer of it they
 *   accepted: a transfer or a conference), as the history does;
 * - `queues`: those, and contacts of any interaction of a queue they serve (its skills at the
 *   required level, and capacity for its channel).
 * A contact out of sight answers like an unknown one. Creating and editing need a role of
 * `editRoles` (and, to edit, the contact in sight).
 */
export class ContactPolicy {
  constructor(
    private readonly db: DataSource,
    private readonly config: () => Config,
  ) {}

  private get rules() {
    return this.config().main.security.contacts;
  }

  mayEdit(p: Principal): void {
    if (!this.rules.editRoles.includes(p.role)) throw forbidden('Your role may not create or edit contacts.');
  }

  /** Narrows a query on contacts (alias `c`) to what the agent may see. */
  async restrict(qb: SelectQueryBuilder<Contact>, p: Principal): Promise<void> {
    if (p.role !== 'agent' || this.rules.agentsSee === 'all') return;
    const queues = this.rules.agentsSee === 'queues' ? await this.queuesOf(p.agentId) : [];
    qb.andWhere(
      new Brackets((w) => {
        const theirs = 'i.assignedAgentId = :me OR EXISTS (SELECT 1 FROM offers o WHERE o.interactionId = i.id AND o.agentId = :me AND o.state = \'accepted\')';
        const inQueues = queues.length ? ' OR i.queueId IN (:...queues)' : '';
        w.where(`EXISTS (SELECT 1 FROM interactions i WHERE i.contactId = c.id AND (${theirs}${inQueues}))`, { me: p.agentId, queues: queues.map((q) => q.id) });
      }),
    );
  }

  /** The contact's id when the agent may see it; otherwise "not found". */
  async visible(p: Principal, id: string): Promise<string> {
    const qb = this.db.getRepository(Contact).createQueryBuilder('c').where('c.id = :id', { id });
    await this.restrict(qb, p);
    if (!(await qb.getExists())) throw notFound('Contact');
    return id;
  }

  /**
   * The interaction an offer is about and its contact, while that offer is out to the agent
   * (pending): an offer of someone else's, or one already answered, reads like an unknown one.
   */
  async offeredTo(p: Principal, offerId: string): Promise<{ interactionId: string; contactId: string | null }> {
    const rows: { interactionId: string; contactId: string | null }[] = await this.db.query(
      "SELECT i.id AS interactionId, i.contactId AS contactId FROM offers o JOIN interactions i ON i.id = o.interactionId WHERE o.id = ? AND o.agentId = ? AND o.state = 'pending'",
      [offerId, p.agentId],
    );
    if (!rows[0]) throw notFound('Offer');
    return rows[0];
  }

  private async queuesOf(agentId: string): Promise<Queue[]> {
    const [agent, skills] = await Promise.all([
      this.db.getRepository(Agent).findOneBy({ id: agentId }),
      this.db.getRepository(AgentSkill).findBy({ agentId }),
    ]);
    if (!agent) return [];
    const level = new Map(skills.map((s) => [s.skillId, s.level]));
    return this.config().queues.filter((q) => (agent.capacity[q.channel] ?? 0) > 0 && q.skills.every((s) => (level.get(s.skill) ?? 0) >= s.level));
  }
}
