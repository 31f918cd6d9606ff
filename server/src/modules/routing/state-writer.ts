import type { DataSource } from 'typeorm';
import type { AgentState } from '../agents/index.js';
import { executeRows } from '../../kernel/db/statements.js';

export interface StateRow {
  agentId: string;
  state: AgentState;
  reason: string | null;
  at: Date;
}

interface Waiting {
  rows: StateRow[];
  done: () => void;
  failed: (err: unknown) => void;
}

const MAX_ROWS = 500;

/**
 * Agent state changes, written as they come, as the journey's entries are (journey-writer.ts): one
 * step's rows at a time while the database keeps up, and the steps' rows that arrived while an
 * insert was on its way together in the next one. A step's promise settles once its own rows are
 * written; rows go in arrival order, so an agent's seq follows the order of their changes.
 */
export class StateChangeWriter {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: DataSource) {}

  write(rows: StateRow[]): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.queue.push({ rows, done, failed });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch: Waiting[] = [];
        let n = 0;
        // A step's rows stay together; a step with more than MAX_ROWS goes alone.
        while (this.queue.length && (!batch.length || n + this.queue[0]!.rows.length <= MAX_ROWS)) {
          const w = this.queue.shift()!;
          batch.push(w);
          n += w.rows.length;
        }
        try {
          await this.insert(batch.flatMap((w) => w.rows));
          for (const w of batch) w.done();
        } catch (err) {
          if (batch.length === 1) batch[0]!.failed(err);
          // One step's bad row must not fail the others: each step alone, so only it hears of it.
          else for (const w of batch) await this.insert(w.rows).then(w.done, w.failed);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private insert(rows: StateRow[]): Promise<unknown> {
    const sql = `INSERT INTO agent_state_changes (agentId, state, reason, at) VALUES ${rows.map(() => '(?, ?, ?, ?)').join(', ')}`;
    const params = rows.flatMap((r) => [r.agentId, r.state, r.reason, r.at]);
    // Prepared for the few rows that come together; a sweep's many as text.
    return executeRows(this.db, sql, params, rows.length);
  }
}
