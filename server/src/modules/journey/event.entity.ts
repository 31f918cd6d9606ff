import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { JourneyType } from '@switchboard/protocol';
import { IdColumn, Json, Time } from '../../kernel/db/columns.js';

/**
 * Append-only log of what happened to interactions (queued, offered, assigned, transferred,
 * closed...). Read by contact, it is the customer journey; by interaction, its history.
 */
@Entity('interaction_events')
@Index(['contactId', 'at'])
@Index(['interactionId', 'at'])
export class InteractionEvent {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @IdColumn({ nullable: true }) contactId: string | null;
  @IdColumn({ nullable: true }) interactionId: string | null;
  @IdColumn({ nullable: true }) agentId: string | null;
  @Column({ type: 'varchar', length: 48 }) type: JourneyType;
  @Json() data: Record<string, unknown>;
  @Time() at: Date;
}
