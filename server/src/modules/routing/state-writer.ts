import type { DataSource } from 'typeorm';
import type { AgentState } from '../agents/index.js';
import { executeRows } from '../../kernel/db/statements.js';
import { GroupCommit } from '../../kernel/db/group-commit.js';

export interface StateRow {
  agentId: string;
  state: AgentState;
  reason: string | null;
  at: Date;
}

/**
 * Agent state changes, written as they come, as the journey's entries are (kernel/db/group-commit.ts):
 * an agent's seq follows the order of their changes, and a step's promise settles once its own rows
 * are written.
 */
export class StateChangeWriter {
  private readonly rows: GroupCommit<StateRow>;

  constructor(private readonly db: DataSource) {
    this.rows = new GroupCommit((rows) => this.insert(rows));
  }

  write(rows: StateRow[]): Promise<void> {
    return this.rows.write(rows);
  }

  private insert(rows: StateRow[]): Promise<unknown> {
    const sql = `INSERT INTO agent_state_changes (agentId, state, reason, at) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`;
    const params = rows.flatMap((r) => [r.agentId, r.state, r.reason, r.at]);
    // Prepared for the few rows that come together; a sweep's many as text.
    return executeRows(this.db, sql, params, rows.length);
  }
}
