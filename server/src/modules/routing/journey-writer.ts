import type { DataSource } from 'typeorm';
import type { JourneyType } from '@switchboard/protocol';
import { execute, executeRows } from '../../kernel/db/statements.js';
import { GroupCommit } from '../../kernel/db/group-commit.js';

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

const COLUMNS = '(contactId, interactionId, agentId, type, data, at)';

/**
 * Journey entries outside a transaction, written through a group commit (kernel/db/group-commit.ts):
 * an entry's promise settles once its own row is written, so a step that awaits its entries still
 * writes them in its order, and their seq follows it.
 */
export class JourneyWriter {
  private readonly rows: GroupCommit<JourneyRow>;

  constructor(private readonly db: DataSource) {
    this.rows = new GroupCommit((rows) => this.insert(rows));
  }

  /** One step's rows, written together in this order. */
  write(...rows: JourneyRow[]): Promise<void> {
    return this.rows.write(rows);
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
