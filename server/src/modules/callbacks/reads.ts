import type { DataSource } from 'typeorm';
import { EntityRows } from '../../kernel/db/rows.js';
import { Interaction } from '../interactions/index.js';
import { Callback } from './callback.entity.js';
import { execute } from '../../kernel/db/statements.js';

interface Statement {
  callback: EntityRows<Callback>;
  interaction: EntityRows<Interaction>;
  sql: string;
}
const statements = new WeakMap<DataSource, Statement>();

/**
 * A callback with its interaction, in one statement, as the due job and the dial job read it: the
 * same entities the ORM's join gives (reads.test.ts), from SQL built once.
 */
export async function callbackWithInteraction(db: DataSource, id: string): Promise<Callback | null> {
  let st = statements.get(db);
  if (!st) {
    const callback = new EntityRows(db, Callback, 'c');
    const interaction = new EntityRows(db, Interaction, 'i');
    st = { callback, interaction, sql: `SELECT ${callback.select}, ${interaction.select} FROM callbacks c LEFT JOIN interactions i ON i.id = c.interactionId WHERE c.id = ?` };
    statements.set(db, st);
  }
  const [row] = (await execute(db, st.sql, [id])) as Record<string, unknown>[];
  if (!row) return null;
  const cb = st.callback.from(row)!;
  const interaction = st.interaction.from(row);
  if (interaction) cb.interaction = interaction;
  return cb;
}
