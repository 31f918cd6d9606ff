import { Column, Entity, Index } from 'typeorm';
import { Created, IdPrimary, Json, Updated } from '../../kernel/db/columns.js';

/** A customer, found by email (or a configured field) and created when missing. */
@Entity('contacts')
// The search's order (newest change first, id breaking ties), so a page is read off the index instead of sorting every contact.
@Index(['updatedAt', 'id'])
export class Contact {
  @IdPrimary() id: string;
  @Column({ type: 'varchar', length: 200, nullable: true }) name: string | null;
  @Index() @Column({ type: 'varchar', length: 254, nullable: true }) email: string | null;
  @Index() @Column({ type: 'varchar', length: 40, nullable: true }) phone: string | null;
  /** Fields the website forms map to `custom.<name>`. */
  @Json() customFields: Record<string, string>;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
}
