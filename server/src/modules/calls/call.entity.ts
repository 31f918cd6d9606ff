import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { ConfigIdColumn, Created, IdColumn, IdPrimary, Time } from '../../kernel/db/columns.js';
import { Interaction } from '../interactions/index.js';

/** A call as the customer lives it: one or more legs bridged by the B2BUA. */
@Entity('calls')
export class Call {
  @IdPrimary() id: string;
  @Index() @IdColumn({ nullable: true }) interactionId: string | null;
  @Column({ type: 'varchar', length: 24 }) kind: 'widget' | 'softphone' | 'originate' | 'inbound';
  @Column({ type: 'boolean', default: false }) video: boolean;
  @ConfigIdColumn({ nullable: true }) trunkId: string | null;
  @Time() setupAt: Date;
  @Time({ nullable: true }) answeredAt: Date | null;
  @Time({ nullable: true }) endedAt: Date | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) endCause: string | null;
  @Created() createdAt: Date;
  @ManyToOne(() => Interaction, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
}

/** One SIP dialog of a call, with its timings and how it ended. */
@Entity('call_legs')
export class CallLeg {
  @IdPrimary() id: string;
  @Index() @IdColumn() callId: string;
  /** In the order the legs were set up: a, b (widget → PBX), c, d (PBX → agent) … */
  @Column({ type: 'varchar', length: 8 }) side: string;
  @Column({ type: 'varchar', length: 8 }) direction: 'inbound' | 'outbound';
  @Index() @Column({ type: 'varchar', length: 255 }) sipCallId: string;
  @Column({ type: 'varchar', length: 128, nullable: true }) localTag: string | null;
  @Column({ type: 'varchar', length: 128, nullable: true }) remoteTag: string | null;
  @Column({ type: 'varchar', length: 255 }) remoteUri: string;
  @Time() setupAt: Date;
  @Time({ nullable: true }) ringingAt: Date | null;
  @Time({ nullable: true }) answeredAt: Date | null;
  @Time({ nullable: true }) endedAt: Date | null;
  @Column({ type: 'smallint', nullable: true }) finalStatus: number | null;
  @Column({ type: 'varchar', length: 64, nullable: true }) cause: string | null;
  @ManyToOne(() => Call, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'callId' }) call?: Relation<Call>;
}
