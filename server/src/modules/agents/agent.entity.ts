import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn, type Relation } from 'typeorm';
import { ConfigIdColumn, Created, IdColumn, IdPrimary, Json, Time, Updated } from '../../kernel/db/columns.js';
import type { Capacity, Role } from '../../kernel/config/schema.js';

export const AGENT_STATES = ['logged-out', 'available', 'not-ready', 'busy', 'wrap-up', 'rona'] as const;
export type AgentState = (typeof AGENT_STATES)[number];

@Entity('agents')
export class Agent {
  @IdPrimary() id: string;
  @Index({ unique: true }) @Column({ type: 'varchar', length: 64 }) username: string;
  @Column({ type: 'varchar', length: 200 }) displayName: string;
  @Column({ type: 'varchar', length: 254, nullable: true }) email: string | null;
  @Column({ type: 'varchar', length: 16 }) role: Role;
  /** scrypt hash; never leaves the server (presenters omit it). */
  @Column({ type: 'varchar', length: 255 }) passwordHash: string;
  /** Bumped on logout-everywhere and password change: sessions carry the version they were born with. */
  @Column({ type: 'int', default: 1 }) sessionVersion: number;
  @Column({ type: 'varchar', length: 16, nullable: true }) extension: string | null;
  @Json() capacity: Capacity;
  @Column({ type: 'boolean', default: true }) active: boolean;
  /** Created from agents.yaml rather than through the API. */
  @Column({ type: 'boolean', default: false }) bootstrapped: boolean;
  @Time({ nullable: true }) lastLoginAt: Date | null;
  @Created() createdAt: Date;
  @Updated() updatedAt: Date;
}

@Entity('agent_skills')
export class AgentSkill {
  @PrimaryColumn({ type: 'char', length: 32 }) agentId: string;
  @PrimaryColumn({ type: 'varchar', length: 63 }) skillId: string;
  @Column({ type: 'tinyint' }) level: number;
  @ManyToOne(() => Agent, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'agentId' }) agent?: Relation<Agent>;
}

/** Every agent state change, with its reason: the source of state reports. */
@Entity('agent_state_changes')
@Index(['agentId', 'at'])
// Reports read the changes of a period across all agents; state and agent make it covering.
@Index(['at', 'state', 'agentId'])
export class AgentStateChange {
  @PrimaryGeneratedColumn({ type: 'bigint' }) seq: string;
  @IdColumn() agentId: string;
  @Column({ type: 'varchar', length: 16 }) state: AgentState;
  @ConfigIdColumn({ nullable: true }) reason: string | null;
  @Time() at: Date;
  @ManyToOne(() => Agent, { onDelete: 'CASCADE' }) @JoinColumn({ name: 'agentId' }) agent?: Relation<Agent>;
}
