import type { DataSource } from 'typeorm';
import type { JourneyType } from '@switchboard/protocol';
import { execute, executeRows } from '../../kernel/db/statements.js';

export interface JourneyRow {
  contactId: string | null;
  interactionId: string;
  agentId: string | null;
  type: JourneyType;
  data: Record<string, unknown>;
  at: Date;
  /** The contact is taken from the interaction's row (contactId is not used); without a row nothing is written. */
  contactOfInteraction?: boolean;
}

interface Waiting {
  row: JourneyRow;
  done: () => void;
  failed: (err: unknown) => void;
}

const MAX_ROWS = 500;
const COLUMNS = '(contactId, interactionId, agentId, type, data, at)';

/**
 * Journey entries outside a transaction, written as they come: one at a time while the database
 * keeps up, and those that arrived while an insert was on its way go together in the next one
 * (group commit). An entry's promise settles once its own row is written, so a step that awaits
 * its entries still writes them in its order; rows go in arrival order, so their seq follows it.
 * No wait is added: the first entry of a quiet moment is sent at once.
 */
export class JourneyWriter {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(private readonly db: DataSource) {}

  write(row: JourneyRow): Promise<void> {
    return new Promise<void>((done, failed) => {
      this.queue.push({ row, done, failed });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.queue.length) {
        const batch = this.queue.splice(0, MAX_ROWS);
        try {
          await this.insert(batch.map((w) => w.row));
          for (const w of batch) w.done();
        } catch (err) {
          if (batch.length === 1) batch[0]!.failed(err);
          // One bad row must not fail the others: each alone, so only its own step hears of it.
          else for (const w of batch) await this.insert([w.row]).then(w.done, w.failed);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  private insert(rows: JourneyRow[]): Promise<unknown> {
    if (rows.every((r) => !r.contactOfInteraction)) {
      const sql = `INSERT INTO interaction_events ${COLUMNS} VALUES ${rows.map(() => '(?, ?, ?, ?, ?, ?)').join(', ')}`;
      const params = rows.flatMap((r) => [r.contactId, r.interactionId, r.agentId, r.type, JSON.stringify(r.data), r.at]);
      return executeRows(this.db, sql, params, rows.length);
    }
    if (rows.length === 1) {
      const [r] = rows as [JourneyRow];
      return execute(this.db, `INSERT INTO interaction_events ${COLUMNS} SELECT contactId, id, ?, ?, ?, ? FROM interactions WHERE id = ?`, [r.agentId, r.type, JSON.stringify(r.data), r.at, r.interactionId]);
    }
    // Rows with and without their contact in one statement; the ORDER BY keeps their seq in arrival order.
    const parts: string[] = [];
    const params: unknown[] = [];
    rows.forEach((r, n) => {
      if (r.contactOfInteraction) {
        parts.push(`SELECT ${n} AS n, contactId, id AS interactionId, ? AS agentId, ? AS type, ? AS data, ? AS at FROM interactions WHERE id = ?`);
        params.push(r.agentId, r.type, JSON.stringify(r.data), r.at, r.interactionId);
      } else {
        parts.push(`SELECT ${n} AS n, ? AS contactId, ? AS interactionId, ? AS agentId, ? AS type, ? AS data, ? AS at`);
        params.push(r.contactId, r.interactionId, r.agentId, r.type, JSON.stringify(r.data), r.at);
      }
    });
    return this.db.query(`INSERT INTO interaction_events ${COLUMNS} SELECT contactId, interactionId, agentId, type, data, at FROM (${parts.join(' UNION ALL ')}) r ORDER BY n`, params);
  }
}
