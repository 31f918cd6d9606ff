import { Column, Entity, Index } from 'typeorm';
import { ConfigIdColumn, Created, IdColumn, IdPrimary } from '../../kernel/db/columns.js';

/**
 * A customer's satisfaction rating (CSAT) of one interaction: 1–5 with an optional comment, given
 * once, at the end. Reports read this table (rating by interaction, agent, website, channel, time).
 */
@Entity('csat_ratings')
@Index(['createdAt'])
@Index(['agentId', 'createdAt'])
export class CsatRating {
  @IdPrimary() id: string;
  @Index({ unique: true }) @IdColumn() interactionId: string;
  @ConfigIdColumn({ nullable: true }) websiteId: string | null;
  @Column({ type: 'varchar', length: 16 }) channel: string;
  @ConfigIdColumn({ nullable: true }) queueId: string | null;
  /** The agent who had the interaction when it was rated. */
  @IdColumn({ nullable: true }) agentId: string | null;
  @Column({ type: 'tinyint' }) rating: number;
  @Column({ type: 'varchar', length: 1000, nullable: true }) comment: string | null;
  @Created() createdAt: Date;
}
