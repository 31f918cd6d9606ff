import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { ConfigIdColumn, Created, IdColumn, IdPrimary, Json, Time, Updated } from '../../kernel/db/columns.js';
import type { Channel } from '../../kernel/config/schema.js';
import { Contact } from '../contacts/index.js';
import { Agent } from '../agents/index.js';

export const INTERACTION_STATES = [
  'new', 'queued', 'offered', 'assigned', 'conference', 'wrap-up', 'closed', 'unmanaged', 'abandoned',
] as const;
export type InteractionState = (typeof INTERACTION_STATES)[number];

/** One customer contact on one channel: the unit that is queued, offered, assigned and closed. */
@Entity('interactions')
@Index(['state', 'queueId'])
// Reports select by queueing time, over everything or per queue.
@Index(['queuedAt'])
@Index(['queueId', 'queuedAt'])
export class Interaction {
  @IdPrimary() id: string;
  @Column({ type: 'varchar', length: 16 }) channel: Channel;
  @Column({ type: 'varchar', length: 8 }) direction: 'inbound' | 'outbound';
  @Column({ type: 'varchar', length: 16 }) state: InteractionState;
  @ConfigIdColumn({ nullable: true }) queueId: string | null;
  @ConfigIdColumn({ nullable: true }) websiteId: string | null;
  @Index() @IdColumn({ nullable: true }) contactId: string | null;
  @Index() @IdColumn({ nullable: true }) assignedAgentId: string | null;
  @Json() routingVariables: Record<string, string>;
  @Column({ type: 'varchar', length: 255, nullable: true }) subject: string | null;
  @ConfigIdColumn({ nullable: true }) dispositionId: string | null;
  @Column({ type: 'boolean', default: false }) unmanaged: boolean;
  @Column({ type: 'boolean', default: false }) offline: boolean;
  @Column({ type: 'boolean', default: false }) timedOut: boolean;
  /** sha256 of the visitor's bearer token for this interaction; the token itself is never stored. */
  @Column({ type: 'char', length: 64, nullable: true }) visitorTokenHash: string | null;
  @Time({ nullable: true }) queuedAt: Date | null;
  @Time({ nullable: true }) assignedAt: Date | null;
  @Time({ nullable: true }) closedAt: Date | null;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
  @ManyToOne(() => Contact, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'contactId' }) contact?: Relation<Contact>;
  @ManyToOne(() => Agent, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'assignedAgentId' }) assignedAgent?: Relation<Agent>;
}

export const OFFER_STATES = ['pending', 'accepted', 'rejected', 'timeout', 'withdrawn', 'taken'] as const;
export type OfferState = (typeof OFFER_STATES)[number];

/** An interaction proposed to one agent, with its outcome. */
@Entity('offers')
@Index(['agentId', 'state'])
export class Offer {
  @IdPrimary() id: string;
  @Index() @IdColumn() interactionId: string;
  @IdColumn() agentId: string;
  @Column({ type: 'varchar', length: 16 }) state: OfferState;
  @Column({ type: 'varchar', length: 16, default: 'route' }) kind: 'route' | 'transfer' | 'conference';
  @Time() offeredAt: Date;
  @Time() expiresAt: Date;
  @Time({ nullable: true }) respondedAt: Date | null;
  /**
   * The order offers were made in. Two can be made in the same millisecond (on a clock that does
   * not move, every one is), and who joined after whom must not swap.
   */
  @Column({ type: 'bigint', unsigned: true, generated: 'increment', unique: true, insert: false, update: false }) seq?: string;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
  @ManyToOne(() => Agent, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'agentId' }) agent?: Relation<Agent>;
}
