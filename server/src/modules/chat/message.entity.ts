import { Column, Entity, Index, JoinColumn, ManyToOne, type Relation } from 'typeorm';
import { Created, IdColumn, IdPrimary, Time } from '../../kernel/db/columns.js';
import { Interaction } from '../interactions/index.js';

export const AUTHOR_KINDS = ['visitor', 'agent', 'bot', 'system', 'note'] as const;
export type AuthorKind = (typeof AUTHOR_KINDS)[number];
export const DELIVERY_STATES = ['stored', 'sent', 'delivered', 'read', 'failed'] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/** A chat line, note or mail body. Stored before it is acknowledged to its author. */
@Entity('messages')
@Index(['interactionId', 'createdAt'])
@Index(['interactionId', 'clientMessageId'], { unique: true })
// The relay's resend sweep looks for lines still `stored` every second.
@Index(['deliveryState', 'createdAt'])
export class Message {
  @IdPrimary() id: string;
  @IdColumn() interactionId: string;
  @Column({ type: 'varchar', length: 8 }) authorKind: AuthorKind;
  @IdColumn({ nullable: true }) authorAgentId: string | null;
  @Column({ type: 'varchar', length: 200, nullable: true }) authorName: string | null;
  @Column({ type: 'mediumtext' }) body: string;
  @Column({ type: 'varchar', length: 12 }) deliveryState: DeliveryState;
  /** The author's own id for the message, so a retried send is stored once. */
  @Column({ type: 'varchar', length: 64, nullable: true }) clientMessageId: string | null;
  /** XMPP stanza id or mail Message-ID. */
  @Column({ type: 'varchar', length: 255, nullable: true }) externalId: string | null;
  @Time({ nullable: true }) deliveredAt: Date | null;
  @Created() createdAt: Date;
  /**
   * The order lines were stored in. Two lines can be stored in the same millisecond (a visitor's
   * line and the agent's answer sent at once), and a conversation read back must not swap them.
   */
  @Column({ type: 'bigint', unsigned: true, generated: 'increment', unique: true, insert: false, update: false }) seq?: string;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
}

@Entity('attachments')
export class Attachment {
  @IdPrimary() id: string;
  @Index() @IdColumn() interactionId: string;
  @IdColumn({ nullable: true }) messageId: string | null;
  @Column({ type: 'varchar', length: 255 }) fileName: string;
  @Column({ type: 'bigint', transformer: { to: (v: number) => v, from: (v: string) => Number(v) } }) size: number;
  @Column({ type: 'char', length: 64 }) sha256: string;
  /** Type found from the file's content, not the name the visitor gave it. */
  @Column({ type: 'varchar', length: 100 }) detectedType: string;
  @Column({ type: 'varchar', length: 255 }) storageKey: string;
  @Column({ type: 'varchar', length: 8 }) uploadedByKind: 'visitor' | 'agent';
  @Created() createdAt: Date;
  /** The order files were stored in: a mail's files are stored one after the other, in the same millisecond as often as not. */
  @Column({ type: 'bigint', unsigned: true, generated: 'increment', unique: true, insert: false, update: false }) seq?: string;
  @ManyToOne(() => Interaction, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'interactionId' }) interaction?: Relation<Interaction>;
  @ManyToOne(() => Message, { onDelete: 'SET NULL' }) @JoinColumn({ name: 'messageId' }) message?: Relation<Message>;
}
