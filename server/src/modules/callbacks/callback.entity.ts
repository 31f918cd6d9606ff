import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { Created, IdColumn, IdPrimary, Time, Updated } from '../../db/columns.js';
import { Interaction } from '../interactions/interaction.entity.js';

export const CALLBACK_STATES = ['scheduled', 'dialling', 'completed', 'failed', 'cancelled'] as const;
export type CallbackState = (typeof CALLBACK_STATES)[number];

/** A callback request: the BullMQ job that dials it refers back here by id. */
@Entity('callbacks')
@Index(['state', 'dueAt'])
export class Callback {
  @IdPrimary() id: string;
  @Index({ unique: true }) @IdColumn() interactionId: string;
  @Column({ type: 'varchar', length: 32 }) phoneNumber: string;
  @Column({ type: 'text', nullable: true }) message: string | null;
  @Column({ type: 'boolean' }) asap: boolean;
  @Time({ nullable: true }) slotStart: Date | null;
  @Time({ nullable: true }) slotEnd: Date | null;
  @Time() dueAt: Date;
  @Column({ type: 'varchar', length: 16 }) state: CallbackState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  @Column({ type: 'varchar', length: 64, nullable: true }) jobId: string | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) lastCause: string | null;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
}
