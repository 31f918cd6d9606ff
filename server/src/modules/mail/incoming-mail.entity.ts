import { Column, Entity, Index } from 'typeorm';
import { Created, IdColumn, IdPrimary } from '../../kernel/db/columns.js';

export const INCOMING_OUTCOMES = ['stored', 'duplicate', 'own', 'too-large'] as const;
export type IncomingOutcome = (typeof INCOMING_OUTCOMES)[number];

const big = { type: 'bigint' as const, transformer: { to: (v: string) => v, from: (v: string) => String(v) } };

/**
 * A mail read from the support mailbox. Its mailbox, UIDVALIDITY and UID are unique: the instance
 * whose insert wins stores it, the others (and a second look at the same UID) skip it. A copy
 * that comes again under another UID (a new UIDVALIDITY, a second delivery) is found by its
 * Message-ID and stored once.
 */
@Entity('incoming_mails')
@Index(['mailbox', 'uidValidity', 'uid'], { unique: true })
export class IncomingMail {
  @IdPrimary() id: string;
  @Column({ type: 'varchar', length: 255 }) mailbox: string;
  @Column(big) uidValidity: string;
  @Column(big) uid: string;
  @Index() @Column({ type: 'varchar', length: 255, nullable: true }) headerMessageId: string | null;
  @Index() @IdColumn({ nullable: true }) interactionId: string | null;
  /** The message the mail became. */
  @IdColumn({ nullable: true }) messageId: string | null;
  @Column({ type: 'varchar', length: 12 }) outcome: IncomingOutcome;
  /** The mail's HTML part, sanitised (no scripts, handlers, remote content), for display only. */
  @Column({ type: 'mediumtext', nullable: true }) html: string | null;
  @Created() createdAt: Date;
}
