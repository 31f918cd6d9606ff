import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { Created, IdColumn, IdPrimary, Updated } from '../../kernel/db/columns.js';
import { Interaction } from '../interactions/index.js';

/** The mail conversation behind a mail interaction; its messages are rows of `messages`. */
@Entity('mail_threads')
export class MailThread {
  @IdPrimary() id: string;
  @Index({ unique: true }) @IdColumn() interactionId: string;
  @Column({ type: 'varchar', length: 255 }) subject: string;
  @Column({ type: 'varchar', length: 254 }) customerAddress: string;
  /** Message-ID of the first mail, to thread replies (In-Reply-To / References). */
  @Index() @Column({ type: 'varchar', length: 255, nullable: true }) rootMessageId: string | null;
  /**
   * A customer who writes again after the ticket was closed opens a new interaction; its thread
   * points at the first thread (same reference, the whole conversation shown) and at the
   * interaction before it.
   */
  @Index() @IdColumn({ nullable: true }) firstThreadId: string | null;
  @IdColumn({ nullable: true }) previousInteractionId: string | null;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
}
