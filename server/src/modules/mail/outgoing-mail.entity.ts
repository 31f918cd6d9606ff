import { Column, Entity, Index } from 'typeorm';
import { Created, IdColumn, IdPrimary, Json, Time } from '../../kernel/db/columns.js';

export const OUTGOING_KINDS = ['reply', 'transcript', 'forward', 'callback', 'csat'] as const;
export type OutgoingKind = (typeof OUTGOING_KINDS)[number];
export const OUTGOING_STATES = ['queued', 'sent', 'failed'] as const;
export type OutgoingState = (typeof OUTGOING_STATES)[number];

/**
 * A mail Switchboard sends: written before it is queued, so a lost job or a Redis restart loses
 * nothing (queued rows are scheduled again), and marked sent once SMTP took it, so it is sent once.
 */
@Entity('outgoing_mails')
@Index(['state', 'createdAt'])
export class OutgoingMail {
  @IdPrimary() id: string;
  @Column({ type: 'varchar', length: 12 }) kind: OutgoingKind;
  /** What makes two requests the same mail (a reply's message, a transcript's chat and address). */
  @Index({ unique: true }) @Column({ type: 'varchar', length: 191 }) dedupeKey: string;
  @Index() @IdColumn({ nullable: true }) interactionId: string | null;
  /** The agent's reply in `messages` this mail carries. */
  @Index() @IdColumn({ nullable: true }) messageId: string | null;
  @Column({ type: 'varchar', length: 254 }) toAddress: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) replyTo: string | null;
  @Column({ type: 'varchar', length: 500 }) subject: string;
  @Column({ type: 'mediumtext' }) text: string;
  /** The HTML alternative of a formatted reply (made from the agent's marks only); null: text alone. */
  @Column({ type: 'mediumtext', nullable: true }) html: string | null;
  /** Our Message-ID (angle brackets included), the same on every try. */
  @Column({ type: 'varchar', length: 255 }) headerMessageId: string;
  @Column({ type: 'varchar', length: 255, nullable: true }) inReplyTo: string | null;
  @Column({ type: 'text', nullable: true }) references: string | null;
  @Json() attachmentIds: string[];
  @Column({ type: 'varchar', length: 8 }) state: OutgoingState;
  @Column({ type: 'int', default: 0 }) attempts: number;
  /** What the mail server said last time it failed. */
  @Column({ type: 'varchar', length: 500, nullable: true }) lastError: string | null;
  @Created() createdAt: Date;
  @Time({ nullable: true }) sentAt: Date | null;
}
