import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { Created, IdColumn, IdPrimary, Time, Updated } from '../../kernel/db/columns.js';
import { Interaction } from '../interactions/index.js';
import type { CallbackState } from '@switchboard/protocol';

export { CALLBACK_STATES, type CallbackState } from '@switchboard/protocol';

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
  /** The language the visitor asked in: a customer-first call's announcement is played in it. */
  @Column({ type: 'varchar', length: 5, nullable: true }) language: string | null;
  /** Hash of the token in the customer's confirmation mail (its cancel link); the token itself is never stored. */
  @Index({ unique: true }) @Column({ type: 'char', length: 64, nullable: true }) tokenHash: string | null;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
}
