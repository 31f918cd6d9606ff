import { Column, Entity } from 'typeorm';
import { ConfigIdPrimary, Json, Time } from '../../kernel/db/columns.js';

/** A website as configured in config/websites/<id>.yaml; synced at start so records can refer to it. */
@Entity('websites')
export class WebsiteRecord {
  @ConfigIdPrimary() id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Json() origins: string[];
  @Json() settings: unknown;
  /** false once the file is removed: old interactions keep their reference. */
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Time() syncedAt: Date;
}
