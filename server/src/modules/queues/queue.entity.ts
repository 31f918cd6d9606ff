import { Column, Entity, Index } from 'typeorm';
import { ConfigIdPrimary, Json, Time } from '../../kernel/db/columns.js';
import type { Channel } from '../../kernel/config/schema.js';

@Entity('queues')
export class QueueRecord {
  @ConfigIdPrimary() id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Index() @Column({ type: 'varchar', length: 16 }) channel: Channel;
  @Column({ type: 'tinyint' }) priority: number;
  @Json() settings: unknown;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Time() syncedAt: Date;
}

@Entity('skills')
export class SkillRecord {
  @ConfigIdPrimary() id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
}

@Entity('trunks')
export class TrunkRecord {
  @ConfigIdPrimary() id: string;
  @Column({ type: 'varchar', length: 200 }) name: string;
  @Column({ type: 'varchar', length: 255 }) host: string;
  @Column({ type: 'int' }) port: number;
  @Column({ type: 'varchar', length: 8 }) transport: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
  @Time() syncedAt: Date;
}

/** Not-ready reasons and dispositions from reasons.yaml. */
@Entity('reasons')
export class ReasonRecord {
  @Column({ type: 'varchar', length: 16, primary: true }) kind: 'not-ready' | 'disposition';
  @ConfigIdPrimary() id: string;
  @Column({ type: 'varchar', length: 200 }) label: string;
  @Column({ type: 'boolean', default: true }) active: boolean;
}
