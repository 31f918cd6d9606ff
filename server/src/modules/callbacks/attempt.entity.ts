import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { IdColumn, IdPrimary, Time } from '../../kernel/db/columns.js';
import { Callback } from './callback.entity.js';

// Customer-first adds: abandoned (the customer answered, then hung up before an agent took the
// call) and no-agent (nobody took it within the queue's customerWaitSeconds).
export const ATTEMPT_OUTCOMES = ['dialling', 'answered', 'busy', 'no-answer', 'failed', 'cancelled', 'abandoned', 'no-agent'] as const;
export type AttemptOutcome = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * One dial attempt of a callback. The unique (callbackId, attempt) row is written before the
 * INVITE goes out: a job that runs again after a crash finds it and does not dial twice.
 */
@Entity('callback_attempts')
@Index(['callbackId', 'attempt'], { unique: true })
export class CallbackAttempt {
  @IdPrimary() id: string;
  @IdColumn() callbackId: string;
  @Column({ type: 'int' }) attempt: number;
  @IdColumn() interactionId: string;
  @IdColumn({ nullable: true }) agentId: string | null;
  @IdColumn({ nullable: true }) callId: string | null;
  /** What the PBX was sent for leg B. */
  @Column({ type: 'varchar', length: 40 }) dialled: string;
  @Column({ type: 'varchar', length: 16 }) outcome: AttemptOutcome;
  /** The SIP status and cause, e.g. "486 busy"; which leg when it was the agent's. */
  @Column({ type: 'varchar', length: 64, nullable: true }) cause: string | null;
  @Time() startedAt: Date;
  @Time({ nullable: true }) endedAt: Date | null;
  @ManyToOne(() => Callback, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'callbackId' }) callback?: Relation<Callback>;
}
